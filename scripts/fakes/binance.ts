/**
 * A local stand-in for Binance's market-data endpoints, speaking the real wire formats over real
 * sockets (port 0 by default): WebSocket combined streams and REST `/api/v3/klines`, `/api/v3/time`.
 * It replays recorded REST kline rows (their decimal strings byte for byte) on a virtual clock, at N×
 * or "max" speed, across many series at once, with scripted faults. Used by the relay's tests, the
 * relay benchmark and `deno task start --replay`.
 *
 * It replays recorded bytes and shares no code with the parsers it helps test (no `shared/candles`
 * import).
 *
 * ```ts
 * const fake = await startFakeBinance({ series: [loadReplayFile("tests/fixtures/binance/BTCUSDT-1h-2024.json")], speed: 3_600_000 });
 * // relay: --ws-url fake.wsUrl --rest-url fake.restUrl ; the clock starts on the first subscription
 * await fake.finished;       // every candle's final update has been sent
 * await fake.close();
 * ```
 *
 * CLI: `deno task fake:binance FILE... [--speed N|max] [--start TIME] [--port N]` prints its URLs and
 * serves until Ctrl-C.
 */

import { parseCli, runCli, UsageError } from "../lib/cli/run_cli.ts";
import {
  ReplayClock,
  type ReplayEvent,
  ReplaySchedule,
  type ReplaySeries,
  type ReplaySpeed,
} from "./binance/replay.ts";
import { FakeRest, type RestFault, type RestStats } from "./binance/rest.ts";
import { type FakeConnection, FakeWsHub, type WsStats } from "./binance/ws.ts";
import {
  asKlineRows,
  BINANCE_INTERVALS,
  klineMessage,
  type KlineRow,
  klineStreamName,
} from "./binance/wire.ts";

export type { KlineRow, ReplaySeries, ReplaySpeed, RestFault };

/** Faults applied to the replayed WebSocket messages; change them at any time. */
export interface StreamFaults {
  /** Close each connection after every N data messages sent on it (0 = off). */
  dropEvery: number;
  /** Send every Nth final kline twice (0 = off). */
  duplicateEvery: number;
  /** Hold back every Nth final kline and send it after the next final of the same stream (0 = off). */
  swapEvery: number;
  /** Delay every Nth final kline by `lateMs` real ms (0 = off). */
  lateEvery: number;
  lateMs: number;
  /** Never send every Nth final kline, the connection staying up (the stream skips it; 0 = off). */
  skipEvery: number;
}

/** Options of {@link startFakeBinance}. */
export interface FakeBinanceOptions {
  /** Series to replay (symbol upper case, Binance interval, rows oldest first). */
  series: ReplaySeries[];
  /** Virtual start time in ms (default: the earliest open time, so nothing has closed yet). */
  startTime?: number;
  /** Virtual ms per real ms, or "max" (default "max"). */
  speed?: ReplaySpeed;
  /** Start the clock when the first stream is subscribed (default true); else call `play()`. */
  autoStart?: boolean;
  /** Non-final updates sent inside each candle before its final one (default 1). */
  updatesPerCandle?: number;
  /** Server ping after this many idle seconds; no pong within as long again closes (default 20). */
  pingSeconds?: number;
  /** Host to bind (default 127.0.0.1) and port (default 0 = any free port). */
  hostname?: string;
  port?: number;
  /** Wall clock for the REST weight window and bans (default Date.now). */
  realNow?: () => number;
  /**
   * Count the REST weight window and bans on the replay's virtual clock instead of `realNow`
   * (default false). For replays polled at each close instant: a replay compresses hours into
   * seconds, so per real minute it would spend the weight of hundreds of Binance minutes.
   */
  rateLimitsOnVirtualClock?: boolean;
}

/** Everything the tests can see of the fake. */
export interface FakeBinanceStats {
  ws: WsStats;
  rest: RestStats;
  /** Final klines sent (duplicates not counted twice; skipped ones counted in `finalsSkipped`). */
  finalsSent: number;
  /** Final klines never sent (`skipEvery`). */
  finalsSkipped: number;
  /** Non-final kline updates sent. */
  updatesSent: number;
}

/** A running fake (see {@link startFakeBinance}). */
export interface FakeBinance {
  /** REST base URL, e.g. `http://127.0.0.1:43210`. */
  readonly restUrl: string;
  /** WebSocket base URL, e.g. `ws://127.0.0.1:43210` (streams at `/stream?streams=...`). */
  readonly wsUrl: string;
  /** The virtual clock (ms). */
  readonly clock: ReplayClock;
  /** Message faults (mutable). */
  readonly faults: StreamFaults;
  /** REST side: push {@link RestFault}s onto `rest.faults`, set `rest.region451`, `rest.setUsedWeight()`. */
  readonly rest: FakeRest;
  /** WebSocket side: open connections, `region451`, `pingSeconds`. */
  readonly ws: FakeWsHub;
  readonly stats: FakeBinanceStats;
  /** Resolves when every scheduled update has been sent (held and late ones included). */
  readonly finished: Promise<void>;
  /** Close instants (close time + 1 ms) whose final klines have been sent, ascending. */
  emittedCloseInstants(): number[];
  /** Starts (or resumes) the virtual clock. */
  play(): void;
  /** Pauses the virtual clock. */
  pause(): void;
  /** Sends `serverShutdown` on every connection and closes them `graceMs` real ms later. */
  serverShutdown(graceMs?: number): void;
  /** Closes every WebSocket connection at once (no event first). */
  dropConnections(): void;
  /** Sends raw text on every connection (malformed or unknown messages). */
  broadcast(text: string): void;
  /** Open connections. */
  connections(): readonly FakeConnection[];
  /** Stops the server and every timer. */
  close(): Promise<void>;
}

/** Most messages sent per event-loop turn at "max" speed (lets the receiver and REST interleave). */
const MAX_PER_TICK = 256;

/**
 * Starts the fake on `hostname:port` (default 127.0.0.1:0). Throws RangeError on bad options.
 */
export function startFakeBinance(opts: FakeBinanceOptions): Promise<FakeBinance> {
  if (opts.series.length === 0) throw new RangeError("startFakeBinance: no series to replay");
  const keys = new Set<string>();
  for (const s of opts.series) {
    if (!BINANCE_INTERVALS.includes(s.interval)) {
      throw new RangeError(`startFakeBinance: unknown interval ${JSON.stringify(s.interval)}`);
    }
    if (!/^[A-Z0-9]{2,30}$/.test(s.symbol)) {
      throw new RangeError(
        `startFakeBinance: symbol must be upper case, got ${JSON.stringify(s.symbol)}`,
      );
    }
    const k = klineStreamName(s.symbol, s.interval);
    if (keys.has(k)) throw new RangeError(`startFakeBinance: series ${k} given twice`);
    keys.add(k);
  }
  const first = Math.min(...opts.series.filter((s) => s.rows.length).map((s) => s.rows[0][0]));
  const start = opts.startTime ?? (Number.isFinite(first) ? first : 0);
  const clock = new ReplayClock(start, opts.speed ?? "max");
  const fake = new Fake(opts, clock, start);
  return fake.listen(opts.hostname ?? "127.0.0.1", opts.port ?? 0);
}

class Fake implements FakeBinance {
  restUrl = "";
  wsUrl = "";
  readonly clock: ReplayClock;
  readonly faults: StreamFaults = {
    dropEvery: 0,
    duplicateEvery: 0,
    swapEvery: 0,
    lateEvery: 0,
    lateMs: 0,
    skipEvery: 0,
  };
  readonly rest: FakeRest;
  readonly ws: FakeWsHub;
  readonly finished: Promise<void>;

  readonly #schedule: ReplaySchedule;
  readonly #closes = new Set<number>();
  readonly #tradeIds = new Map<ReplaySeries, number>();
  readonly #held = new Map<string, { ms: string; us: () => string }>();
  readonly #lateTimers = new Set<ReturnType<typeof setTimeout>>();
  readonly #autoStart: boolean;
  #finals = 0;
  #skipped = 0;
  #updates = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #server: Deno.HttpServer | null = null;
  #closed = false;
  #scheduleDone = false;
  #resolveFinished!: () => void;

  constructor(opts: FakeBinanceOptions, clock: ReplayClock, start: number) {
    this.clock = clock;
    this.#autoStart = opts.autoStart ?? true;
    this.#schedule = new ReplaySchedule(opts.series, opts.updatesPerCandle ?? 1, start);
    this.rest = new FakeRest(
      opts.series,
      clock,
      opts.rateLimitsOnVirtualClock ? () => clock.now() : opts.realNow,
    );
    this.ws = new FakeWsHub(opts.pingSeconds ?? 20, () => clock.now(), () => {
      if (this.#autoStart) this.play();
    }, this.faults);
    opts.series.forEach((s, i) => this.#tradeIds.set(s, 1_000_000 * (i + 1)));
    this.finished = new Promise((r) => (this.#resolveFinished = r));
  }

  get stats(): FakeBinanceStats {
    return {
      ws: this.ws.stats,
      rest: this.rest.stats,
      finalsSent: this.#finals - this.#skipped,
      finalsSkipped: this.#skipped,
      updatesSent: this.#updates,
    };
  }

  listen(hostname: string, port: number): Promise<FakeBinance> {
    return new Promise((resolve) => {
      this.#server = Deno.serve({
        hostname,
        port,
        onListen: (addr) => {
          const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
          this.restUrl = `http://${host}:${addr.port}`;
          this.wsUrl = `ws://${host}:${addr.port}`;
          resolve(this);
        },
      }, (req) => {
        if ((req.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
          return this.ws.upgrade(req);
        }
        return this.rest.handle(req);
      });
    });
  }

  emittedCloseInstants(): number[] {
    return [...this.#closes].sort((a, b) => a - b);
  }

  play(): void {
    if (this.#closed) return;
    this.clock.play();
    this.#arm(0);
  }

  pause(): void {
    this.clock.pause();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  serverShutdown(graceMs = 200): void {
    this.ws.serverShutdown(graceMs);
  }

  dropConnections(): void {
    this.ws.closeAll();
  }

  broadcast(text: string): void {
    this.ws.broadcast(text);
  }

  connections(): readonly FakeConnection[] {
    return this.ws.connections;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.pause();
    for (const t of this.#lateTimers) clearTimeout(t);
    this.#lateTimers.clear();
    this.ws.closeAll();
    await this.#server?.shutdown();
  }

  #arm(delay: number): void {
    if (this.#timer !== undefined || this.#closed || this.#scheduleDone) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, delay);
  }

  #tick(): void {
    if (!this.clock.playing || this.#closed) return;
    const max = this.clock.speed === "max";
    if (max) {
      let sent = 0;
      let t: number | null;
      while (sent < MAX_PER_TICK && (t = this.#schedule.peekTime()) !== null) {
        this.clock.advanceTo(t);
        while (this.#schedule.peekTime() === t) {
          this.#emit(this.#schedule.next() as ReplayEvent);
          sent++;
        }
      }
    } else {
      const now = this.clock.now();
      let t: number | null;
      while ((t = this.#schedule.peekTime()) !== null && t <= now) {
        this.#emit(this.#schedule.next() as ReplayEvent);
      }
    }
    const next = this.#schedule.peekTime();
    if (next === null) {
      this.#scheduleDone = true;
      for (const [stream, h] of this.#held) this.ws.publish(stream, h.ms, h.us);
      this.#held.clear();
      this.#maybeFinished();
      return;
    }
    const speed = this.clock.speed;
    this.#arm(speed === "max" ? 0 : Math.min(250, Math.max(0, (next - this.clock.now()) / speed)));
  }

  #maybeFinished(): void {
    if (this.#scheduleDone && this.#lateTimers.size === 0) this.#resolveFinished();
  }

  #emit(ev: ReplayEvent): void {
    const s = ev.series;
    const row = ev.series.rows[ev.index];
    const stream = klineStreamName(s.symbol, s.interval);
    const before = this.#tradeIds.get(s) as number;
    const trades = ev.final ? row[8] : 0;
    const message = {
      symbol: s.symbol,
      interval: s.interval,
      row,
      final: ev.final,
      eventTime: ev.time,
      firstTradeId: trades > 0 ? before + 1 : -1,
      lastTradeId: trades > 0 ? before + trades : -1,
    };
    const ms = klineMessage(message, false);
    const us = () => klineMessage(message, true);
    if (!ev.final) {
      this.#updates++;
      this.ws.publish(stream, ms, us);
      return;
    }
    this.#tradeIds.set(s, before + trades);
    this.#finals++;
    this.#closes.add(ev.time);
    const n = this.#finals;
    const f = this.faults;
    const held = this.#held.get(stream);
    const skip = f.skipEvery > 0 && n % f.skipEvery === 0;
    if (!skip && f.swapEvery > 0 && n % f.swapEvery === 0 && held === undefined) {
      this.#held.set(stream, { ms, us });
      return;
    }
    if (skip) {
      this.#skipped++;
    } else if (f.lateEvery > 0 && n % f.lateEvery === 0) {
      const t = setTimeout(() => {
        this.#lateTimers.delete(t);
        this.ws.publish(stream, ms, us);
        this.#maybeFinished();
      }, f.lateMs);
      this.#lateTimers.add(t);
    } else {
      this.ws.publish(stream, ms, us);
      if (f.duplicateEvery > 0 && n % f.duplicateEvery === 0) this.ws.publish(stream, ms, us);
    }
    if (held !== undefined) {
      this.#held.delete(stream);
      this.ws.publish(stream, held.ms, held.us);
    }
  }
}

/** Options of {@link loadReplayFile}. */
export interface ReplayFileOptions {
  /** Symbol to serve the rows as (default: from the file name `SYMBOL-interval-...json`). */
  symbol?: string;
  /** Interval of the rows (default: from the file name). */
  interval?: string;
  /** Keep only rows [from, to) of the file. */
  from?: number;
  to?: number;
}

/**
 * Reads a JSON file of Binance REST kline rows as a replay series. Symbol and interval come from the
 * file name (`BTCUSDT-1h-2024.json` or `.../BTCUSDT/1h/file.json`) unless given. Throws a one-line
 * Error naming the file when it cannot be used.
 */
export function loadReplayFile(path: string, opts: ReplayFileOptions = {}): ReplaySeries {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not a JSON array of Binance REST kline rows`);
  }
  const rows = asKlineRows(value, path).slice(opts.from ?? 0, opts.to);
  const parts = path.split("/").filter((p) => p !== "");
  const stem = (parts.at(-1) ?? "").replace(/\..*$/, "");
  const [a, b] = stem.split("-");
  let symbol = opts.symbol;
  let interval = opts.interval;
  if (b !== undefined && BINANCE_INTERVALS.includes(b) && /^[A-Z0-9]{2,30}$/.test(a)) {
    symbol ??= a;
    interval ??= b;
  } else if (parts.length >= 3 && BINANCE_INTERVALS.includes(parts[parts.length - 2])) {
    interval ??= parts[parts.length - 2];
    symbol ??= parts[parts.length - 3];
  }
  if (!symbol || !interval) {
    throw new Error(`${path}: cannot tell symbol and interval from the file name (pass them)`);
  }
  return { symbol, interval, rows: rows as KlineRow[] };
}

const HELP =
  `usage: deno task fake:binance FILE... [--speed N|max] [--start TIME] [--port N] [--updates N]
Serves recorded Binance REST kline files (SYMBOL-interval-*.json) as a local Binance: WebSocket combined
streams and REST /api/v3/klines, /api/v3/time, replayed on a virtual clock that starts when the first
stream is subscribed.
  --speed N|max   virtual ms per real ms, or as fast as possible (default max)
  --start TIME    virtual start (ISO date or ms; default: the first open time)
  --port N        port to listen on (default: any free port)
  --updates N     non-final updates per candle (default 1)
  -h, --help      this help`;

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    speed: { type: "string" },
    start: { type: "string" },
    port: { type: "string" },
    updates: { type: "string" },
  });
  if (positionals.length === 0) {
    throw new UsageError("expected at least one kline file (see --help)");
  }
  const speed = values.speed === undefined || values.speed === "max" ? "max" : Number(values.speed);
  if (speed !== "max" && !(speed > 0)) {
    throw new UsageError(`--speed must be a positive number or max`);
  }
  let startTime: number | undefined;
  if (values.start !== undefined) {
    startTime = /^\d+$/.test(values.start) ? Number(values.start) : Date.parse(values.start);
    if (!Number.isFinite(startTime)) throw new UsageError(`--start: not a date: ${values.start}`);
    // Date.parse rolls a day that does not exist (2024-02-30) over into the next month: refuse it.
    // (The fake shares no code with the rest of the project, so this is its own check.)
    const day = values.start.match(/^(\d{4}-\d{2}-\d{2})(?:$|T| )/)?.[1];
    if (day && new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day) {
      throw new UsageError(`--start: not a valid date: ${values.start}`);
    }
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError("--port must be 0..65535");
  }
  const updates = values.updates === undefined ? 1 : Number(values.updates);
  if (!Number.isInteger(updates) || updates < 0) {
    throw new UsageError("--updates must be a whole number");
  }
  const series = positionals.map((p) => {
    let s: ReplaySeries;
    try {
      s = loadReplayFile(p);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (s.rows.length === 0) throw new UsageError(`${p}: no candles to replay`);
    return s;
  });
  const fake = await startFakeBinance({
    series,
    speed,
    startTime,
    port,
    updatesPerCandle: updates,
  });
  console.log(`rest ${fake.restUrl}`);
  console.log(`ws   ${fake.wsUrl}`);
  console.log(`streams ${series.map((s) => klineStreamName(s.symbol, s.interval)).join("/")}`);
  const stop = async () => {
    await fake.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await fake.finished;
  console.log(
    `replay finished: ${fake.stats.finalsSent} final klines sent; serving REST until Ctrl-C`,
  );
}

if (import.meta.main) await runCli(main);

/**
 * The relay: Binance kline streams in, closed candles into Postgres. `startRelay(options)` runs it
 * in-process (the CLI `scripts/relay.ts` and `deno task start` both use it).
 *
 * Flow: tracked series → streams sharded ≤ 1,024 per connection ({@link StreamShard}) → each
 * message classified ({@link classifyMessage}) → final klines only (`k.x`) → per series: duplicate
 * dropped, buffered while its REST backfill runs, a gap (a candle more than one interval after the
 * newest accepted one) starts a backfill of that series → {@link CloseBatcher} (one statement per
 * close instant, at most `flushWaitMs` after its first kline) → {@link IngestWriter} (one
 * `api.ingest_candles` statement at a time, retried while the database is away). A backfill
 * ({@link backfillSeries}) runs on start and after every reconnect; a reconnect while its series'
 * backfill is still running (say, waiting out a 429's Retry-After) makes that run take another
 * pass up to a newer server time before the series goes live.
 *
 * Which of REST's rows may be stored: REST's view can lag Binance's clock around a close, serving
 * the candle that just closed with its in-progress values (and the stream's true final would then
 * be dropped as a duplicate). So a backfill stores REST's newest candle only when Binance already
 * serves the one after it, or when the relay's missing-final watch for its close instant has run
 * (the stream's clock passed that close `missingFinalMs` ago: the stream has had its chance to send
 * the final and REST its chance to catch up), or when Binance's clock is `holdUnconfirmedMs` past
 * it. Otherwise the candle is held back: the stream's final stores it, and if none comes, the watch
 * (armed for that close instant) fetches it again. A stored candle is therefore never replaced by a
 * later version, and the analysis never sees in-progress values.
 *
 * A series whose final is missing and whose REST check finds nothing newer (a halted or delisted
 * symbol) goes quiet: the watch checks it again after one interval, then two, four... at most
 * hourly (`quiet.ts`); any final kline of it ends that at once.
 */

import { INTERVAL_MS, isAligned, nextOpenTime } from "../../shared/candles/intervals.ts";
import type { WsKline } from "../../shared/candles/ws_kline.ts";
import { BINANCE_REST_URLS, BinanceRest } from "../../supabase/functions/_shared/binance_rest.ts";
import {
  relayHeartbeat,
  type SeriesKey,
  seriesName,
  trackedSeries,
} from "../../supabase/functions/_shared/db_api.ts";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import { consoleLogger, type Logger } from "../lib/cli/log.ts";
import { type BackfillOutcome, backfillSeries } from "./backfill.ts";
import { CloseBatcher, type InstantBatch } from "./batcher.ts";
import { classifyMessage } from "./messages.ts";
import type { BackoffOptions } from "./pacing.ts";
import { QUIET_MAX_MS } from "./quiet.ts";
import { SeriesState, shardsOf, streamName } from "./series.ts";
import { type ShardEvents, type ShardOptions, StreamShard } from "./shard.ts";
import { IngestWriter, type Written } from "./writer.ts";

/** Binance's market-data-only stream endpoint (the relay's default). */
export const BINANCE_WS_URL = "wss://data-stream.binance.vision";

/** Settings of {@link startRelay}; every field but `sql` has a default. */
export interface RelayOptions {
  /** postgres.js client on the project's database (the caller owns and closes it). */
  sql: Sql;
  /** Series to stream (default: `api.tracked_series`, re-read every `refreshSeriesMs`). */
  series?: SeriesKey[];
  /** WebSocket base URL (default wss://data-stream.binance.vision; or wss://stream.binance.com:9443, a fake). */
  wsUrl?: string;
  /** REST base URL (default https://data-api.binance.vision; or https://api.binance.com, a fake). */
  restUrl?: string;
  /** A REST client to use instead of one built from `restUrl`. */
  rest?: BinanceRest;
  /** Name in `relay_status` (default "relay"). */
  relayId?: string;
  /** Log sink (default: one JSON object per line on stdout). */
  log?: Logger;
  /** Ask Binance for µs times (`timeUnit=MICROSECOND`, `X-MBX-TIME-UNIT`); stored in ms either way. */
  microseconds?: boolean;
  /** Streams per connection (default 1,024, Binance's maximum). */
  maxStreamsPerConnection?: number;
  /** Streams in a connection's URL; the rest are SUBSCRIBEd at ≤ 5 messages/s (default 200). */
  maxUrlStreams?: number;
  /** Longest wait for the rest of a close instant's series (ms, default 250). */
  flushWaitMs?: number;
  /**
   * A live series whose final kline has not arrived this long after the stream's clock (the latest
   * close instant of any final received) passed its close is backfilled from REST (ms, default
   * 10,000; 0 = never). Covers a final the stream skipped with no later candle to reveal the gap.
   */
  missingFinalMs?: number;
  /**
   * REST's newest candle, while Binance does not yet serve the one after it and the watch above
   * has not vouched for it, is held back until Binance's clock is this far past its close (ms,
   * default 300,000, as the `ingest` function does).
   */
  holdUnconfirmedMs?: number;
  /** Longest wait between missing-final checks of a quiet (halted?) series (ms, default 1 h). */
  quietMaxMs?: number;
  /** Heartbeat period (ms, default 15,000; at most 30,000). */
  heartbeatMs?: number;
  /** Reconnect backoff (default 1 s doubling to 60 s, jittered, reset after 60 s up). */
  backoff?: BackoffOptions;
  /** Renew each connection this long after it opened (ms, default 23 h: Binance cuts at 24 h). */
  renewAfterMs?: number;
  /** Reconnect a connection silent this long (ms, default 90,000; 0 = never). */
  silenceMs?: number;
  /** Candles fetched for a series with none stored (default 1,000). */
  initialCandles?: number;
  /** Series backfilled at once (default 4). */
  backfillConcurrency?: number;
  /** Most candles per backfill statement (default 5,000). */
  backfillBatchRows?: number;
  /** Re-read `api.tracked_series` this often (ms, default 60,000; 0 = never; ignored with `series`). */
  refreshSeriesMs?: number;
  /** Longest wait for pending writes on stop (ms, default 10,000). */
  shutdownTimeoutMs?: number;
}

/** Figures of a running relay (also sent with every heartbeat). */
export interface RelayStats {
  series: number;
  connections: number;
  connectionsReady: number;
  /** WebSocket messages received, kline events among them, final klines among those. */
  messages: number;
  klineMessages: number;
  finalKlines: number;
  /** Final klines dropped because that candle was already stored or queued. */
  duplicates: number;
  /** Final klines older than the newest accepted one of their series (still stored, once). */
  lateCandles: number;
  /** Times a series' stream skipped a candle and a backfill of it started. */
  gaps: number;
  /** Finals still missing `missingFinalMs` after the stream's clock passed them (series backfilled). */
  missingFinals: number;
  /** REST candles held back by a backfill: Binance did not yet serve the candle after them. */
  heldBack: number;
  /** Series quiet now (final missing, REST nothing newer: halted?), and checks made of quiet ones. */
  quietSeries: number;
  quietChecks: number;
  malformed: number;
  unknownMessages: number;
  serverShutdowns: number;
  reconnects: number;
  renewals: number;
  disconnects: number;
  /** Close instants flushed, by why (complete, deadline, overtaken, late, backfill, stop). */
  instantsFlushed: Record<string, number>;
  /** `ingest_candles` statements: all, for close instants, for backfills. */
  ingestStatements: number;
  instantStatements: number;
  backfillStatements: number;
  /** Candles sent in committed statements; how many of them were new rows, changed rows. */
  candlesWritten: number;
  candlesInserted: number;
  candlesUpdated: number;
  rejectedCandles: number;
  backfillRuns: number;
  /**
   * Reconnects (or skipped candles) that found their series' backfill running: instead of a new
   * run, that run takes another pass up to a newer server time.
   */
  backfillReruns: number;
  backfilledCandles: number;
  /** Failures by kind: region (HTTP 451), rest, data, database, stream. */
  errors: Record<string, number>;
  lastError: string | null;
  pendingInstants: number;
  pendingWrites: number;
  /** Wall-clock time (ms) of the last WebSocket message. */
  lastMessageTime: number | null;
}

/** What {@link Relay.stop} reports. */
export interface StopReport {
  /** Candles that could not be written before the shutdown timeout (the next start backfills them). */
  unsaved: number;
  /** Stream candles of series still backfilling, dropped (the next start backfills them). */
  droppedBuffered: number;
}

/** A running relay. */
export interface Relay {
  /** The series streamed. */
  readonly series: readonly SeriesKey[];
  /** A snapshot of the figures. */
  readonly stats: RelayStats;
  /** ms from each close instant's first final kline to its statement's commit (last 10,000). */
  flushLatencies(): number[];
  /** True when connected, nothing is backfilling, waiting or being written. */
  idle(): boolean;
  /** Flushes pending candles, closes connections, writes a last heartbeat. Idempotent. */
  stop(): Promise<StopReport>;
}

/**
 * Starts the relay (see the module doc). Reads the tracked series first when none are given;
 * throws when there are none or the database cannot be read. Everything else (Binance down, the
 * database away later, bad messages) is logged, counted and retried, never thrown.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const keys = options.series ?? await trackedSeries(options.sql);
  if (keys.length === 0) {
    throw new Error(
      "no series to stream: api.tracked_series is empty (activate a symbol) and none were given",
    );
  }
  const relay = new RelayProcess(options, keys);
  relay.start();
  return relay;
}

const LOG_EVERY = 1000;

class RelayProcess implements Relay {
  readonly #o: Required<Omit<RelayOptions, "series" | "rest" | "log">>;
  readonly #sql: Sql;
  readonly #log: Logger;
  readonly #rest: BinanceRest;
  readonly #fromDb: boolean;
  readonly #states = new Map<string, SeriesState>();
  readonly #shardOf = new Map<string, StreamShard>();
  readonly #shards: StreamShard[] = [];
  readonly #batcher: CloseBatcher;
  readonly #writer: IngestWriter;
  readonly #abort = new AbortController();
  readonly #runs = new Set<Promise<void>>();
  readonly #latencies: number[] = [];
  readonly #s: RelayStats;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  readonly #missingTimers = new Set<ReturnType<typeof setTimeout>>();
  /** Close instants with a missing-final check pending. */
  readonly #watched = new Set<number>();
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #stopping: Promise<StopReport> | null = null;
  /** Latest close instant (ms) of any final kline received: the stream's clock. */
  #streamClock: number | null = null;
  /**
   * Latest close instant (ms) whose missing-final watch has run: REST rows of candles that closed
   * by then are taken as final (see the module doc).
   */
  #trusted = -Infinity;

  constructor(o: RelayOptions, keys: SeriesKey[]) {
    this.#o = {
      sql: o.sql,
      wsUrl: o.wsUrl ?? BINANCE_WS_URL,
      restUrl: o.restUrl ?? BINANCE_REST_URLS.dataApi,
      relayId: o.relayId ?? "relay",
      microseconds: o.microseconds ?? false,
      maxStreamsPerConnection: Math.min(1024, o.maxStreamsPerConnection ?? 1024),
      maxUrlStreams: o.maxUrlStreams ?? 200,
      flushWaitMs: o.flushWaitMs ?? 250,
      missingFinalMs: o.missingFinalMs ?? 10_000,
      holdUnconfirmedMs: o.holdUnconfirmedMs ?? 300_000,
      quietMaxMs: o.quietMaxMs ?? QUIET_MAX_MS,
      heartbeatMs: Math.min(30_000, o.heartbeatMs ?? 15_000),
      backoff: o.backoff ?? {},
      renewAfterMs: o.renewAfterMs ?? 23 * 3_600_000,
      silenceMs: o.silenceMs ?? 90_000,
      initialCandles: o.initialCandles ?? 1000,
      backfillConcurrency: o.backfillConcurrency ?? 4,
      backfillBatchRows: o.backfillBatchRows ?? 5000,
      refreshSeriesMs: o.refreshSeriesMs ?? 60_000,
      shutdownTimeoutMs: o.shutdownTimeoutMs ?? 10_000,
    };
    this.#sql = o.sql;
    this.#fromDb = o.series === undefined;
    const relayId = this.#o.relayId;
    const base = o.log ?? consoleLogger(true);
    this.#log = (e) => base({ ...e, relay: relayId });
    this.#rest = o.rest ?? new BinanceRest({
      baseUrl: this.#o.restUrl,
      microseconds: this.#o.microseconds,
      onEvent: (ev) =>
        this.#log({
          level: "warn",
          msg: ev.type === "retry"
            ? "Binance REST retry"
            : ev.type === "rate-limit"
            ? "Binance REST rate limit: waiting Retry-After"
            : "Binance REST weight budget reached: waiting for the next minute",
          status: ev.status,
          waitMs: ev.waitMs,
          detail: ev.detail,
        }),
    });
    this.#s = {
      series: 0,
      connections: 0,
      connectionsReady: 0,
      messages: 0,
      klineMessages: 0,
      finalKlines: 0,
      duplicates: 0,
      lateCandles: 0,
      gaps: 0,
      missingFinals: 0,
      heldBack: 0,
      quietSeries: 0,
      quietChecks: 0,
      malformed: 0,
      unknownMessages: 0,
      serverShutdowns: 0,
      reconnects: 0,
      renewals: 0,
      disconnects: 0,
      instantsFlushed: {},
      ingestStatements: 0,
      instantStatements: 0,
      backfillStatements: 0,
      candlesWritten: 0,
      candlesInserted: 0,
      candlesUpdated: 0,
      rejectedCandles: 0,
      backfillRuns: 0,
      backfillReruns: 0,
      backfilledCandles: 0,
      errors: {},
      lastError: null,
      pendingInstants: 0,
      pendingWrites: 0,
      lastMessageTime: null,
    };
    this.#writer = new IngestWriter({
      sql: this.#sql,
      log: this.#log,
      onWritten: (w) => this.#written(w),
      onError: (m) => this.#error("database", m),
    });
    this.#batcher = new CloseBatcher({
      waitMs: this.#o.flushWaitMs,
      expected: (instant) => this.#expected(instant),
      flush: (b) => this.#flush(b),
    });
    for (const k of keys) this.#states.set(streamName(k), new SeriesState(k));
  }

  get series(): readonly SeriesKey[] {
    return [...this.#states.values()].filter((s) => !s.removed).map((s) => s.key);
  }

  get stats(): RelayStats {
    return {
      ...this.#s,
      errors: { ...this.#s.errors },
      instantsFlushed: { ...this.#s.instantsFlushed },
      series: this.series.length,
      quietSeries: this.#quiet().length,
      connections: this.#shards.length,
      connectionsReady: this.#shards.filter((s) => s.state === "ready").length,
      reconnects: this.#shards.reduce((n, s) => n + s.reconnects, 0),
      renewals: this.#shards.reduce((n, s) => n + s.renewals, 0),
      pendingInstants: this.#batcher.pending,
      pendingWrites: this.#writer.pending,
    };
  }

  flushLatencies(): number[] {
    return [...this.#latencies];
  }

  idle(): boolean {
    return this.#shards.every((s) => s.state === "ready") && this.#runs.size === 0 &&
      this.#batcher.pending === 0 && this.#writer.pending === 0 &&
      [...this.#states.values()].every((s) => s.phase === "live" || s.removed);
  }

  start(): void {
    this.#log({
      level: "info",
      msg: "relay starting",
      series: this.#states.size,
      wsUrl: this.#o.wsUrl,
      restUrl: this.#rest.baseUrl,
    });
    this.#addShards([...this.#states.values()]);
    this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), this.#o.heartbeatMs);
    if (this.#fromDb && this.#o.refreshSeriesMs > 0) {
      this.#refreshTimer = setInterval(() => void this.#refresh(), this.#o.refreshSeriesMs);
    }
    void this.#heartbeat();
  }

  stop(): Promise<StopReport> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopReport> {
    clearInterval(this.#heartbeatTimer);
    clearInterval(this.#refreshTimer);
    for (const t of this.#missingTimers) clearTimeout(t);
    this.#missingTimers.clear();
    this.#watched.clear();
    this.#abort.abort();
    await Promise.all(this.#shards.map((s) => s.stop()));
    this.#batcher.flushAll();
    await Promise.allSettled([...this.#runs]);
    let droppedBuffered = 0;
    for (const st of this.#states.values()) {
      droppedBuffered += st.buffer.size;
      st.buffer.clear();
    }
    const unsaved = await this.#writer.drain(this.#o.shutdownTimeoutMs);
    await this.#heartbeat();
    this.#log({
      level: unsaved ? "error" : "info",
      msg: "relay stopped",
      unsaved,
      droppedBuffered,
      candlesWritten: this.#s.candlesWritten,
    });
    return { unsaved, droppedBuffered };
  }

  #addShards(states: SeriesState[]): void {
    const events: ShardEvents = {
      onMessage: (text, shard) => this.#message(text, shard),
      onReady: (shard, gap) => {
        if (gap) {
          this.#backfill(shard.streams.map((s) => this.#states.get(s) as SeriesState), "connected");
        }
      },
      onDown: (shard, reason) => {
        this.#s.disconnects++;
        this.#error("stream", `connection ${shard.id}: ${reason}`);
      },
      log: this.#log,
    };
    const opts: ShardOptions = {
      wsUrl: this.#o.wsUrl,
      microseconds: this.#o.microseconds,
      maxUrlStreams: this.#o.maxUrlStreams,
      subscribeChunk: 200,
      renewAfterMs: this.#o.renewAfterMs,
      silenceMs: this.#o.silenceMs,
      ackTimeoutMs: 10_000,
      backoff: this.#o.backoff,
    };
    for (const group of shardsOf(states, this.#o.maxStreamsPerConnection)) {
      const shard = new StreamShard(
        this.#shards.length + 1,
        group.map((s) => s.stream),
        opts,
        events,
      );
      this.#shards.push(shard);
      for (const s of group) this.#shardOf.set(s.stream, shard);
      shard.start();
    }
  }

  #message(text: string, shard: StreamShard): void {
    this.#s.messages++;
    this.#s.lastMessageTime = Date.now();
    // Most kline events are non-final updates (one every 2 s per stream, one final per interval):
    // they are not stored, so they are not parsed either (Binance sends compact JSON).
    if (text.includes('"x":false')) {
      this.#s.klineMessages++;
      return;
    }
    const m = classifyMessage(text);
    switch (m.kind) {
      case "kline":
        this.#kline(m.kline);
        return;
      case "control":
        shard.ack(m.id, m.error);
        if (m.error !== null) this.#error("stream", `control message refused: ${m.error}`);
        return;
      case "shutdown":
        this.#s.serverShutdowns++;
        this.#log({
          level: "info",
          msg: "serverShutdown received; renewing the connection",
          shard: shard.id,
        });
        shard.renew("serverShutdown");
        return;
      case "unknown":
        this.#s.unknownMessages++;
        if (this.#s.unknownMessages <= 10 || this.#s.unknownMessages % LOG_EVERY === 0) {
          this.#log({
            level: "warn",
            msg: "unknown message ignored",
            what: m.what,
            count: this.#s.unknownMessages,
          });
        }
        return;
      case "malformed":
        this.#s.malformed++;
        if (this.#s.malformed <= 10 || this.#s.malformed % LOG_EVERY === 0) {
          this.#log({
            level: "warn",
            msg: "malformed message ignored",
            error: m.error,
            count: this.#s.malformed,
          });
        }
        return;
    }
  }

  #kline(k: WsKline): void {
    this.#s.klineMessages++;
    if (!k.closed) return;
    this.#s.finalKlines++;
    const st = this.#states.get(streamName(k));
    if (!st || st.removed) {
      this.#s.unknownMessages++;
      return;
    }
    if (st.quiet.quiet) this.#endQuiet(st, "a final kline arrived");
    const t = k.candle.openTime;
    const closes = nextOpenTime(t, st.key.interval);
    if (this.#streamClock === null || closes > this.#streamClock) {
      this.#streamClock = closes;
      this.#watchMissing(closes);
    }
    if (st.has(t) || st.buffer.has(t)) {
      this.#s.duplicates++;
      return;
    }
    if (st.phase === "backfilling") {
      st.buffer.set(t, k.candle);
      return;
    }
    if (st.accepted !== null && t > nextOpenTime(st.accepted, st.key.interval)) {
      this.#s.gaps++;
      this.#log({
        level: "warn",
        msg: "stream skipped candles; backfilling the series",
        series: seriesName(st.key),
        after: st.accepted,
        got: t,
      });
      st.buffer.set(t, k.candle);
      this.#backfill([st], "gap");
      return;
    }
    if (st.accepted !== null && t < st.accepted) this.#s.lateCandles++;
    st.accept(t);
    this.#batcher.add(st.stream, {
      symbol: st.key.symbol,
      interval: st.key.interval,
      candle: k.candle,
    }, performance.now());
  }

  #expected(instant: number): string[] {
    const out: string[] = [];
    for (const st of this.#states.values()) {
      if (st.phase !== "live" || st.removed) continue;
      if (this.#shardOf.get(st.stream)?.state !== "ready") continue;
      if (isAligned(instant, st.key.interval)) out.push(st.stream);
    }
    return out;
  }

  #flush(b: InstantBatch): void {
    this.#s.instantsFlushed[b.reason] = (this.#s.instantsFlushed[b.reason] ?? 0) + 1;
    void this.#writer.write({ kind: "instant", rows: b.rows, firstAt: b.firstAt });
  }

  /**
   * The missing-final watch: `missingFinalMs` after the stream's clock reached close instant
   * `instant` (or a backfill held back a candle closing then), REST rows of candles closed by
   * `instant` become trusted, and every live series whose next candle had closed by then (its
   * close ≤ `instant`) but is still not in hand is backfilled (a final that arrives after all is
   * then a duplicate), except quiet series not yet due again (`quiet.ts`). One timer per
   * instant.
   */
  #watchMissing(instant: number): void {
    if (this.#o.missingFinalMs <= 0 || this.#abort.signal.aborted) return;
    if (this.#watched.has(instant)) return;
    this.#watched.add(instant);
    const timer = setTimeout(() => {
      this.#missingTimers.delete(timer);
      this.#watched.delete(instant);
      if (instant > this.#trusted) this.#trusted = instant;
      const missing = [...this.#states.values()].filter((st) =>
        st.phase === "live" && !st.removed && st.accepted !== null &&
        nextOpenTime(nextOpenTime(st.accepted, st.key.interval), st.key.interval) <= instant &&
        st.quiet.due(instant)
      );
      if (missing.length === 0) return;
      const active = missing.filter((st) => !st.quiet.quiet);
      this.#s.missingFinals += active.length;
      this.#s.quietChecks += missing.length - active.length;
      if (active.length > 0) {
        this.#log({
          level: "warn",
          msg: "final kline missing after its close; backfilling the series",
          series: active.map((st) => seriesName(st.key)),
          closeInstant: instant,
          waitedMs: this.#o.missingFinalMs,
        });
      }
      for (const st of missing) st.check = instant;
      this.#backfill(missing, "final missing");
    }, this.#o.missingFinalMs);
    this.#missingTimers.add(timer);
  }

  /**
   * A series' backfill is over (it goes live): a candle held back arms the watch for its close
   * instant; a check by the watch that found nothing newer makes the series quiet (or keeps it so,
   * waiting twice as long), one that found something ends a quiet spell.
   */
  #afterBackfill(st: SeriesState, outcome: BackfillOutcome): void {
    const { interval } = st.key;
    const held = outcome.held !== null && (st.accepted === null || outcome.held > st.accepted)
      ? outcome.held
      : null;
    if (held !== null) {
      this.#s.heldBack++;
      this.#watchMissing(nextOpenTime(held, interval));
    }
    const instant = st.check;
    st.check = null;
    if (instant === null || outcome.failed) return;
    const stillMissing = held === null && st.accepted !== null &&
      nextOpenTime(nextOpenTime(st.accepted, interval), interval) <= instant;
    if (outcome.fetched > 0 || !stillMissing) {
      if (st.quiet.quiet) this.#endQuiet(st, "REST has newer candles");
      return;
    }
    if (st.quiet.fruitless(instant, INTERVAL_MS[interval], this.#o.quietMaxMs)) {
      this.#log({
        level: "warn",
        msg: "final kline still missing and Binance REST has no newer candle (halted or " +
          "delisted?): checking this series less often (doubling waits) until a kline arrives",
        series: seriesName(st.key),
        newestOpenTime: st.accepted,
        closeInstant: instant,
        nextCheckAfterMs: st.quiet.backoffMs,
      });
    }
  }

  /** Ends a series' quiet spell and says so (once per spell). */
  #endQuiet(st: SeriesState, why: string): void {
    const { since, checks } = st.quiet;
    st.quiet.reset();
    this.#log({
      level: "info",
      msg: `quiet series active again (${why}); missing-final checks back to normal`,
      series: seriesName(st.key),
      quietSince: since,
      checks,
    });
  }

  /** Quiet series for the heartbeat: name, first fruitless check, current wait, checks so far. */
  #quiet(): { series: string; since: number | null; backoffMs: number; checks: number }[] {
    return [...this.#states.values()].filter((st) => !st.removed && st.quiet.quiet).map((st) => ({
      series: seriesName(st.key),
      since: st.quiet.since,
      backoffMs: st.quiet.backoffMs,
      checks: st.quiet.checks,
    }));
  }

  #written(w: Written): void {
    this.#s.ingestStatements++;
    if (w.job.kind === "instant") this.#s.instantStatements++;
    else this.#s.backfillStatements++;
    this.#s.candlesWritten += w.job.rows.length - w.rejected;
    this.#s.candlesInserted += w.result.inserted;
    this.#s.candlesUpdated += w.result.updated;
    this.#s.rejectedCandles += w.rejected;
    if (w.job.firstAt !== undefined) {
      this.#latencies.push(performance.now() - w.job.firstAt);
      if (this.#latencies.length > 10_000) {
        this.#latencies.splice(0, this.#latencies.length - 10_000);
      }
    }
  }

  /**
   * Starts a backfill run for those of `states` not in one; a series already in a run gets another
   * pass there (`rerun`): its cutoff may predate what the stream missed since (see backfill.ts).
   */
  #backfill(states: SeriesState[], reason: string): void {
    if (this.#abort.signal.aborted) return;
    const targets: SeriesState[] = [];
    let again = 0;
    for (const st of states) {
      if (st.removed) continue;
      if (st.inBackfill) {
        st.rerun = true;
        again++;
      } else {
        targets.push(st);
      }
    }
    if (again > 0) {
      this.#s.backfillReruns++;
      this.#log({
        level: "info",
        msg: "backfill already running; it makes another pass up to a newer server time",
        reason,
        series: again,
      });
    }
    if (targets.length === 0) return;
    for (const st of targets) {
      st.inBackfill = true;
      st.rerun = false;
      st.phase = "backfilling";
      this.#batcher.flushStream(st.stream);
    }
    this.#s.backfillRuns++;
    this.#log({ level: "info", msg: "backfill started", reason, series: targets.length });
    let live = 0;
    const run = backfillSeries(targets, {
      sql: this.#sql,
      rest: this.#rest,
      writer: this.#writer,
      log: this.#log,
      initialCandles: this.#o.initialCandles,
      concurrency: this.#o.backfillConcurrency,
      batchRows: this.#o.backfillBatchRows,
      holdUnconfirmedMs: this.#o.holdUnconfirmedMs,
      isFinal: (st, openTime) => nextOpenTime(openTime, st.key.interval) <= this.#trusted,
      onFetched: (n) => (this.#s.backfilledCandles += n),
      onError: (kind, m) => this.#error(kind, m),
      // Everything of this series is queued: its next stream candles queue behind it.
      onLive: (st, outcome) => {
        st.inBackfill = false;
        st.rerun = false;
        st.phase = "live";
        this.#afterBackfill(st, outcome);
        // Its next candle has closed by the stream's clock but its final was not buffered: watch
        // for it (a final skipped at the end of the buffer has no later candle to reveal it).
        if (st.accepted !== null && this.#streamClock !== null) {
          const closes = nextOpenTime(nextOpenTime(st.accepted, st.key.interval), st.key.interval);
          if (closes <= this.#streamClock) this.#watchMissing(this.#streamClock);
        }
        if (++live === targets.length) {
          this.#log({ level: "info", msg: "backfill done; series live", series: targets.length });
        }
      },
      signal: this.#abort.signal,
    });
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
  }

  #error(kind: string, message: string): void {
    this.#s.errors[kind] = (this.#s.errors[kind] ?? 0) + 1;
    this.#s.lastError = `${kind}: ${message}`;
  }

  async #heartbeat(): Promise<void> {
    const s = this.stats;
    const live = this.#shards.filter((sh) => sh.state === "ready").flatMap((sh) => sh.streams);
    try {
      await relayHeartbeat(this.#sql, {
        relayId: this.#o.relayId,
        streams: live,
        lastMessageTime: s.lastMessageTime,
        reconnects: s.reconnects,
        details: {
          series: s.series,
          connections: s.connections,
          connectionsReady: s.connectionsReady,
          messages: s.messages,
          finalKlines: s.finalKlines,
          candlesWritten: s.candlesWritten,
          candlesInserted: s.candlesInserted,
          backfilledCandles: s.backfilledCandles,
          backfillRuns: s.backfillRuns,
          backfillReruns: s.backfillReruns,
          ingestStatements: s.ingestStatements,
          duplicates: s.duplicates,
          lateCandles: s.lateCandles,
          gaps: s.gaps,
          missingFinals: s.missingFinals,
          heldBack: s.heldBack,
          quietChecks: s.quietChecks,
          quietSeries: this.#quiet(),
          malformed: s.malformed,
          unknownMessages: s.unknownMessages,
          serverShutdowns: s.serverShutdowns,
          renewals: s.renewals,
          disconnects: s.disconnects,
          errors: s.errors,
          lastError: s.lastError,
          pendingInstants: s.pendingInstants,
          pendingWrites: s.pendingWrites,
        },
      });
    } catch (e) {
      this.#error("database", `heartbeat: ${(e as Error).message}`);
      this.#log({
        level: "warn",
        msg: "heartbeat failed",
        error: (e as Error).message.split("\n")[0],
      });
    }
  }

  async #refresh(): Promise<void> {
    let keys: SeriesKey[];
    try {
      keys = await trackedSeries(this.#sql);
    } catch (e) {
      this.#log({
        level: "warn",
        msg: "cannot re-read tracked series",
        error: (e as Error).message.split("\n")[0],
      });
      return;
    }
    const wanted = new Set(keys.map(streamName));
    const added: SeriesState[] = [];
    for (const k of keys) {
      const name = streamName(k);
      const st = this.#states.get(name);
      if (st === undefined) {
        const fresh = new SeriesState(k);
        this.#states.set(name, fresh);
        added.push(fresh);
      } else if (st.removed) {
        st.removed = false;
        this.#backfill([st], "tracked again");
      }
    }
    for (const st of this.#states.values()) {
      if (!wanted.has(st.stream) && !st.removed) {
        st.removed = true;
        this.#log({
          level: "info",
          msg: "series no longer tracked; ignoring it",
          series: seriesName(st.key),
        });
      }
    }
    if (added.length) {
      this.#log({
        level: "info",
        msg: "new tracked series; connecting",
        series: added.map((s) => seriesName(s.key)),
      });
      if (!this.#abort.signal.aborted) this.#addShards(added);
    }
  }
}

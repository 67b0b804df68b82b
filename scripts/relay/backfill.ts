/**
 * REST backfill: for a set of series, every candle that closed since the newest one stored (or the
 * last `initialCandles` when none is stored), fetched through the one REST client
 * (`binance_rest.ts`: ≤ 1,000 rows a call, weight budget, Retry-After, only closed candles by the
 * server's clock) and queued to the writer in batches of up to `batchRows` candles across series
 * (few statements, so few analyze wake-ups), each series in open-time order. Then the WebSocket
 * candles that waited in each series' buffer follow, in open-time order.
 *
 * If a buffered WebSocket candle is still ahead of the stored ones by more than one interval and
 * closed after the REST cutoff, the series gets another pass with a newer cutoff, so nothing is
 * skipped between REST and the stream (a real exchange gap stays a gap after that pass).
 */

import { INTERVAL_MS, nextOpenTime } from "../../shared/candles/intervals.ts";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { validateCandles } from "../../shared/candles/validate.ts";
import { BinanceError, type BinanceRest } from "../../supabase/functions/_shared/binance_rest.ts";
import {
  type SeriesCandle,
  seriesHeads,
  seriesName,
} from "../../supabase/functions/_shared/db_api.ts";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import type { LogEntry } from "../lib/cli/log.ts";
import type { SeriesState } from "./series.ts";
import type { IngestWriter, Written } from "./writer.ts";

/** What a backfill needs. */
export interface BackfillContext {
  sql: Sql;
  rest: BinanceRest;
  writer: IngestWriter;
  log(entry: LogEntry): void;
  /** Candles fetched when a series has none stored (default 1,000). */
  initialCandles: number;
  /** Series fetched at once (default 4). */
  concurrency: number;
  /** Most candles per ingest statement (default 5,000). */
  batchRows: number;
  /** Candles fetched from REST and queued. */
  onFetched(n: number): void;
  /** A failure (kind: "region" for 451, "rest", "data", "database"), with a one-line message. */
  onError(kind: string, message: string): void;
  signal: AbortSignal;
}

/** Queues rows in batches of `max`, keeping at most two batches in flight (backpressure). */
class RowSink {
  readonly #rows: SeriesCandle[] = [];
  readonly #inFlight: Promise<Written | null>[] = [];

  constructor(readonly writer: IngestWriter, readonly max: number) {}

  /** Adds a row; a full batch is queued at once. */
  push(row: SeriesCandle): void {
    this.#rows.push(row);
    if (this.#rows.length >= this.max) this.flush();
  }

  /** Waits while more than two batches are queued and not yet written. */
  async room(): Promise<void> {
    while (this.#inFlight.length > 2) await this.#inFlight.shift();
  }

  /** Queues what is collected (synchronously: later writes queue after it). */
  flush(): void {
    if (this.#rows.length === 0) return;
    this.#inFlight.push(this.writer.write({ kind: "backfill", rows: this.#rows.splice(0) }));
  }
}

/**
 * Backfills `states` (see the module doc). Each series' REST failure is reported through
 * `onError` and logged; the others carry on. Returns when every row, buffered ones included, is
 * QUEUED to the writer (not necessarily written): the caller may then mark the series live, and
 * their next candles queue behind. Resolves early (queuing nothing more) when `signal` aborts.
 */
export async function backfillSeries(
  states: readonly SeriesState[],
  ctx: BackfillContext,
): Promise<void> {
  const heads = await headsOf(states, ctx);
  if (heads === null) return;
  let cutoff: number;
  try {
    cutoff = await ctx.rest.serverTime(ctx.signal);
  } catch (e) {
    report(e, "all series", ctx);
    queueBuffered(states, new RowSink(ctx.writer, ctx.batchRows));
    return;
  }
  const sink = new RowSink(ctx.writer, ctx.batchRows);
  let todo = [...states];
  for (let pass = 0; pass < 3 && todo.length && !ctx.signal.aborted; pass++) {
    const queue = [...todo];
    const worker = async () => {
      for (let st = queue.shift(); st; st = queue.shift()) {
        if (ctx.signal.aborted) return;
        const head = max(heads.get(st.stream) ?? null, st.accepted);
        const start = head !== null
          ? nextOpenTime(head, st.key.interval)
          : cutoff - ctx.initialCandles * INTERVAL_MS[st.key.interval];
        await fetchInto(st, start, cutoff, sink, ctx);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, queue.length) }, worker));
    // A buffered stream candle still ahead of what is stored, closed after this pass's cutoff:
    // candles between them closed after the cutoff too, and the stream may have missed them.
    todo = todo.filter((st) => {
      const first = Math.min(...st.buffer.keys());
      const c = st.buffer.get(first);
      return c !== undefined && st.accepted !== null &&
        first > nextOpenTime(st.accepted, st.key.interval) && (c.closeTime ?? first) >= cutoff;
    });
    if (todo.length) {
      try {
        cutoff = await ctx.rest.serverTime(ctx.signal);
      } catch (e) {
        report(e, "all series", ctx);
        break;
      }
    }
  }
  if (ctx.signal.aborted) return;
  queueBuffered(states, sink);
}

/** Newest stored open time per stream, retried while the database is unreachable; null if aborted. */
async function headsOf(
  states: readonly SeriesState[],
  ctx: BackfillContext,
): Promise<Map<string, number | null> | null> {
  let delay = 500;
  for (;;) {
    try {
      const heads = await seriesHeads(ctx.sql, states.map((s) => s.key));
      const byStream = new Map<string, number | null>();
      for (const h of heads) {
        byStream.set(
          states.find((s) => s.key.symbol === h.symbol && s.key.interval === h.interval)?.stream ??
            "",
          h.lastOpenTime,
        );
      }
      return byStream;
    } catch (e) {
      ctx.onError("database", oneLine(e));
      ctx.log({
        level: "warn",
        msg: "cannot read stored heads; retrying",
        error: oneLine(e),
        delayMs: delay,
      });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(30_000, delay * 2);
      if (ctx.signal.aborted) return null;
    }
  }
}

async function fetchInto(
  st: SeriesState,
  start: number,
  cutoff: number,
  sink: RowSink,
  ctx: BackfillContext,
): Promise<void> {
  const { symbol, interval } = st.key;
  let n = 0;
  try {
    for await (
      const rows of ctx.rest.closedKlines({
        symbol,
        interval,
        startTime: start,
        serverTime: cutoff,
        signal: ctx.signal,
      })
    ) {
      const candles = parseRestKlines(rows);
      validateCandles(candles, interval);
      for (const candle of candles) {
        if (!st.accept(candle.openTime)) continue;
        n++;
        sink.push({ symbol, interval, candle });
      }
      await sink.room();
    }
  } catch (e) {
    if (!(e instanceof BinanceError && e.kind === "aborted")) report(e, seriesName(st.key), ctx);
  } finally {
    if (n > 0) {
      ctx.onFetched(n);
      ctx.log({ level: "info", msg: "backfilled", series: seriesName(st.key), candles: n });
    }
  }
}

/** Queues each series' buffered stream candles that are not yet stored, oldest first. */
function queueBuffered(states: readonly SeriesState[], sink: RowSink): void {
  for (const st of states) {
    const times = [...st.buffer.keys()].sort((a, b) => a - b);
    for (const t of times) {
      const candle = st.buffer.get(t);
      if (candle && st.accept(t)) {
        sink.push({ symbol: st.key.symbol, interval: st.key.interval, candle });
      }
    }
    st.buffer.clear();
  }
  sink.flush();
}

function report(e: unknown, what: string, ctx: BackfillContext): void {
  const msg = oneLine(e);
  const kind = e instanceof BinanceError ? (e.kind === "region" ? "region" : "rest") : "data";
  ctx.onError(kind, msg);
  ctx.log({
    level: "error",
    msg: kind === "region"
      ? "backfill impossible: Binance refuses this host's location (HTTP 451); run the relay where Binance serves (README); the gap is left for the backfill function"
      : "backfill failed; the gap is left for gap repair (private.detect_gaps -> backfill function)",
    series: what,
    error: msg,
  });
}

function max(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

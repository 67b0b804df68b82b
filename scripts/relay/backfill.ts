/**
 * REST backfill: for a set of series, every candle that closed since the newest one stored (or the
 * last `initialCandles` when none is stored), fetched through the one REST client
 * (`binance_rest.ts`: ≤ 1,000 rows a call, weight budget, Retry-After, only closed candles by the
 * server's clock) and queued to the writer in batches of up to `batchRows` candles across series
 * (few statements, so few analyze wake-ups), each series in open-time order. Then the WebSocket
 * candles that waited in each series' buffer follow, in open-time order, and the series goes live.
 *
 * A run works in passes. Each pass reads the server time (the cutoff) AFTER clearing the series'
 * `rerun` flags, then fetches every closed candle up to it. A series makes another pass when
 * - a reconnect asked for one while the pass ran (`rerun`): candles that closed while the stream
 *   was down may have closed after the cutoff, so only a newer cutoff covers them; or
 * - merging its buffered stream candles runs into a hole (a buffered candle more than one interval
 *   after the newest accepted one) that this pass's cutoff did not cover. A hole REST did cover is
 *   an exchange gap (Binance has no such candle) and stays a gap.
 * So a series goes live only when REST has covered everything up to a cutoff read after its last
 * reconnect and its buffered candles follow without an uncovered hole. After `HOLE_PASSES` passes
 * that find a hole again (finals skipped faster than passes catch up, or REST's clock behind the
 * stream's), the series goes live before the hole and drops the candles buffered after it: its
 * next final reveals the gap (a new backfill from the hole), and the relay's missing-final watch
 * does when none comes. The same watch catches a final skipped after the last buffered candle,
 * which no later candle has revealed yet. A series whose REST fetch fails after the client's own
 * retries goes live with what it has; its gap is left to gap repair (`private.detect_gaps` → the
 * `backfill` function), as the error log says.
 *
 * REST's newest row is stored only when it is safe: around a close Binance's REST view can lag its
 * clock, serving the candle that just closed with its last in-progress values and without the next
 * one. So a newest row that Binance does not yet follow with the next candle is held back
 * (`holdUnconfirmedMs` through the REST client's `closedKlines`) unless the caller knows it final
 * (`isFinal`: the relay's stream clock passed its close long enough ago). REST's coverage of that
 * series then ends before the held candle: the stream's final of it is queued from the buffer as
 * usual, and a hole at it is not taken for an exchange gap. The caller hears of the held candle in
 * {@link BackfillOutcome}.
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

/**
 * Extra passes a series gets for buffered candles ahead of an uncovered hole without any reconnect;
 * after that it goes live before the hole (see {@link backfillSeries}).
 */
const HOLE_PASSES = 3;

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
  /**
   * REST's newest candle, while Binance does not follow it with the next one, is held back until
   * Binance's clock is this far past its close (ms)...
   */
  holdUnconfirmedMs: number;
  /** ...unless this says it is final by other evidence (see the module doc). */
  isFinal(st: SeriesState, openTime: number): boolean;
  /** Candles fetched from REST and queued. */
  onFetched(n: number): void;
  /** A failure (kind: "region" for 451, "rest", "data", "database"), with a one-line message. */
  onError(kind: string, message: string): void;
  /**
   * Called once per series when everything REST gave and its buffered candles are QUEUED to the
   * writer: the series may go live (its next stream candles queue behind). Not called on abort.
   */
  onLive(st: SeriesState, outcome: BackfillOutcome): void;
  signal: AbortSignal;
}

/** What a backfill run found for one series (over all its passes). */
export interface BackfillOutcome {
  /** Candles REST gave that were queued. */
  fetched: number;
  /** Open time (ms) of the candle held back by the last pass (not trusted yet), or null. */
  held: number | null;
  /** True when REST failed for it (reported through `onError`). */
  failed: boolean;
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
 * Backfills `states` (see the module doc); `ctx.onLive` is called for each as soon as it may go
 * live, possibly before the others. A series' REST failure is reported through `onError` and
 * logged; the others carry on. Returns when every series went live, or early (queuing nothing more,
 * calling no `onLive`) when `signal` aborts. Never throws.
 */
export async function backfillSeries(
  states: readonly SeriesState[],
  ctx: BackfillContext,
): Promise<void> {
  const sink = new RowSink(ctx.writer, ctx.batchRows);
  const pending = new Set(states);
  const outcomes = new Map<SeriesState, BackfillOutcome>(
    states.map((st) => [st, { fetched: 0, held: null, failed: false }]),
  );
  const live = (st: SeriesState) => {
    sink.flush();
    pending.delete(st);
    ctx.onLive(st, outcomes.get(st) as BackfillOutcome);
  };
  try {
    const heads = await headsOf(states, ctx);
    if (heads === null) return;
    // The newest stored candle is known (a stream copy of it is a duplicate) and is where REST
    // starts, unless the relay has accepted newer ones already (queued, maybe not yet stored).
    for (const st of states) {
      const head = heads.get(st.stream) ?? null;
      if (head !== null) st.accept(head);
    }
    const holePasses = new Map<SeriesState, number>();
    let todo = [...states];
    while (todo.length > 0 && !ctx.signal.aborted) {
      // Cleared BEFORE the cutoff is read: a reconnect from now on asks for another pass, one
      // before it is covered by this cutoff.
      for (const st of todo) st.rerun = false;
      let cutoff: number;
      try {
        cutoff = await ctx.rest.serverTime(ctx.signal);
      } catch (e) {
        if (ctx.signal.aborted) return;
        report(e, "all series", ctx);
        for (const st of todo) {
          queueBuffered(st, sink, null);
          live(st);
        }
        return;
      }
      // Per series: how far REST covered it (the cutoff, or less when its newest row was held).
      const covered = new Map<SeriesState, number>();
      const queue = [...todo];
      const worker = async () => {
        for (let st = queue.shift(); st; st = queue.shift()) {
          if (ctx.signal.aborted) return;
          const start = st.accepted !== null
            ? nextOpenTime(st.accepted, st.key.interval)
            : cutoff - ctx.initialCandles * INTERVAL_MS[st.key.interval];
          const got = await fetchInto(st, start, cutoff, sink, ctx);
          const outcome = outcomes.get(st) as BackfillOutcome;
          outcome.fetched += got.fetched;
          if (!got.complete) {
            outcome.failed = true;
            continue;
          }
          outcome.held = got.held;
          // A held candle was not covered: the candle before it is the last REST vouched for.
          covered.set(st, got.held === null ? cutoff : got.held + INTERVAL_MS[st.key.interval] - 1);
        }
      };
      await Promise.all(Array.from({ length: Math.min(ctx.concurrency, queue.length) }, worker));
      if (ctx.signal.aborted) return;
      const again: SeriesState[] = [];
      for (const st of todo) {
        const upTo = covered.get(st);
        if (upTo === undefined) {
          // REST failed for it (reported): store what the stream gave; gap repair does the rest.
          queueBuffered(st, sink, null);
          live(st);
          continue;
        }
        const hole = queueBuffered(st, sink, upTo);
        if (st.rerun) {
          again.push(st);
        } else if (hole !== null) {
          const n = (holePasses.get(st) ?? 0) + 1;
          holePasses.set(st, n);
          if (n <= HOLE_PASSES) {
            again.push(st);
            continue;
          }
          // The stream keeps skipping finals faster than the passes catch up (or the REST clock
          // lags the stream's). Go live up to the hole and drop the stream candles after it: the
          // series' next final then reveals the gap (a backfill from the hole), or, if none comes,
          // the missing-final watch does. Nothing after the hole is stored before the hole.
          ctx.log({
            level: "warn",
            msg: "stream candles still ahead of a hole after several passes; going live before it",
            series: seriesName(st.key),
            missingFrom: hole,
            dropped: st.buffer.size,
          });
          st.buffer.clear();
          live(st);
        } else {
          live(st);
        }
      }
      if (again.length > 0) {
        ctx.log({
          level: "info",
          msg: "backfill pass again up to a newer server time",
          series: again.map((st) => seriesName(st.key)),
          reconnected: again.filter((st) => st.rerun).length,
        });
      }
      todo = again;
    }
  } catch (e) {
    // Not expected (every known failure is handled above): report it and let the series go live.
    report(e, "all series", ctx);
  } finally {
    if (!ctx.signal.aborted) {
      for (const st of pending) {
        queueBuffered(st, sink, null);
        live(st);
      }
    }
  }
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

/**
 * Queues every closed candle of `st` from `start` up to `cutoff`, but REST's newest one while it
 * may still be stale (held, see the module doc). `complete` is true when REST answered for the
 * whole range, false when it failed (reported) or the run was aborted; `fetched` counts the
 * candles queued, `held` is the open time of the candle held back or null.
 */
async function fetchInto(
  st: SeriesState,
  start: number,
  cutoff: number,
  sink: RowSink,
  ctx: BackfillContext,
): Promise<{ complete: boolean; fetched: number; held: number | null }> {
  const { symbol, interval } = st.key;
  let n = 0;
  let held: number | null = null;
  try {
    for await (
      const rows of ctx.rest.closedKlines({
        symbol,
        interval,
        startTime: start,
        serverTime: cutoff,
        holdUnconfirmedMs: ctx.holdUnconfirmedMs,
        isFinal: (row) => ctx.isFinal(st, row[0]),
        onHeld: (row) => (held = row[0]),
        signal: ctx.signal,
      })
    ) {
      const candles = parseRestKlines(rows);
      validateCandles(candles, interval);
      for (const candle of candles) {
        // REST's row is the one stored; the same candle from the stream is dropped.
        st.buffer.delete(candle.openTime);
        if (!st.accept(candle.openTime)) continue;
        n++;
        sink.push({ symbol, interval, candle });
      }
      await sink.room();
    }
    return { complete: true, fetched: n, held };
  } catch (e) {
    if (!(e instanceof BinanceError && e.kind === "aborted")) report(e, seriesName(st.key), ctx);
    return { complete: false, fetched: n, held: null };
  } finally {
    if (n > 0) {
      ctx.onFetched(n);
      ctx.log({ level: "info", msg: "backfilled", series: seriesName(st.key), candles: n });
    }
  }
}

/**
 * Queues the series' buffered stream candles that are not yet stored, oldest first. With a
 * `cutoff` (the server time REST has covered up to), it stops at the first candle more than one
 * interval after the newest accepted one when the missing candle closed at or after the cutoff
 * (REST could not have had it yet), leaves it and the later ones buffered, and returns the open
 * time of the first missing candle; a hole REST covered is an exchange gap and is passed. Without
 * a cutoff everything buffered is queued. Returns null when nothing is left buffered.
 */
function queueBuffered(st: SeriesState, sink: RowSink, cutoff: number | null): number | null {
  const { symbol, interval } = st.key;
  const times = [...st.buffer.keys()].sort((a, b) => a - b);
  for (const t of times) {
    const candle = st.buffer.get(t);
    if (candle === undefined) continue;
    if (cutoff !== null && st.accepted !== null && t > nextOpenTime(st.accepted, interval)) {
      const missing = nextOpenTime(st.accepted, interval);
      if (nextOpenTime(missing, interval) > cutoff) return missing;
    }
    st.buffer.delete(t);
    if (st.accept(t)) sink.push({ symbol, interval, candle });
  }
  return null;
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

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * Groups final klines by close instant so that every series closing at the same moment is stored
 * by ONE `ingest_candles` statement (one analyze wake-up): a batch is flushed as soon as every
 * series expected at that instant has arrived, and at the latest `waitMs` after its first kline.
 *
 * A series' candle closing at instant I has open time `I - interval` (`nextOpenTime(openTime) = I`).
 * Flushing an instant first flushes every earlier pending instant, so each series' candles reach
 * the writer in open-time order. A kline for an instant already flushed (late) is flushed at once.
 */

import { nextOpenTime } from "../../shared/candles/intervals.ts";
import type { SeriesCandle } from "../../supabase/functions/_shared/db_api.ts";

/** One batch handed to the writer. */
export interface InstantBatch {
  /** Close instant (ms): the open time of the next candle. */
  instant: number;
  rows: SeriesCandle[];
  /** performance.now() when the instant's first final kline arrived. */
  firstAt: number;
  /** True when it holds a kline that arrived after its instant had been flushed. */
  late: boolean;
  /** Why it was flushed (set at flush). */
  reason: FlushReason;
}

/**
 * Why a batch was flushed: every expected series arrived ("complete"), `waitMs` passed
 * ("deadline"), a later instant was flushed first ("overtaken"), it was late ("late"), its series
 * started a backfill ("backfill"), or the relay stopped ("stop").
 */
export type FlushReason = "complete" | "deadline" | "overtaken" | "late" | "backfill" | "stop";

interface Pending {
  batch: InstantBatch;
  streams: Set<string>;
  timer: ReturnType<typeof setTimeout>;
}

/** Settings of {@link CloseBatcher}. */
export interface BatcherOptions {
  /** Longest wait after an instant's first kline (ms, default 250). */
  waitMs: number;
  /** The streams expected to close at `instant` (live series only). */
  expected(instant: number): Iterable<string>;
  /** Receives each batch, in instant order. */
  flush(batch: InstantBatch): void;
}

/** See the module doc. */
export class CloseBatcher {
  readonly #opts: BatcherOptions;
  readonly #pending = new Map<number, Pending>();
  #flushedThrough = -Infinity;

  constructor(opts: BatcherOptions) {
    this.#opts = opts;
  }

  /** Instants waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Adds the final candle of `row`'s series (identified by `stream`). */
  add(stream: string, row: SeriesCandle, arrivedAt: number): void {
    const instant = nextOpenTime(row.candle.openTime, row.interval);
    let p = this.#pending.get(instant);
    if (!p) {
      const late = instant <= this.#flushedThrough;
      p = {
        batch: { instant, rows: [], firstAt: arrivedAt, late, reason: "deadline" },
        streams: new Set(),
        timer: setTimeout(
          () => this.#flushThrough(instant, "deadline"),
          late ? 0 : this.#opts.waitMs,
        ),
      };
      this.#pending.set(instant, p);
    }
    p.batch.rows.push(row);
    p.streams.add(stream);
    if (p.batch.late) {
      this.#flushThrough(instant, "late");
      return;
    }
    for (const s of this.#opts.expected(instant)) if (!p.streams.has(s)) return;
    this.#flushThrough(instant, "complete");
  }

  /** Flushes the pending instants that hold a candle of `stream` (and every earlier one). */
  flushStream(stream: string): void {
    let last = -Infinity;
    for (const [t, p] of this.#pending) if (p.streams.has(stream)) last = Math.max(last, t);
    if (last > -Infinity) this.#flushThrough(last, "backfill");
  }

  /** Flushes everything pending. */
  flushAll(): void {
    this.#flushThrough(Infinity, "stop");
  }

  /** Flushes every pending instant up to and including `instant`, oldest first. */
  #flushThrough(instant: number, reason: FlushReason): void {
    const due = [...this.#pending.keys()].filter((t) => t <= instant).sort((a, b) => a - b);
    for (const t of due) {
      const p = this.#pending.get(t) as Pending;
      this.#pending.delete(t);
      clearTimeout(p.timer);
      this.#flushedThrough = Math.max(this.#flushedThrough, t);
      p.batch.reason = t === instant || reason === "stop" || reason === "backfill"
        ? reason
        : "overtaken";
      this.#opts.flush(p.batch);
    }
  }
}

/**
 * The relay's one path into the database: a FIFO queue of candle batches, each written by ONE
 * `api.ingest_candles` statement (`ingestCandles` in db_api.ts), one statement at a time, so each
 * series' candles are stored in the order they were queued.
 *
 * - The database unreachable, restarting or timing out: the batch at the head is retried with
 *   backoff (1 s doubling to 30 s) until it is written; nothing behind it overtakes it, nothing is
 *   dropped.
 * - The database rejecting the batch's data (SQLSTATE class 22/23 or a raised P0001, e.g. a symbol
 *   removed from `public.symbols`): the batch is retried row by row so the good rows are stored and
 *   each refused row is logged once and counted.
 */

import type { IngestResult, SeriesCandle } from "../../supabase/functions/_shared/db_api.ts";
import { ingestCandles, seriesName } from "../../supabase/functions/_shared/db_api.ts";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import type { LogEntry } from "../lib/cli/log.ts";

/** Why a batch is written (for figures and logs). */
export type WriteKind = "instant" | "backfill";

/** A batch to write. */
export interface WriteJob {
  kind: WriteKind;
  rows: SeriesCandle[];
  /** performance.now() of the close instant's first final kline (instant batches). */
  firstAt?: number;
}

/** What the writer did with a batch. */
export interface Written {
  job: WriteJob;
  result: IngestResult;
  /** Rows the database refused (logged). */
  rejected: number;
}

interface Queued {
  job: WriteJob;
  done: PromiseWithResolvers<Written | null>;
}

/** Settings of {@link IngestWriter}. */
export interface WriterOptions {
  sql: Sql;
  log(entry: LogEntry): void;
  /** Called after each batch is committed. */
  onWritten(w: Written): void;
  /** Called on every failed attempt (the error's message). */
  onError(message: string): void;
  /** First retry delay (ms, default 1,000) and the longest (default 30,000). */
  retryMs?: number;
  retryMaxMs?: number;
}

/** See the module doc. */
export class IngestWriter {
  readonly #opts: WriterOptions;
  readonly #queue: Queued[] = [];
  #running = false;
  #abandon = false;
  #wake: (() => void) | null = null;

  constructor(opts: WriterOptions) {
    this.#opts = opts;
  }

  /** Batches waiting or being written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Candles waiting or being written. */
  get pendingRows(): number {
    return this.#queue.reduce((n, q) => n + q.job.rows.length, 0);
  }

  /**
   * Queues a batch; resolves once it is committed (null if the writer was abandoned first).
   * Empty batches resolve at once without a statement.
   */
  write(job: WriteJob): Promise<Written | null> {
    if (job.rows.length === 0) {
      return Promise.resolve({
        job,
        result: { inserted: 0, updated: 0, unchanged: 0 },
        rejected: 0,
      });
    }
    const done = Promise.withResolvers<Written | null>();
    this.#queue.push({ job, done });
    if (!this.#running) this.#run();
    return done.promise;
  }

  /**
   * Waits until everything queued is written, at most `timeoutMs`; then abandons what is left
   * (their promises resolve null). Returns the number of candles abandoned.
   */
  async drain(timeoutMs: number): Promise<number> {
    const last = this.#queue.at(-1);
    if (!last) return 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const r = await Promise.race([last.done.promise.then(() => "done" as const), timedOut]);
    clearTimeout(timer);
    if (r === "done") return 0;
    const left = this.pendingRows;
    this.#abandon = true;
    this.#wake?.();
    for (const q of this.#queue.splice(0)) q.done.resolve(null);
    return left;
  }

  async #run(): Promise<void> {
    this.#running = true;
    let delay = this.#opts.retryMs ?? 1000;
    let failing = false;
    while (this.#queue.length && !this.#abandon) {
      const q = this.#queue[0];
      try {
        const written = await this.#write(q.job);
        if (this.#abandon) break;
        this.#queue.shift();
        if (failing) this.#opts.log({ level: "info", msg: "database writes resumed" });
        failing = false;
        delay = this.#opts.retryMs ?? 1000;
        this.#opts.onWritten(written);
        q.done.resolve(written);
      } catch (e) {
        const msg = errorText(e);
        this.#opts.onError(msg);
        if (!failing) {
          this.#opts.log({
            level: "error",
            msg: "database write failed; retrying",
            error: msg,
            candles: this.pendingRows,
          });
        }
        failing = true;
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          this.#wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this.#wake = null;
        delay = Math.min(this.#opts.retryMaxMs ?? 30_000, delay * 2);
      }
    }
    this.#running = false;
  }

  /** One statement; on a data error, row by row (refused rows logged and skipped). */
  async #write(job: WriteJob): Promise<Written> {
    try {
      return { job, result: await ingestCandles(this.#opts.sql, job.rows), rejected: 0 };
    } catch (e) {
      if (!isDataError(e)) throw e;
      if (job.rows.length === 1) {
        this.#refused(job.rows[0], e);
        return { job, result: { inserted: 0, updated: 0, unchanged: 0 }, rejected: 1 };
      }
    }
    const sum: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
    let rejected = 0;
    for (const row of job.rows) {
      try {
        const r = await ingestCandles(this.#opts.sql, [row]);
        sum.inserted += r.inserted;
        sum.updated += r.updated;
        sum.unchanged += r.unchanged;
      } catch (e) {
        if (!isDataError(e)) throw e;
        this.#refused(row, e);
        rejected++;
      }
    }
    return { job, result: sum, rejected };
  }

  #refused(row: SeriesCandle, e: unknown): void {
    this.#opts.onError(errorText(e));
    this.#opts.log({
      level: "error",
      msg: "database refused a candle; skipped",
      series: seriesName(row),
      openTime: row.candle.openTime,
      error: errorText(e),
    });
  }
}

/** True for a database error about the data (SQLSTATE class 22, 23, or P0001 from the SQL API). */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  const isPg = (e as { name?: unknown })?.name === "PostgresError";
  return isPg && typeof code === "string" && (/^2[23]/.test(code) || code === "P0001");
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0];
}

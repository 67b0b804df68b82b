/**
 * One poll of the zero-server ingest mode: the candles of the tracked series that have closed since
 * the newest stored ones, fetched from Binance REST and stored in ONE `ingest_candles` statement (so
 * `analyze` is woken once for all of them). What happens, in order:
 *
 * 1. Binance's clock (`GET /api/v3/time`, weight 1), never the local one: the run targets the close
 *    instant at the start of the current minute (a wake-up less than {@link EARLY_MS} before a minute
 *    starts targets that minute) and waits until Binance's clock is `delayMs` past it (setting
 *    poll_delay_ms), then reads the clock again. That time is the cutoff: a candle counts as closed
 *    when its close time is before it.
 * 2. The tracked series and their newest stored candles (`api.series_heads`); a series is due when the
 *    candle after its newest one has closed by the cutoff, or when it has none stored.
 * 3. For each due series (at most {@link PollOptions.concurrency} at once): every closed candle from
 *    its newest stored one on (that one again, so a candle Binance changed after it was stored is
 *    corrected: the database re-analyses it), or its last {@link PollOptions.initialCandles} candles,
 *    at most {@link PollOptions.maxPages} pages of 1,000. A closed candle Binance does not yet follow
 *    with the next one (its REST view lags its clock) is held back for the next run, unless
 *    {@link HOLD_UNCONFIRMED_MS} have passed since its close.
 * 4. Everything fetched goes into one `ingest_candles` statement; the run's figures and errors go to
 *    `api.ingest_report` (relay_status row `ingest`, shown by /status).
 *
 * A series that fails (451, 429 beyond the wait allowed, 5xx after retries, a bad answer) is simply
 * still due at the next run, which fetches everything since its newest stored candle: nothing is
 * lost, and nothing is stored twice (`ingest_candles` is idempotent).
 */

import { INTERVAL_MS, nextOpenTime } from "../../../shared/candles/intervals.ts";
import { parseRestKlines } from "../../../shared/candles/rest_klines.ts";
import { validateCandles } from "../../../shared/candles/validate.ts";
import {
  BinanceError,
  BinanceRateLimitError,
  BinanceRest,
  type BinanceRestEvent,
  KLINES_WEIGHT,
  TIME_WEIGHT,
} from "../_shared/binance_rest.ts";
import {
  ingestCandles,
  ingestReport,
  type IngestResult,
  type IngestRunReport,
  type SeriesCandle,
  type SeriesHead,
  seriesHeads,
  seriesName,
  streamName,
} from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";
import { errorLine } from "../_shared/log.ts";

const MINUTE = 60_000;

/** A wake-up this close before a minute starts (Binance's clock) waits for that minute's closes. */
export const EARLY_MS = 10_000;

/**
 * How long after its close a candle that Binance has not yet followed with the next one is held back
 * (5 minutes); after that it is stored as final: trading stopped (an outage, a delisting).
 */
export const HOLD_UNCONFIRMED_MS = 5 * MINUTE;

/** Longest 429/418 Retry-After a run waits out (20 s); a longer one ends the run and pauses the job. */
export const MAX_RETRY_AFTER_MS = 20_000;

/** Options of {@link pollClosedCandles}. */
export interface PollOptions {
  /** Why the run happens (the wake-up's reason). */
  reason: string;
  /** Wait this long after the close instant, by Binance's clock, before fetching (ms). */
  delayMs: number;
  /** Wall time the run may take (ms, default 45,000: less than the job's minute). */
  budgetMs?: number;
  /** Candles fetched for a series with none stored (default: env INGEST_INITIAL_CANDLES, 1,000). */
  initialCandles?: number;
  /** Pages of at most 1,000 candles fetched per series per run (default 2). */
  maxPages?: number;
  /** Series fetched at once (default 5). */
  concurrency?: number;
}

/** What one run did, and the runs recorded so far (null when the report could not be written). */
export interface PollResult {
  report: IngestRunReport;
  stored: IngestResult;
  runs: number | null;
}

/** REST figures of the runs in progress: every request and wait counts toward each of them. */
interface RunCounter {
  calls: number;
  weight: number;
  waits: Record<string, number>;
}

/**
 * One Binance REST client per function instance and base URL, so that runs share the weight budget
 * and any Retry-After (the client never calls during one); its requests and waits are counted for
 * the runs in progress.
 */
interface Client {
  rest: BinanceRest;
  active: Set<RunCounter>;
}

const clients = new WeakMap<Deps, Map<string, Client>>();

function clientFor(deps: Deps): Client {
  const base = deps.env.BINANCE_REST_URL;
  let byUrl = clients.get(deps);
  if (!byUrl) clients.set(deps, byUrl = new Map());
  const known = byUrl.get(base);
  if (known) return known;
  const active = new Set<RunCounter>();
  const counted: typeof fetch = (input, init) => {
    const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
    const weight = path.endsWith("/klines") ? KLINES_WEIGHT : TIME_WEIGHT;
    for (const c of active) {
      c.calls++;
      c.weight += weight;
    }
    return deps.fetch(input, init);
  };
  const kinds: Record<BinanceRestEvent["type"], string> = {
    "rate-limit": "rate_limit",
    retry: "retry",
    "weight-wait": "weight",
  };
  const client: Client = {
    active,
    rest: new BinanceRest({
      baseUrl: base,
      fetch: counted,
      maxAttempts: 3,
      maxRetryAfterMs: MAX_RETRY_AFTER_MS,
      timeoutMs: 10_000,
      onEvent: (e) => {
        for (const c of active) c.waits[kinds[e.type]] = (c.waits[kinds[e.type]] ?? 0) + 1;
      },
    }),
  };
  byUrl.set(base, client);
  return client;
}

/** The failure kind a report counts an error under. */
function errorKind(e: unknown): string {
  if (e instanceof BinanceError) return e.kind === "aborted" ? "timeout" : e.kind;
  if (e instanceof Error && e.name === "CandleError") return "data";
  return "database";
}

/**
 * The close instant a run targets: the start of the minute Binance's clock `serverTime` (ms) is in,
 * or of the next minute when that is less than {@link EARLY_MS} away.
 */
export function targetCloseInstant(serverTime: number): number {
  return Math.floor((serverTime + EARLY_MS) / MINUTE) * MINUTE;
}

/** True when a series whose newest stored candle opened at `head` has another closed candle by `cutoff`. */
export function isDue(head: SeriesHead, cutoff: number): boolean {
  if (head.lastOpenTime === null) return true;
  return nextOpenTime(nextOpenTime(head.lastOpenTime, head.interval), head.interval) <= cutoff;
}

/**
 * Runs one poll (see the module doc) and records it with `api.ingest_report`. Never throws: every
 * failure is counted in the report (a report that cannot be written is logged; `runs` is then null).
 */
export async function pollClosedCandles(deps: Deps, opts: PollOptions): Promise<PollResult> {
  const started = performance.now();
  const budgetMs = opts.budgetMs ?? 45_000;
  const maxPages = opts.maxPages ?? 2;
  const initial = opts.initialCandles ?? deps.env.INGEST_INITIAL_CANDLES;
  const { rest, active } = clientFor(deps);
  const counter: RunCounter = { calls: 0, weight: 0, waits: {} };
  active.add(counter);
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`run budget of ${budgetMs} ms spent`)),
    budgetMs,
  );
  const report: IngestRunReport = {
    reason: opts.reason,
    series: [],
    binance_answered: false,
    server_time: null,
    close_instant: null,
    delay_ms: opts.delayMs,
    waited_ms: 0,
    due: 0,
    fetched_series: 0,
    fetched: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    held_back: 0,
    behind: 0,
    rest_calls: 0,
    weight: 0,
    waits: {},
    errors: {},
    last_error: null,
    region_refused: false,
    retry_after_until: null,
    ms: 0,
  };
  const fail = (e: unknown, what: string) => {
    const kind = errorKind(e);
    report.errors[kind] = (report.errors[kind] ?? 0) + 1;
    report.last_error = `${what}: ${errorLine(e)}`;
    if (e instanceof BinanceError && e.kind === "region") report.region_refused = true;
    if (e instanceof BinanceRateLimitError) {
      report.retry_after_until = Math.max(
        report.retry_after_until ?? 0,
        deps.now() + e.retryAfterMs,
      );
    }
    deps.log.warn("ingest failed", { what, kind, error: errorLine(e) });
  };
  let stored: IngestResult = { inserted: 0, updated: 0, unchanged: 0 };
  const signal = deadline.signal;
  try {
    // 1. Binance's clock, the close instant, the wait.
    const headsRead = seriesHeads(deps.sql).then(
      (h) => ({ ok: true as const, heads: h }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
    let cutoff: number;
    try {
      cutoff = await rest.serverTime(signal);
      report.binance_answered = true;
      const instant = targetCloseInstant(cutoff);
      report.close_instant = instant;
      const target = instant + opts.delayMs;
      for (let i = 0; cutoff < target && i < 5; i++) {
        const ms = target - cutoff;
        await sleep(ms, signal);
        report.waited_ms += ms;
        cutoff = await rest.serverTime(signal);
      }
      report.server_time = cutoff;
    } catch (e) {
      fail(e, "Binance's time");
      await headsRead;
      return await finish();
    }
    // 2. Due series. Heads read before the wait would miss what a relay stored meanwhile (mode both).
    let heads: SeriesHead[];
    if (report.waited_ms > 0) {
      await headsRead;
      heads = await seriesHeads(deps.sql);
    } else {
      const h = await headsRead;
      if (!h.ok) throw h.error;
      heads = h.heads;
    }
    report.series = heads.map(streamName);
    const due = heads.filter((h) => isDue(h, cutoff));
    report.due = due.length;

    // 3. Fetch, a few series at once.
    const rows: SeriesCandle[] = [];
    const queue = [...due];
    const worker = async () => {
      for (let head = queue.shift(); head; head = queue.shift()) {
        if (signal.aborted) return;
        const got = await fetchSeries(head, cutoff);
        if (got === null) continue;
        report.fetched_series++;
        report.fetched += got.rows.length;
        for (const r of got.rows) rows.push(r);
        const newest = got.rows.at(-1)?.candle.openTime ?? head.lastOpenTime;
        const still = newest === null || isDue({ ...head, lastOpenTime: newest }, cutoff);
        if (still && got.pages >= maxPages) report.behind++;
        else if (still) report.held_back++;
      }
    };
    const fetchSeries = async (head: SeriesHead, cutoff: number) => {
      const out: SeriesCandle[] = [];
      let pages = 0;
      try {
        for await (
          const page of rest.closedKlines({
            symbol: head.symbol,
            interval: head.interval,
            startTime: head.lastOpenTime ?? cutoff - initial * INTERVAL_MS[head.interval],
            serverTime: cutoff,
            holdUnconfirmedMs: HOLD_UNCONFIRMED_MS,
            signal,
          })
        ) {
          const candles = parseRestKlines(page);
          validateCandles(candles, head.interval);
          for (const candle of candles) {
            out.push({ symbol: head.symbol, interval: head.interval, candle });
          }
          if (++pages >= maxPages) break;
        }
      } catch (e) {
        fail(e, seriesName(head));
        return null;
      }
      return { rows: out, pages };
    };
    await Promise.all(
      Array.from({ length: Math.min(opts.concurrency ?? 5, queue.length) }, worker),
    );
    // 4. One statement for everything fetched.
    if (rows.length) stored = await ingestCandles(deps.sql, rows);
  } catch (e) {
    fail(e, "database");
  }
  return await finish();

  async function finish(): Promise<PollResult> {
    clearTimeout(timer);
    active.delete(counter);
    report.inserted = stored.inserted;
    report.updated = stored.updated;
    report.unchanged = stored.unchanged;
    report.rest_calls = counter.calls;
    report.weight = counter.weight;
    report.waits = counter.waits;
    report.ms = Math.round(performance.now() - started);
    let runs: number | null = null;
    try {
      runs = await ingestReport(deps.sql, report);
    } catch (e) {
      deps.log.error("ingest report not written", { error: errorLine(e) });
    }
    return { report, stored, runs };
  }
}

/** Sleeps `ms` (local clock; Binance's runs at the same rate); rejects with an aborted BinanceError. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  const aborted = () =>
    new BinanceError("aborted", `waiting for the close: ${errorLine(signal.reason)}`);
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(t);
      reject(aborted());
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}

/**
 * The one Binance REST client for spot market data, used by the relay, `deno task fetch`, the
 * `backfill` function and any poller. Edge-safe: only `fetch`, timers and AbortSignal (no Deno APIs).
 *
 * What it guarantees (facts from Binance's spot REST docs, "General API information", "Limits",
 * "Kline/Candlestick data"):
 * - `GET /api/v3/klines` in pages of at most 1,000 rows (weight 2 a call), `GET /api/v3/time`
 *   (weight 1); {@link BinanceRest.closedKlines} returns only candles that have CLOSED by the
 *   server's clock (close time < server time: the last row Binance returns is usually the candle
 *   still open). The server's clock, never the local one, so replays of old data work.
 * - Weight budget: Binance allows 6,000 weight per minute per IP and reports what is used in
 *   `X-MBX-USED-WEIGHT-1M`; the client stays under `weightBudget` (default 5,000, leaving room for
 *   other processes on the same IP) by waiting for the next minute when a call would pass it.
 * - 429 (too many requests) and 418 (IP banned after ignoring 429s): waits `Retry-After` seconds
 *   before ANY further call from this client (never hammers); a wait longer than `maxRetryAfterMs`
 *   raises {@link BinanceRateLimitError} instead.
 * - 451 (Binance refuses the caller's location, e.g. US IP addresses): {@link BinanceRegionError}.
 * - 5xx, network errors and timeouts: retried with jittered exponential backoff, `maxAttempts` in all.
 * - Times in µs (`X-MBX-TIME-UNIT: MICROSECOND`, sent when `microseconds` is set) are converted to
 *   ms by the shared unit rule (`shared/candles/time_unit.ts`); decimals stay the exact strings
 *   Binance sent.
 *
 * Everything outside (fetch, local clock, sleep, randomness) is injectable for tests.
 */

import type { Interval } from "../../../shared/candles/intervals.ts";
import { toMillis } from "../../../shared/candles/time_unit.ts";

/** One kline row as `GET /api/v3/klines` returns it, times in ms, decimals as Binance's strings. */
export type KlineRow = [
  openTime: number,
  open: string,
  high: string,
  low: string,
  close: string,
  volume: string,
  closeTime: number,
  quoteVolume: string,
  trades: number,
  takerBuyBase: string,
  takerBuyQuote: string,
  ignore: string,
];

/** Binance's public REST base URLs: the trading API and the market-data-only mirror. */
export const BINANCE_REST_URLS = {
  api: "https://api.binance.com",
  dataApi: "https://data-api.binance.vision",
} as const;

/** Most rows one klines call returns (Binance spot). */
export const KLINES_MAX_LIMIT = 1000;
/** Request weight of one klines call and of one time call (Binance spot). */
export const KLINES_WEIGHT = 2;
export const TIME_WEIGHT = 1;
/** Binance's request weight limit per minute per IP. */
export const BINANCE_WEIGHT_LIMIT_1M = 6000;

/** What went wrong, for callers that branch on it. */
export type BinanceErrorKind =
  | "region" // 451: restricted location
  | "rate-limit" // 429/418 with a wait longer than allowed, or retried too often
  | "request" // another 4xx: Binance refused the request (e.g. -1121 Invalid symbol)
  | "unavailable" // 5xx, network error or timeout, after every retry
  | "response" // a 200 whose body is not what Binance sends
  | "aborted"; // the caller's AbortSignal fired

/** An error from Binance's REST API or the way to it; the message is one line. */
export class BinanceError extends Error {
  override name = "BinanceError";
  constructor(
    readonly kind: BinanceErrorKind,
    message: string,
    /** HTTP status, or null when no answer arrived. */
    readonly status: number | null = null,
    /** Binance's error code from the body (`{code, msg}`), when there was one. */
    readonly code: number | null = null,
  ) {
    super(message);
  }
}

/**
 * HTTP 451: Binance refuses requests from the caller's location (it answers US IP addresses so).
 * Run the caller from a region Binance serves (README: "Where the relay may run").
 */
export class BinanceRegionError extends BinanceError {
  override name = "BinanceRegionError";
  constructor(path: string, detail: string) {
    super(
      "region",
      `Binance refused ${path} from this host's location (HTTP 451, restricted location${
        detail ? `: ${detail}` : ""
      }); run this from a region Binance serves`,
      451,
    );
  }
}

/** 429/418 with a `Retry-After` longer than the caller allows waiting, or too many in a row. */
export class BinanceRateLimitError extends BinanceError {
  override name = "BinanceRateLimitError";
  constructor(message: string, status: number, readonly retryAfterMs: number) {
    super("rate-limit", message, status);
  }
}

/** A wait or retry the client did (for logs). */
export interface BinanceRestEvent {
  type: "retry" | "rate-limit" | "weight-wait";
  path: string;
  /** How long it waits (ms). */
  waitMs: number;
  status?: number;
  attempt?: number;
  detail?: string;
}

/** Options of {@link BinanceRest}. */
export interface BinanceRestOptions {
  /** Base URL (default https://data-api.binance.vision; also https://api.binance.com or a local fake). */
  baseUrl?: string;
  /** HTTP client (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Local clock in ms, used only for pacing (waits, weight windows); default Date.now. */
  now?: () => number;
  /** Sleeps `ms`; rejects when `signal` aborts (default: setTimeout). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform random in [0, 1) for jitter (default Math.random). */
  random?: () => number;
  /** Attempts per call for 5xx/network errors/timeouts, and 429/418 answers in a row (default 5). */
  maxAttempts?: number;
  /** First retry delay (ms, default 500), doubled per attempt up to `backoffMaxMs` (default 30,000). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Weight this client may use per minute (default 5,000 of Binance's 6,000). */
  weightBudget?: number;
  /** Longest `Retry-After` honoured by waiting (ms, default 15 minutes); longer raises. */
  maxRetryAfterMs?: number;
  /** Per-request timeout (ms, default 15,000). */
  timeoutMs?: number;
  /** Ask for µs times (`X-MBX-TIME-UNIT: MICROSECOND`); results are converted to ms either way. */
  microseconds?: boolean;
  /** Told about every wait and retry. */
  onEvent?: (e: BinanceRestEvent) => void;
}

/** A klines request: one page. */
export interface KlinesQuery {
  symbol: string;
  interval: Interval;
  /** Open time (ms) of the first row wanted, inclusive. */
  startTime?: number;
  /** Open time (ms) of the last row wanted, inclusive. */
  endTime?: number;
  /** Rows, 1..1000 (default 1000). */
  limit?: number;
}

/** A closed-klines request: every closed candle from `startTime` on (see {@link BinanceRest.closedKlines}). */
export interface ClosedKlinesQuery {
  symbol: string;
  interval: Interval;
  /** Open time (ms) of the first row wanted, inclusive. */
  startTime: number;
  /** Open time (ms) of the last row wanted, inclusive (default: up to the newest closed one). */
  endTime?: number;
  /** The server time (ms) to judge closedness by; default: asked with `GET /api/v3/time` first. */
  serverTime?: number;
  /**
   * Hold back the newest closed candle while Binance's answer ends with it, i.e. while Binance does
   * not yet serve the candle after it (the one now open), until the server time is this many ms past
   * its close. Around a close Binance's REST view can lag its clock by seconds (the newest row is
   * then the candle as it was while still open); a candle with no successor for this long is final
   * (trading stopped: an outage, a delisting). Only without `endTime`. Default: not held back.
   */
  holdUnconfirmedMs?: number;
  /**
   * With `holdUnconfirmedMs`: true for a row the caller knows to be final by other evidence (the
   * relay: its stream's clock passed the row's close long enough ago), which is then not held back.
   */
  isFinal?: (row: KlineRow) => boolean;
  /** With `holdUnconfirmedMs`: told the row held back, if any (once per call, the newest row). */
  onHeld?: (row: KlineRow) => void;
  signal?: AbortSignal;
}

const MINUTE = 60_000;

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Binance spot market-data REST client. One instance per process (or per function instance) so
 * that every call shares the weight budget and any 429/418 wait. Safe for concurrent calls.
 */
export class BinanceRest {
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #maxAttempts: number;
  readonly #backoffBase: number;
  readonly #backoffMax: number;
  readonly #budget: number;
  readonly #maxRetryAfter: number;
  readonly #timeoutMs: number;
  readonly #micro: boolean;
  readonly #onEvent: (e: BinanceRestEvent) => void;
  #blockedUntil = 0;
  #window = -1;
  #used = 0;
  #reserved = 0;

  constructor(opts: BinanceRestOptions = {}) {
    const base = opts.baseUrl ?? BINANCE_REST_URLS.dataApi;
    if (!/^https?:\/\/[^/\s]+/.test(base)) {
      throw new RangeError(
        `Binance REST base URL must be http(s)://host, got ${JSON.stringify(base)}`,
      );
    }
    this.baseUrl = base.replace(/\/+$/, "");
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = opts.now ?? Date.now;
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#random = opts.random ?? Math.random;
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.#backoffBase = opts.backoffBaseMs ?? 500;
    this.#backoffMax = opts.backoffMaxMs ?? 30_000;
    this.#budget = Math.min(opts.weightBudget ?? 5000, BINANCE_WEIGHT_LIMIT_1M);
    this.#maxRetryAfter = opts.maxRetryAfterMs ?? 15 * MINUTE;
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
    this.#micro = opts.microseconds ?? false;
    this.#onEvent = opts.onEvent ?? (() => {});
  }

  /** Weight used in the current minute as Binance last reported it (plus calls in flight). */
  get usedWeight(): number {
    this.#roll(this.#now());
    return this.#used + this.#reserved;
  }

  /** `GET /api/v3/time`: Binance's clock in ms. Raises {@link BinanceError}. */
  async serverTime(signal?: AbortSignal): Promise<number> {
    const body = await this.#get("/api/v3/time", {}, TIME_WEIGHT, signal);
    const t = (body as { serverTime?: unknown } | null)?.serverTime;
    const ms = typeof t === "number" ? toMillis(t) : null;
    if (ms === null) {
      throw new BinanceError(
        "response",
        `/api/v3/time: serverTime ${JSON.stringify(t)} is not a time`,
        200,
      );
    }
    return ms;
  }

  /**
   * `GET /api/v3/klines`: one page of rows, oldest first, times in ms. The last row may be the
   * candle still open. Raises {@link BinanceError} (kind `request` for a bad symbol or interval).
   */
  async klines(q: KlinesQuery, signal?: AbortSignal): Promise<KlineRow[]> {
    const limit = q.limit ?? KLINES_MAX_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > KLINES_MAX_LIMIT) {
      throw new RangeError(`klines limit must be 1..${KLINES_MAX_LIMIT}, got ${limit}`);
    }
    const params: Record<string, string> = {
      symbol: q.symbol,
      interval: q.interval,
      limit: String(limit),
    };
    if (q.startTime !== undefined) params.startTime = String(q.startTime);
    if (q.endTime !== undefined) params.endTime = String(q.endTime);
    const body = await this.#get("/api/v3/klines", params, KLINES_WEIGHT, signal);
    return toRows(body);
  }

  /**
   * Every CLOSED candle of a series from `startTime` (inclusive) up to `endTime` or the newest
   * closed one, in pages of at most 1,000 rows, oldest first. Closed means close time < the server
   * time read once before the first page (`GET /api/v3/time`), so a candle still open is never
   * returned, whatever the local clock says. With `holdUnconfirmedMs`, a closed candle Binance has
   * not yet followed with the next one is held back unless `isFinal` says otherwise, and `onHeld`
   * is told (see {@link ClosedKlinesQuery}). Raises
   * {@link BinanceError}.
   */
  async *closedKlines(q: ClosedKlinesQuery): AsyncGenerator<KlineRow[], void, void> {
    const cutoff = q.serverTime ?? await this.serverTime(q.signal);
    const hold = q.endTime === undefined ? q.holdUnconfirmedMs : undefined;
    let from = q.startTime;
    for (;;) {
      const page = await this.klines({
        symbol: q.symbol,
        interval: q.interval,
        startTime: from,
        endTime: q.endTime,
        limit: KLINES_MAX_LIMIT,
      }, q.signal);
      let n = 0;
      while (n < page.length && page[n][6] < cutoff) n++;
      // The answer ends with a closed candle: Binance does not serve its successor yet.
      if (
        hold !== undefined && n > 0 && n === page.length && page.length < KLINES_MAX_LIMIT &&
        page[n - 1][6] + 1 + hold > cutoff && !(q.isFinal?.(page[n - 1]) ?? false)
      ) {
        q.onHeld?.(page[n - 1]);
        n--;
      }
      if (n > 0) yield n === page.length ? page : page.slice(0, n);
      if (page.length < KLINES_MAX_LIMIT || n < page.length) return;
      from = page[page.length - 1][0] + 1;
      if (q.endTime !== undefined && from > q.endTime) return;
    }
  }

  async #get(
    path: string,
    params: Record<string, string>,
    weight: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const query = new URLSearchParams(params).toString();
    const url = `${this.baseUrl}${path}${query ? `?${query}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#micro) headers["X-MBX-TIME-UNIT"] = "MICROSECOND";
    let failures = 0;
    let limited = 0;
    for (;;) {
      await this.#gate(weight, signal);
      let res: Response;
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error("timed out")), this.#timeoutMs);
      try {
        res = await this.#fetch(url, {
          headers,
          signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
        });
      } catch (e) {
        clearTimeout(timer);
        this.#reserved -= weight;
        if (signal?.aborted) throw new BinanceError("aborted", `${path}: aborted`);
        const why = timeout.signal.aborted ? `timed out after ${this.#timeoutMs} ms` : oneLine(e);
        failures++;
        await this.#retryOrThrow(path, failures, null, why, signal);
        continue;
      }
      this.#reserved -= weight;
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        clearTimeout(timer);
        if (signal?.aborted) throw new BinanceError("aborted", `${path}: aborted`);
        failures++;
        await this.#retryOrThrow(path, failures, res.status, `body cut off: ${oneLine(e)}`, signal);
        continue;
      } finally {
        clearTimeout(timer);
      }
      this.#noteWeight(res.headers.get("x-mbx-used-weight-1m"));
      if (res.ok) {
        try {
          return JSON.parse(text);
        } catch {
          throw new BinanceError(
            "response",
            `${path}: answer is not JSON (${snippet(text)})`,
            res.status,
          );
        }
      }
      const err = binanceBody(text);
      if (res.status === 429 || res.status === 418) {
        limited++;
        const waitMs = retryAfterMs(res.headers.get("retry-after"), this.#now());
        const what = res.status === 429 ? "too many requests" : "IP banned";
        if (waitMs > this.#maxRetryAfter || limited >= this.#maxAttempts) {
          throw new BinanceRateLimitError(
            `${path}: Binance answered ${res.status} (${what}) with Retry-After ${
              Math.round(waitMs / 1000)
            } s${limited >= this.#maxAttempts ? ` ${limited} times in a row` : ""}`,
            res.status,
            waitMs,
          );
        }
        this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + waitMs);
        this.#onEvent({
          type: "rate-limit",
          path,
          waitMs,
          status: res.status,
          detail: err.msg ?? undefined,
        });
        continue;
      }
      if (res.status === 451) throw new BinanceRegionError(path, err.msg ?? "");
      if (res.status >= 500) {
        failures++;
        await this.#retryOrThrow(path, failures, res.status, `HTTP ${res.status}`, signal);
        continue;
      }
      throw new BinanceError(
        "request",
        `${path}: Binance refused the request (HTTP ${res.status}${
          err.code !== null ? `, code ${err.code}` : ""
        }: ${err.msg ?? snippet(text)})`,
        res.status,
        err.code,
      );
    }
  }

  /** Waits with jittered exponential backoff before another attempt, or raises after the last. */
  async #retryOrThrow(
    path: string,
    failures: number,
    status: number | null,
    why: string,
    signal?: AbortSignal,
  ): Promise<void> {
    if (failures >= this.#maxAttempts) {
      throw new BinanceError(
        "unavailable",
        `${path}: Binance unavailable after ${failures} attempts (${why})`,
        status,
      );
    }
    const ceiling = Math.min(this.#backoffMax, this.#backoffBase * 2 ** (failures - 1));
    const waitMs = Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
    this.#onEvent({
      type: "retry",
      path,
      waitMs,
      status: status ?? undefined,
      attempt: failures,
      detail: why,
    });
    await this.#pause(waitMs, path, signal);
  }

  /** Waits until a Retry-After has passed and the call's weight fits this minute's budget, then reserves it. */
  async #gate(weight: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new BinanceError("aborted", "aborted");
      const now = this.#now();
      if (now < this.#blockedUntil) {
        await this.#pause(this.#blockedUntil - now, "", signal);
        continue;
      }
      this.#roll(now);
      const inUse = this.#used + this.#reserved;
      if (inUse > 0 && inUse + weight > this.#budget) {
        // Wait for the next minute (plus a little for clocks that differ slightly).
        const waitMs = (this.#window + 1) * MINUTE - now + 250;
        this.#onEvent({
          type: "weight-wait",
          path: "",
          waitMs,
          detail: `weight ${inUse} of ${this.#budget}`,
        });
        await this.#pause(waitMs, "", signal);
        continue;
      }
      this.#reserved += weight;
      return;
    }
  }

  async #pause(ms: number, path: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#sleep(ms, signal);
    } catch {
      throw new BinanceError("aborted", `${path || "request"}: aborted`);
    }
  }

  #roll(now: number): void {
    const w = Math.floor(now / MINUTE);
    if (w !== this.#window) {
      this.#window = w;
      this.#used = 0;
    }
  }

  #noteWeight(header: string | null): void {
    if (header === null || !/^\d+$/.test(header)) return;
    this.#roll(this.#now());
    this.#used = Math.max(this.#used, Number(header));
  }
}

/** Rows of a klines answer with their times in ms; raises BinanceError(kind response) otherwise. */
function toRows(body: unknown): KlineRow[] {
  if (!Array.isArray(body)) {
    throw new BinanceError(
      "response",
      `/api/v3/klines: expected an array of rows, got ${typeof body}`,
      200,
    );
  }
  for (let i = 0; i < body.length; i++) {
    const r = body[i];
    if (!Array.isArray(r) || r.length < 11) {
      throw new BinanceError("response", `/api/v3/klines: row ${i} is not a kline row`, 200);
    }
    for (const c of [0, 6]) {
      const ms = typeof r[c] === "number" ? toMillis(r[c]) : null;
      if (ms === null) {
        throw new BinanceError(
          "response",
          `/api/v3/klines: row ${i}: ${c === 0 ? "open" : "close"} time ${
            JSON.stringify(r[c])
          } is not a time in s, ms or µs`,
          200,
        );
      }
      r[c] = ms;
    }
  }
  return body as KlineRow[];
}

/** `Retry-After` in ms (seconds or an HTTP date); missing or unreadable = 60 s (never hammer). */
function retryAfterMs(header: string | null, now: number): number {
  if (header !== null) {
    const s = header.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s) * 1000);
    const at = Date.parse(s);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return MINUTE;
}

/** Binance's `{code, msg}` error body, when the text is one. */
function binanceBody(text: string): { code: number | null; msg: string | null } {
  try {
    const v = JSON.parse(text);
    return {
      code: typeof v?.code === "number" ? v.code : null,
      msg: typeof v?.msg === "string" ? v.msg : null,
    };
  } catch {
    return { code: null, msg: null };
  }
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t || "empty body";
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

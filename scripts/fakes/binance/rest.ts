/**
 * The fake's REST side: `GET /api/v3/klines`, `GET /api/v3/time`, `GET /api/v3/ping`, with Binance's
 * request weights and `X-MBX-USED-WEIGHT-1M` header, 429/418 answers with `Retry-After`, 451 for a
 * restricted location, µs times on `X-MBX-TIME-UNIT: MICROSECOND`, and scripted failures.
 *
 * Facts from Binance's spot REST docs: klines weight 2, time and ping weight 1; 6,000 weight per
 * minute per IP; `limit` default 500, max 1,000; with only `startTime` the rows from it ascending,
 * with only `endTime` the `limit` rows up to it, with neither the newest `limit` rows; the last row
 * is the candle still open when the clock is inside it. Error bodies are `{code, msg}`.
 */

import type { ReplayClock, ReplaySeries } from "./replay.ts";
import {
  BINANCE_INTERVALS,
  type KlineRow,
  paramTime,
  partialRow,
  restRow,
  wireTime,
} from "./wire.ts";

/** A scripted REST failure, consumed by the next matching request. */
export interface RestFault {
  /** HTTP status to answer with: 429, 418, 451, 500, 502, 503, 504... */
  status: number;
  /** `Retry-After` seconds (429/418; default 1). */
  retryAfterSeconds?: number;
  /** Which endpoint it applies to (default: any). */
  path?: "klines" | "time" | "any";
}

/** REST figures the tests read. */
export interface RestStats {
  /** Requests per endpoint name (`klines`, `time`, `ping`, `other`). */
  requests: Record<string, number>;
  /** Answers per HTTP status. */
  statuses: Record<number, number>;
  /** Requests that arrived while a 429/418 `Retry-After` was still running (a client hammering);
   * each was answered 429 again. */
  requestsDuringBan: number;
  /** Largest `limit` asked for. */
  maxLimitAsked: number;
  /** Klines requests answered with rows (status 200), per series (`SYMBOL interval`). */
  klinesBySeries: Record<string, number>;
}

/** Weight Binance charges per endpoint. */
const WEIGHT: Record<string, number> = { klines: 2, time: 1, ping: 1 };

/** The REST endpoint handler and its state. */
export class FakeRest {
  readonly stats: RestStats = {
    requests: {},
    statuses: {},
    requestsDuringBan: 0,
    maxLimitAsked: 0,
    klinesBySeries: {},
  };
  /** Failures to serve, in order. */
  readonly faults: RestFault[] = [];
  /** Answer every request with 451 (a host in a restricted location). */
  region451 = false;
  /**
   * Added to the replay clock in `/api/v3/time` answers (virtual ms; negative = a REST server
   * whose clock is behind the stream's). The klines themselves follow the replay clock.
   */
  timeOffsetMs = 0;
  /** Weight budget per window. */
  weightLimit = 6000;
  /**
   * Late closes: klines answers show the market as it was this many virtual ms ago (`/api/v3/time`
   * still tells the current time), so right after a close the newest row is the candle that just
   * closed, served as it was while open, and the next candle is missing. Binance's REST view has
   * been reported to lag its clock by seconds around a close (ccxt/node-binance-api#585). Default 0.
   */
  closeLagMs = 0;

  readonly #series = new Map<string, ReplaySeries>();
  readonly #symbols = new Set<string>();
  readonly #clock: ReplayClock;
  readonly #realNow: () => number;
  readonly #windowMs: number;
  #window = -1;
  #used = 0;
  #bannedUntil = 0;

  /**
   * @param realNow wall clock for the weight window and bans (rate limits are about real time, not
   *   the replay's virtual time)
   */
  constructor(
    series: readonly ReplaySeries[],
    clock: ReplayClock,
    realNow: () => number = Date.now,
    windowMs = 60_000,
  ) {
    for (const s of series) {
      this.#series.set(`${s.symbol}|${s.interval}`, s);
      this.#symbols.add(s.symbol);
    }
    this.#clock = clock;
    this.#realNow = realNow;
    this.#windowMs = windowMs;
  }

  /** Weight used in the current window. */
  get usedWeight(): number {
    this.#roll();
    return this.#used;
  }

  /** Sets the weight used in the current window (to test a client's budget keeping). */
  setUsedWeight(n: number): void {
    this.#roll();
    this.#used = n;
  }

  /** Answers one REST request. */
  handle(req: Request): Response {
    const url = new URL(req.url);
    const name = url.pathname === "/api/v3/klines"
      ? "klines"
      : url.pathname === "/api/v3/time"
      ? "time"
      : url.pathname === "/api/v3/ping"
      ? "ping"
      : "other";
    this.stats.requests[name] = (this.stats.requests[name] ?? 0) + 1;
    const res = this.#answer(req, url, name);
    this.stats.statuses[res.status] = (this.stats.statuses[res.status] ?? 0) + 1;
    return res;
  }

  #answer(req: Request, url: URL, name: string): Response {
    const now = this.#realNow();
    if (now < this.#bannedUntil) {
      // Binance answers 429 again while a Retry-After runs (and bans with 418 when it goes on).
      this.stats.requestsDuringBan++;
      const retry = Math.max(1, Math.ceil((this.#bannedUntil - now) / 1000));
      return this.#json(429, { code: -1003, msg: "Too many requests; back off." }, {
        "Retry-After": String(retry),
      });
    }
    if (this.region451) {
      return this.#json(451, {
        code: 0,
        msg: "Service unavailable from a restricted location according to 'b. Eligibility' in " +
          "https://www.binance.com/en/terms. Please contact customer service if you believe you " +
          "received this message in error.",
      });
    }
    const fi = this.faults.findIndex((f) => (f.path ?? "any") === "any" || f.path === name);
    if (fi >= 0) {
      const [f] = this.faults.splice(fi, 1);
      return this.#fault(f, now);
    }
    if (req.method !== "GET") return this.#json(405, { code: -1000, msg: "Method not allowed." });
    if (name === "other") return this.#json(404, { code: -1000, msg: "Not found." });
    this.#roll();
    const cost = WEIGHT[name];
    if (this.#used + cost > this.weightLimit) {
      const retry = Math.max(1, Math.ceil(((this.#window + 1) * this.#windowMs - now) / 1000));
      this.#bannedUntil = now + retry * 1000;
      return this.#json(429, {
        code: -1003,
        msg: `Too many requests; current limit of IP is ${this.weightLimit} requests per minute.`,
      }, { "Retry-After": String(retry) });
    }
    this.#used += cost;
    const micro = (req.headers.get("x-mbx-time-unit") ?? "").toUpperCase() === "MICROSECOND";
    if (name === "ping") return this.#json(200, {});
    if (name === "time") {
      return this.#json(200, {
        serverTime: wireTime(this.#clock.now() + this.timeOffsetMs, micro),
      });
    }
    return this.#klines(url.searchParams, micro);
  }

  #fault(f: RestFault, now: number): Response {
    if (f.status === 429 || f.status === 418) {
      const retry = f.retryAfterSeconds ?? 1;
      this.#bannedUntil = now + retry * 1000;
      const msg = f.status === 429
        ? `Too many requests; current limit of IP is ${this.weightLimit} requests per minute.`
        : `Way too many requests; IP banned until ${now + retry * 1000}.`;
      return this.#json(f.status, { code: -1003, msg }, { "Retry-After": String(retry) });
    }
    if (f.status === 451) {
      return this.#json(451, { code: 0, msg: "Service unavailable from a restricted location." });
    }
    return new Response(f.status >= 500 ? "<html><body>Service Unavailable</body></html>" : "", {
      status: f.status,
      headers: { "content-type": "text/html" },
    });
  }

  #klines(q: URLSearchParams, micro: boolean): Response {
    const symbol = q.get("symbol");
    const interval = q.get("interval");
    if (!symbol) {
      return this.#json(400, {
        code: -1102,
        msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
      });
    }
    if (!interval) {
      return this.#json(400, {
        code: -1102,
        msg: "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
      });
    }
    if (!BINANCE_INTERVALS.includes(interval)) {
      return this.#json(400, { code: -1120, msg: "Invalid interval." });
    }
    if (!this.#symbols.has(symbol)) return this.#json(400, { code: -1121, msg: "Invalid symbol." });
    const ints: Record<string, number | undefined> = {};
    for (const p of ["startTime", "endTime", "limit"]) {
      const v = q.get(p);
      if (v === null) continue;
      if (!/^\d+$/.test(v)) {
        return this.#json(400, {
          code: -1100,
          msg: `Illegal characters found in parameter '${p}'; legal range is '^[0-9]{1,20}$'.`,
        });
      }
      ints[p] = Number(v);
    }
    const limit = ints.limit ?? 500;
    this.stats.maxLimitAsked = Math.max(this.stats.maxLimitAsked, limit);
    if (limit < 1 || limit > 1000) {
      return this.#json(400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
    }
    const key = `${symbol} ${interval}`;
    this.stats.klinesBySeries[key] = (this.stats.klinesBySeries[key] ?? 0) + 1;
    const rows = this.#series.get(`${symbol}|${interval}`)?.rows ?? [];
    const now = this.#clock.now() - this.closeLagMs; // the market as klines answers show it
    const visible = upperBound(rows, now); // rows that have opened by now
    const start = ints.startTime === undefined ? undefined : paramTime(ints.startTime);
    const end = ints.endTime === undefined ? undefined : paramTime(ints.endTime);
    let from: number;
    let to: number;
    if (start !== undefined) {
      from = lowerBound(rows, start);
      to = Math.min(visible, from + limit, end === undefined ? visible : upperBound(rows, end));
    } else {
      to = Math.min(visible, end === undefined ? visible : upperBound(rows, end));
      from = Math.max(0, to - limit);
    }
    const out: KlineRow[] = [];
    for (let i = from; i < to; i++) {
      const r = rows[i][6] >= now ? partialRow(rows[i]) : rows[i];
      out.push(restRow(r, micro));
    }
    return this.#json(200, out);
  }

  #roll(): void {
    const w = Math.floor(this.#realNow() / this.#windowMs);
    if (w !== this.#window) {
      this.#window = w;
      this.#used = 0;
    }
  }

  #json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    this.#roll();
    return new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json;charset=UTF-8",
        "x-mbx-used-weight-1m": String(this.#used),
        ...headers,
      },
    });
  }
}

/** Index of the first row with open time >= t. */
function lowerBound(rows: readonly KlineRow[], t: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid][0] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first row with open time > t. */
function upperBound(rows: readonly KlineRow[], t: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid][0] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

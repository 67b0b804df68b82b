/**
 * The fake Discord's rate limits, as Discord describes them ("Rate Limits" in the developer docs):
 * each route belongs to a bucket (named by `X-RateLimit-Bucket`), counted per major parameter
 * (channel, webhook), in fixed windows; every answer carries `X-RateLimit-Limit`, `-Remaining`,
 * `-Reset` (epoch seconds), `-Reset-After` (seconds) and `-Bucket`; a request beyond the bucket's
 * limit, beyond 50 bot requests in a second (global: interaction and webhook token routes do not
 * count), or inside a scripted 429's retry_after is answered 429 and counted as a violation: a client
 * that honours the headers causes none.
 */

/** A bucket's limit: `limit` requests per `windowMs`. */
export interface BucketLimit {
  limit: number;
  windowMs: number;
}

/** What the limiter decided for one request. */
export type BucketDecision =
  | { ok: true; headers: Record<string, string> }
  | {
    ok: false;
    retryAfterS: number;
    global: boolean;
    scope: "user" | "global" | "shared";
    headers: Record<string, string>;
    reason: string;
  };

interface Window {
  start: number;
  count: number;
}

/** Fixed-window buckets per (bucket, major parameter), a global per-second limit and scripted blocks. */
export class FakeBuckets {
  #windows = new Map<string, Window>();
  #blocks = new Map<string, number>();
  #globalBlock = 0;
  #recent: number[] = [];

  constructor(
    readonly limits: Record<string, BucketLimit>,
    readonly globalPerSecond: number,
    readonly now: () => number,
  ) {}

  #headers(bucket: string, limit: BucketLimit, w: Window, now: number): Record<string, string> {
    const resetAt = w.start + limit.windowMs;
    return {
      "X-RateLimit-Bucket": bucket,
      "X-RateLimit-Limit": String(limit.limit),
      "X-RateLimit-Remaining": String(Math.max(0, limit.limit - w.count)),
      "X-RateLimit-Reset": (resetAt / 1000).toFixed(3),
      "X-RateLimit-Reset-After": (Math.max(0, resetAt - now) / 1000).toFixed(3),
    };
  }

  /**
   * Counts a request on `bucket`/`major` and says whether it is within the limits. `global`: the
   * request counts toward the bot's 50 a second (bot-authenticated requests; interaction and webhook
   * token routes do not).
   */
  take(bucket: string, major: string, global = true): BucketDecision {
    const now = this.now();
    const limit = this.limits[bucket] ?? { limit: 50, windowMs: 1000 };
    const key = `${bucket}:${major}`;
    let w = this.#windows.get(key);
    if (!w || now - w.start >= limit.windowMs) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    this.#recent = this.#recent.filter((t) => t > now - 1000);
    if (global && (this.#globalBlock > now || this.#recent.length >= this.globalPerSecond)) {
      const until = Math.max(this.#globalBlock, (this.#recent[0] ?? now) + 1000);
      return {
        ok: false,
        retryAfterS: Math.max(0.001, (until - now) / 1000),
        global: true,
        scope: "global",
        headers: { "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global" },
        reason: this.#globalBlock > now
          ? "request inside a global 429's retry_after"
          : `more than ${this.globalPerSecond} requests in one second`,
      };
    }
    if (global) this.#recent.push(now);
    const blocked = this.#blocks.get(key) ?? 0;
    if (blocked > now) {
      return {
        ok: false,
        retryAfterS: (blocked - now) / 1000,
        global: false,
        scope: "user",
        headers: { ...this.#headers(bucket, limit, w, now), "X-RateLimit-Scope": "user" },
        reason: `request on bucket ${bucket} inside a 429's retry_after`,
      };
    }
    if (w.count >= limit.limit) {
      return {
        ok: false,
        retryAfterS: Math.max(0.001, (w.start + limit.windowMs - now) / 1000),
        global: false,
        scope: "user",
        headers: { ...this.#headers(bucket, limit, w, now), "X-RateLimit-Scope": "user" },
        reason: `more than ${limit.limit} requests in ${limit.windowMs} ms on bucket ${bucket}`,
      };
    }
    w.count++;
    return { ok: true, headers: this.#headers(bucket, limit, w, now) };
  }

  /** A scripted 429: blocks `bucket`/`major` (or everything, when global) for `retryAfterS`. */
  block(bucket: string, major: string, retryAfterS: number, global: boolean): void {
    const until = this.now() + retryAfterS * 1000;
    if (global) this.#globalBlock = Math.max(this.#globalBlock, until);
    else this.#blocks.set(`${bucket}:${major}`, until);
  }
}

/**
 * Client-side rate limiting for Discord's REST API, so that a burst of messages never exceeds
 * Discord's limits (Discord developer docs, "Rate Limits"):
 *
 * - Per route bucket: every response carries `X-RateLimit-Bucket` (the bucket's id; several routes
 *   may share one), `-Limit`, `-Remaining` and `-Reset-After` (seconds, float). A bucket is per
 *   major parameter too (channel id, guild id, webhook id + token), so the key here is
 *   `bucket id : major parameter`. Before the first answer of a route its bucket is unknown and one
 *   request at a time goes out on it.
 * - Global: at most 50 requests per second per bot (a sliding one-second window here), and a 429
 *   with `X-RateLimit-Global: true` (or `global: true` in the body) pauses every route.
 * - A 429 carries `retry_after` (seconds, float) in the body: its bucket (or everything, when
 *   global) waits that long. `X-RateLimit-Scope: shared` marks a resource-wide limit that does not
 *   count toward the invalid-request ban (10,000 401/403/429 in 10 minutes).
 *
 * The state can be saved and restored ({@link RateLimiter.toState}) so one sender run starts with
 * what the last one learnt.
 */

/** A route: its template (method and path with ids replaced) and its major parameter. */
export interface Route {
  /** e.g. `POST /channels/{id}/messages`. */
  template: string;
  /** The major parameter's value (channel id, guild id, webhook id/token), "" when none. */
  major: string;
}

const SNOWFLAKE = /^[0-9]{1,20}$/;

/**
 * The route of `method` `path` (a path below the API base, e.g. `/channels/123/messages/456`):
 * the first id after channels/guilds/webhooks is the major parameter (with the webhook token), and
 * other ids become `{id}`.
 */
export function routeOf(method: string, path: string): Route {
  const parts = path.split("?")[0].split("/").filter(Boolean);
  let major = "";
  const tpl: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const prev = parts[i - 1];
    if (
      !major && SNOWFLAKE.test(p) &&
      (prev === "channels" || prev === "guilds" || prev === "webhooks")
    ) {
      major = p;
      tpl.push(`{${prev}}`);
      if (prev === "webhooks" && parts[i + 1] !== undefined && parts[i + 1] !== "messages") {
        major += `/${parts[i + 1]}`; // webhook token (or interaction token)
        tpl.push("{token}");
        i++;
      }
    } else if (SNOWFLAKE.test(p)) tpl.push("{id}");
    else tpl.push(p);
  }
  return { template: `${method.toUpperCase()} /${tpl.join("/")}`, major };
}

interface Bucket {
  /** Requests left in the current window (decremented as requests go out). */
  remaining: number;
  limit: number;
  /** When the window ends (ms). */
  resetAt: number;
}

/** Serializable limiter state (see {@link RateLimiter.toState}). */
export interface RateLimitState {
  routes: Record<string, string>;
  buckets: Record<string, Bucket>;
  globalUntil: number;
}

/** A clock the limiter waits on. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Real time. */
export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** What a response said about limits. */
export interface RateLimitHeaders {
  bucket: string | null;
  limit: number | null;
  remaining: number | null;
  resetAfterS: number | null;
  global: boolean;
  scope: string | null;
}

function numberHeader(h: Headers, name: string): number | null {
  const v = h.get(name);
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Reads the `X-RateLimit-*` headers of a response. */
export function readRateLimitHeaders(h: Headers): RateLimitHeaders {
  return {
    bucket: h.get("x-ratelimit-bucket"),
    limit: numberHeader(h, "x-ratelimit-limit"),
    remaining: numberHeader(h, "x-ratelimit-remaining"),
    resetAfterS: numberHeader(h, "x-ratelimit-reset-after"),
    global: h.get("x-ratelimit-global")?.toLowerCase() === "true",
    scope: h.get("x-ratelimit-scope"),
  };
}

/** Discord's global limit: requests per second per bot. */
export const GLOBAL_PER_SECOND = 50;

/** Slack added to every wait (ms), for clock skew between Discord's counters and ours. */
export const WAIT_MARGIN_MS = 50;

/** Per-bucket and global rate limiting (see the module doc). Not safe for parallel requests on one route. */
export class RateLimiter {
  #routes = new Map<string, string>();
  #buckets = new Map<string, Bucket>();
  #inFlight = new Set<string>();
  #globalUntil = 0;
  /** Times of the requests of the last second: when sent, then when answered (the later, safer one). */
  #recent: { t: number }[] = [];
  #pending = new Map<string, { t: number }>();
  readonly clock: Clock;
  readonly perSecond: number;

  constructor(
    clock: Clock = realClock,
    state?: RateLimitState | null,
    perSecond = GLOBAL_PER_SECOND,
  ) {
    this.clock = clock;
    this.perSecond = perSecond;
    if (state) this.#restore(state);
  }

  #key(route: Route): string | null {
    const id = this.#routes.get(route.template);
    return id === undefined ? null : `${id}:${route.major}`;
  }

  /** How long (ms) a request on `route` must wait now; 0 = it may go. */
  delayFor(route: Route): number {
    const now = this.clock.now();
    let wait = Math.max(0, this.#globalUntil - now);
    this.#recent = this.#recent.filter((r) => r.t > now - 1000);
    if (this.#recent.length >= this.perSecond) {
      wait = Math.max(wait, Math.min(...this.#recent.map((r) => r.t)) + 1000 - now);
    }
    const key = this.#key(route);
    const b = key === null ? undefined : this.#buckets.get(key);
    if (b && b.remaining <= 0 && b.resetAt > now) wait = Math.max(wait, b.resetAt - now);
    return wait > 0 ? wait + WAIT_MARGIN_MS : 0;
  }

  /**
   * Waits until a request on `route` may go out and reserves it (one of the bucket's remaining
   * requests and one of the second's 50). Rejects with the wait (ms) when it would end after
   * `deadline` (ms), reserving nothing.
   */
  async acquire(route: Route, deadline = Infinity): Promise<void> {
    for (;;) {
      const unknown = this.#key(route) === null;
      const busy = unknown && this.#inFlight.has(route.template);
      const wait = busy ? 25 : this.delayFor(route);
      if (wait === 0) break;
      if (this.clock.now() + wait > deadline) throw new RateLimitWait(wait);
      await this.clock.sleep(wait);
    }
    const now = this.clock.now();
    const sent = { t: now };
    this.#recent.push(sent);
    this.#pending.set(route.template, sent);
    const key = this.#key(route);
    const b = key === null ? undefined : this.#buckets.get(key);
    if (b) {
      if (b.resetAt <= now) b.remaining = b.limit;
      b.remaining--;
    } else this.#inFlight.add(route.template);
  }

  /** Learns from a response on `route` (its headers; for a 429, its body's retry_after and global). */
  update(
    route: Route,
    status: number,
    h: RateLimitHeaders,
    body429?: { retryAfterS: number; global: boolean },
  ) {
    const now = this.clock.now();
    this.#answered(route, now);
    if (h.bucket) this.#routes.set(route.template, h.bucket);
    const key = this.#key(route);
    if (key !== null && h.remaining !== null && h.resetAfterS !== null) {
      this.#buckets.set(key, {
        remaining: h.remaining,
        limit: h.limit ?? Math.max(h.remaining, 1),
        resetAt: now + h.resetAfterS * 1000,
      });
    }
    if (status === 429 && body429) {
      const until = now + Math.max(0, body429.retryAfterS) * 1000;
      if (body429.global || h.global) this.#globalUntil = Math.max(this.#globalUntil, until);
      else if (key !== null) {
        const b = this.#buckets.get(key) ?? { remaining: 0, limit: 1, resetAt: until };
        b.remaining = 0;
        b.resetAt = Math.max(b.resetAt, until);
        this.#buckets.set(key, b);
      } else {
        // No bucket header: hold the whole route.
        const id = `route:${route.template}`;
        this.#routes.set(route.template, id);
        this.#buckets.set(`${id}:${route.major}`, { remaining: 0, limit: 1, resetAt: until });
      }
    }
  }

  /** Forgets a request that got no answer (network error or timeout). */
  abandon(route: Route): void {
    this.#answered(route, this.clock.now());
  }

  /**
   * A request on `route` ended at `now`: Discord received it at some time before, so counting it in
   * the global second from now on errs on the safe side (network delays vary).
   */
  #answered(route: Route, now: number): void {
    this.#inFlight.delete(route.template);
    const sent = this.#pending.get(route.template);
    if (sent) sent.t = now;
    this.#pending.delete(route.template);
  }

  /** The state to carry to the next run (windows that already ended are dropped). */
  toState(): RateLimitState {
    const now = this.clock.now();
    const buckets: Record<string, Bucket> = {};
    for (const [k, b] of this.#buckets) if (b.resetAt > now) buckets[k] = { ...b };
    return {
      routes: Object.fromEntries(this.#routes),
      buckets,
      globalUntil: this.#globalUntil > now ? this.#globalUntil : 0,
    };
  }

  #restore(state: RateLimitState): void {
    const now = this.clock.now();
    for (const [t, id] of Object.entries(state.routes ?? {})) {
      if (typeof id === "string") this.#routes.set(t, id);
    }
    for (const [k, b] of Object.entries(state.buckets ?? {})) {
      if (
        b && Number.isFinite(b.remaining) && Number.isFinite(b.limit) &&
        Number.isFinite(b.resetAt) &&
        b.resetAt > now
      ) this.#buckets.set(k, { remaining: b.remaining, limit: b.limit, resetAt: b.resetAt });
    }
    if (Number.isFinite(state.globalUntil)) this.#globalUntil = state.globalUntil;
  }
}

/** Thrown by {@link RateLimiter.acquire} when the wait would pass the caller's deadline. */
export class RateLimitWait extends Error {
  override name = "RateLimitWait";
  constructor(readonly waitMs: number) {
    super(`rate limited: next request possible in ${Math.ceil(waitMs)} ms`);
  }
}

/**
 * Verifying (and, for tests and tools, making) the signed wake-ups the database sends through pg_net
 * (see supabase/migrations/20261129100100_wake_signing.sql):
 *
 *     x-wake-timestamp: <unix ms>
 *     x-wake-signature: v1=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>
 *
 * HMAC per RFC 2104 with SHA-256, computed with WebCrypto; the comparison is WebCrypto's
 * `verify`, which does not leak timing. A request older or newer than {@link WAKE_MAX_AGE_MS} is
 * refused (a captured request cannot be replayed later; within the window every receiver is
 * idempotent anyway).
 */

import { HttpError } from "./http.ts";

/** How far a wake-up's timestamp may be from the receiver's clock (5 minutes). */
export const WAKE_MAX_AGE_MS = 5 * 60_000;

const enc = new TextEncoder();

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      usage,
    ],
  );
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The headers of a wake-up signed with `secret` at `timestampMs` (what private.wake sends). */
export async function signWake(
  secret: string,
  body: string,
  timestampMs: number,
): Promise<Record<string, string>> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret, "sign"),
    enc.encode(`${timestampMs}.${body}`),
  );
  return {
    "content-type": "application/json",
    "x-wake-timestamp": String(timestampMs),
    "x-wake-signature": `v1=${hex(mac)}`,
  };
}

/**
 * Checks a wake-up's signature headers against its raw body. Throws HttpError 401 with the reason
 * (missing, malformed, stale or wrong signature) and does nothing else; returns on success.
 */
export async function verifyWake(
  headers: Headers,
  body: string,
  secret: string,
  nowMs: number,
): Promise<void> {
  const ts = headers.get("x-wake-timestamp");
  const sig = headers.get("x-wake-signature");
  if (!ts || !sig) {
    throw new HttpError(401, "unsigned wake-up (x-wake-timestamp / x-wake-signature missing)");
  }
  if (!/^\d{1,16}$/.test(ts)) throw new HttpError(401, "malformed x-wake-timestamp");
  const m = /^v1=([0-9a-f]{64})$/.exec(sig);
  if (!m) throw new HttpError(401, "malformed x-wake-signature");
  if (Math.abs(nowMs - Number(ts)) > WAKE_MAX_AGE_MS) {
    throw new HttpError(401, "stale wake-up (timestamp more than 5 minutes from now)");
  }
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i++) mac[i] = parseInt(m[1].slice(2 * i, 2 * i + 2), 16);
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret, "verify"),
    mac,
    enc.encode(`${ts}.${body}`),
  );
  if (!ok) throw new HttpError(401, "bad wake-up signature");
}

/**
 * The wake-up key, read from the database (`api.wake_key()`, Vault on Supabase) and cached for
 * `ttlMs`; {@link refresh} re-reads it at most every 10 s (after a key rotation, the first request
 * signed with the new key refreshes it).
 */
export class WakeKeyCache {
  #value: string | null = null;
  #fetchedAt = -Infinity;
  constructor(
    private readonly read: () => Promise<string | null>,
    private readonly now: () => number,
    private readonly ttlMs = 60_000,
  ) {}

  /** The key (cached); HttpError 503 when the database has none configured. */
  async get(): Promise<string> {
    if (this.#value === null || this.now() - this.#fetchedAt > this.ttlMs) await this.#load();
    if (this.#value === null) {
      throw new HttpError(503, "wake-up key not configured (run deno task db:configure)");
    }
    return this.#value;
  }

  /** Re-reads the key unless it was read less than 10 s ago; true when it changed. */
  async refresh(): Promise<boolean> {
    if (this.now() - this.#fetchedAt < 10_000) return false;
    const before = this.#value;
    await this.#load();
    return this.#value !== before;
  }

  async #load(): Promise<void> {
    this.#value = await this.read();
    this.#fetchedAt = this.now();
  }
}

/**
 * Verifies a wake-up with the cached key, retrying once with a freshly read key when the signature
 * does not match (key rotation). Throws HttpError 401/503 like {@link verifyWake}.
 */
export async function verifyWakeWithKey(
  req: Request,
  body: string,
  keys: WakeKeyCache,
  nowMs: number,
): Promise<void> {
  try {
    await verifyWake(req.headers, body, await keys.get(), nowMs);
  } catch (e) {
    if (e instanceof HttpError && e.message === "bad wake-up signature" && await keys.refresh()) {
      await verifyWake(req.headers, body, await keys.get(), nowMs);
      return;
    }
    throw e;
  }
}

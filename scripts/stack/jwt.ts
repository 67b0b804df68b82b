/**
 * The local stack's API keys: HS256 JSON Web Tokens (RFC 7519, signed per RFC 7515 with HMAC-SHA256)
 * carrying a Postgres `role` claim, as Supabase issues them (`supabase start` prints an `anon` and a
 * `service_role` key signed with the project's JWT secret). The stack keeps one random secret per
 * checkout (./local_api.ts `localApiSecret`), so its keys are the same from run to run.
 *
 * The REST subset and the Realtime endpoint read the role from these tokens and run queries as that
 * role, with the claims in `request.jwt.claims` (as PostgREST and Supabase Realtime do).
 */

/** Claims of a verified token; `role` is always a non-empty string. */
export interface JwtClaims {
  role: string;
  /** Expiry, seconds since the Unix epoch (RFC 7519 §4.1.4). */
  exp?: number;
  iat?: number;
  sub?: string;
  [claim: string]: unknown;
}

/** Why a token was refused: `malformed`, `signature`, `expired` or `missing_claims` (no `role`). */
export type JwtErrorCode = "malformed" | "signature" | "expired" | "missing_claims";

/** A refused token; `message` is one line fit for an HTTP error body. */
export class JwtError extends Error {
  override name = "JwtError";
  constructor(readonly code: JwtErrorCode, message: string) {
    super(message);
  }
}

const enc = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new JwtError("malformed", "token is not base64url");
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/") + "===".slice((s.length + 3) % 4);
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    throw new JwtError("malformed", "token is not base64url");
  }
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
      "verify",
    ],
  );
}

/** A fresh random secret (40 hex characters, like the `jwt_secret` Supabase stores). */
export function randomJwtSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Signs `claims` as an HS256 JWT with `secret` (header `{"alg":"HS256","typ":"JWT"}`). */
export async function signJwt(secret: string, claims: Record<string, unknown>): Promise<string> {
  const head = base64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = base64url(enc.encode(JSON.stringify(claims)));
  const sig = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    enc.encode(`${head}.${body}`),
  );
  return `${head}.${body}.${base64url(new Uint8Array(sig))}`;
}

/**
 * Verifies an HS256 token signed with `secret` and returns its claims. `nowSec` is the current time
 * in seconds. Throws {@link JwtError}: `malformed` (not three base64url parts, not JSON, alg other
 * than HS256), `signature`, `expired` (`exp` ≤ now), `missing_claims` (no string `role`; with
 * `requireExp`, also no numeric `exp`, as Supabase Realtime requires).
 */
export async function verifyJwt(
  secret: string,
  token: string,
  nowSec: number = Math.floor(Date.now() / 1000),
  requireExp = false,
): Promise<JwtClaims> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("malformed", "The token provided is not a valid JWT");
  const [head, body, sig] = parts;
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(fromBase64url(head)));
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
  } catch {
    throw new JwtError("malformed", "The token provided is not a valid JWT");
  }
  if ((header as { alg?: unknown })?.alg !== "HS256") {
    throw new JwtError("malformed", "The token provided is not an HS256 JWT");
  }
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    fromBase64url(sig),
    enc.encode(`${head}.${body}`),
  );
  if (!ok) throw new JwtError("signature", "Failed to validate JWT signature");
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new JwtError("malformed", "The token provided is not a valid JWT");
  }
  const c = claims as Record<string, unknown>;
  if (typeof c.role !== "string" || c.role === "" || (requireExp && typeof c.exp !== "number")) {
    throw new JwtError("missing_claims", "Fields `role` and `exp` are required in JWT");
  }
  if (typeof c.exp === "number" && c.exp <= nowSec) {
    throw new JwtError("expired", "Token has expired");
  }
  return c as JwtClaims;
}

/** The two keys a project hands out: `anon` (public clients) and `service_role` (servers only). */
export interface ApiKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
}

/** Ten years, in seconds: the lifetime of the API keys (Supabase's local keys last about as long). */
const KEY_LIFETIME_S = 10 * 365 * 86_400;

/**
 * Issues the anon and service_role keys for `secret` (claims `{iss, role, iat, exp}` with a ten-year
 * lifetime, the shape `supabase start` prints).
 */
export async function issueApiKeys(
  secret: string,
  nowSec: number = Math.floor(Date.now() / 1000),
): Promise<ApiKeys> {
  const base = { iss: "supabase-local", iat: nowSec, exp: nowSec + KEY_LIFETIME_S };
  return {
    jwtSecret: secret,
    anonKey: await signJwt(secret, { ...base, role: "anon" }),
    serviceRoleKey: await signJwt(secret, { ...base, role: "service_role" }),
  };
}

/**
 * A signed-in user's access token, as Supabase Auth issues it: role `authenticated`, `sub` = the
 * user id, `exp` = now + `lifetimeS` (default one hour). For tests and local tools.
 */
export function userToken(
  secret: string,
  sub: string,
  lifetimeS = 3600,
  nowSec: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  return signJwt(secret, {
    iss: "supabase-local",
    aud: "authenticated",
    role: "authenticated",
    sub,
    iat: nowSec,
    exp: nowSec + lifetimeS,
  });
}

/**
 * The bearer token of a request as Supabase's API gateway reads it: `Authorization: Bearer <jwt>` if
 * present, else the `apikey` header (or `apikey` query parameter for WebSockets). Null when neither.
 */
export function requestToken(req: Request, url: URL = new URL(req.url)): string | null {
  const auth = req.headers.get("authorization");
  const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (m) return m[1];
  return req.headers.get("apikey") ?? url.searchParams.get("apikey");
}

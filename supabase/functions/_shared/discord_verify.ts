/**
 * Verifying Discord interaction requests (Discord developer docs, "Security and Authorization"):
 * an Ed25519 signature (`X-Signature-Ed25519`, hex) over `X-Signature-Timestamp` + the raw body,
 * checked with the application's public key by `discord-interactions`' `verifyKey` (WebCrypto).
 * `verifyKey` does not look at the timestamp's age, so a captured request could be replayed at any
 * time; this module also refuses timestamps more than {@link INTERACTION_MAX_AGE_S} from now.
 * Every refusal is HttpError 401 (Discord sends invalid signatures on purpose and removes endpoints
 * that accept them).
 */

import { verifyKey } from "discord-interactions";
import { HttpError } from "./http.ts";

/** Largest accepted distance between the signature's timestamp and the receiver's clock (5 minutes). */
export const INTERACTION_MAX_AGE_S = 300;

/**
 * Checks an interaction's signature headers against its raw body with `publicKey` (64 hex
 * characters) at `nowMs`. Throws HttpError 401 naming the reason (missing, malformed, stale or
 * wrong signature); returns on success.
 */
export async function verifyInteraction(
  headers: Headers,
  rawBody: string,
  publicKey: string,
  nowMs: number,
): Promise<void> {
  const signature = headers.get("x-signature-ed25519");
  const timestamp = headers.get("x-signature-timestamp");
  if (!signature || !timestamp) {
    throw new HttpError(
      401,
      "unsigned request (X-Signature-Ed25519 / X-Signature-Timestamp missing)",
    );
  }
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) throw new HttpError(401, "malformed signature");
  if (!/^\d{1,12}$/.test(timestamp)) throw new HttpError(401, "malformed signature timestamp");
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > INTERACTION_MAX_AGE_S) {
    throw new HttpError(401, "stale request (signature timestamp more than 5 minutes from now)");
  }
  if (!(await verifyKey(rawBody, signature, timestamp, publicKey))) {
    throw new HttpError(401, "bad request signature");
  }
}

/**
 * What a WebSocket message from Binance's streams is: a kline event (parsed by the library's
 * `parseWsKline`, µs times converted), a reply to a control message (`{result, id}` or
 * `{error, id}`), a `serverShutdown` event, something well-formed but not for us, or malformed.
 * Pure: no I/O.
 */

import { CandleError } from "../../shared/candles/errors.ts";
import { parseWsKline, type WsKline } from "../../shared/candles/ws_kline.ts";

/** One classified message. */
export type Incoming =
  | { kind: "kline"; kline: WsKline }
  | { kind: "control"; id: unknown; error: string | null }
  | { kind: "shutdown" }
  | { kind: "unknown"; what: string }
  | { kind: "malformed"; error: string };

/**
 * Classifies a message text. `serverShutdown` is recognised bare (`{e}`), wrapped by a combined
 * stream (`{stream, data: {e}}`) or as the WebSocket API sends it (`{event: {e}}`) (Binance docs,
 * "Connection events"). Never throws.
 */
export function classifyMessage(text: string): Incoming {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "malformed", error: `not JSON: ${clip(text)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { kind: "malformed", error: `not a JSON object: ${clip(text)}` };
  }
  const obj = value as Record<string, unknown>;
  if ("id" in obj && ("result" in obj || "error" in obj)) {
    const err = obj.error as { msg?: unknown } | undefined;
    return {
      kind: "control",
      id: obj.id,
      error: err === undefined || err === null ? null : String(err.msg ?? JSON.stringify(err)),
    };
  }
  const inner = (obj.data ?? obj.event ?? obj) as Record<string, unknown> | null;
  const e = typeof inner === "object" && inner !== null ? inner.e : undefined;
  if (e === "serverShutdown") return { kind: "shutdown" };
  if (e === "kline") {
    try {
      return { kind: "kline", kline: parseWsKline(obj) };
    } catch (err) {
      const msg = err instanceof CandleError ? err.message : String(err);
      return { kind: "malformed", error: msg };
    }
  }
  return { kind: "unknown", what: typeof e === "string" ? `event ${e}` : clip(text) };
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

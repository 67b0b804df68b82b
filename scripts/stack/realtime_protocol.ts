/**
 * Phoenix channel frames as Supabase Realtime exchanges them over its WebSocket
 * (https://hexdocs.pm/phoenix/writing_a_channels_client.html, and the serializer in
 * `@supabase/realtime-js`): protocol `vsn=2.0.0` sends each message as a JSON array
 * `[join_ref, ref, topic, event, payload]`; `vsn=1.0.0` as an object `{topic, event, payload, ref}`.
 * The server answers a client push with `phx_reply` `{status: "ok"|"error", response}` under the
 * push's `ref`, and pushes its own messages with `ref` null.
 */

/** The protocol versions spoken here (the `vsn` query parameter; Phoenix's default is 1.0.0). */
export type Vsn = "1.0.0" | "2.0.0";

/** One message in either direction. */
export interface PhxMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** A frame that is not a valid message; `topic`/`ref` are kept when they could be read, to reply. */
export class FrameError extends Error {
  override name = "FrameError";
  constructor(
    message: string,
    readonly topic: string | null = null,
    readonly ref: string | null = null,
  ) {
    super(message);
  }
}

/** Largest text frame accepted (bytes of UTF-16 text, roughly); Realtime's own limit is similar. */
export const MAX_FRAME_CHARS = 1_000_000;

/** A ref is a string, a finite number (some clients send numbers) or null/absent. */
function isRef(v: unknown): boolean {
  return v === null || v === undefined || typeof v === "string" ||
    (typeof v === "number" && Number.isFinite(v));
}

function refText(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/**
 * Decodes a text frame for protocol `vsn`. Throws {@link FrameError} for anything that is not a
 * message: not JSON, wrong shape, a topic or event that is not a non-empty string, a payload that is
 * not an object, or a frame above {@link MAX_FRAME_CHARS}.
 */
export function decodeFrame(text: string, vsn: Vsn): PhxMessage {
  if (text.length > MAX_FRAME_CHARS) {
    throw new FrameError(`frame too large: ${text.length} characters (limit ${MAX_FRAME_CHARS})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new FrameError("malformed frame: not JSON");
  }
  let joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown;
  if (vsn === "2.0.0") {
    if (!Array.isArray(data) || data.length !== 5) {
      throw new FrameError("malformed frame: expected [join_ref, ref, topic, event, payload]");
    }
    [joinRef, ref, topic, event, payload] = data;
  } else {
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new FrameError("malformed frame: expected {topic, event, payload, ref}");
    }
    ({ join_ref: joinRef, ref, topic, event, payload } = data as Record<string, unknown>);
  }
  // Keep what can be read of the topic and ref, so the error reply reaches the push that caused it.
  const readTopic = typeof topic === "string" && topic !== "" ? topic : null;
  const readRef = isRef(ref) ? refText(ref) : null;
  const fail = (msg: string) => new FrameError(`malformed frame: ${msg}`, readTopic, readRef);
  if (readTopic === null) throw fail("topic must be a non-empty string");
  if (typeof event !== "string" || event === "") throw fail("event must be a non-empty string");
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw fail("payload must be an object");
  }
  if (!isRef(ref) || !isRef(joinRef)) throw fail("ref and join_ref must be strings or null");
  return {
    joinRef: refText(joinRef),
    ref: readRef,
    topic: readTopic,
    event,
    payload: payload as Record<string, unknown>,
  };
}

/** Encodes a message as a text frame for protocol `vsn`. */
export function encodeFrame(m: PhxMessage, vsn: Vsn): string {
  if (vsn === "2.0.0") return JSON.stringify([m.joinRef, m.ref, m.topic, m.event, m.payload]);
  return JSON.stringify({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref });
}

/** The `phx_reply` to a push: `{status, response}` under the push's refs. */
export function reply(
  to: { joinRef: string | null; ref: string | null; topic: string },
  status: "ok" | "error",
  response: Record<string, unknown>,
): PhxMessage {
  return {
    joinRef: to.joinRef,
    ref: to.ref,
    topic: to.topic,
    event: "phx_reply",
    payload: { status, response },
  };
}

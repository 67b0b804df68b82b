/**
 * HTTP helpers shared by the functions: a typed error that carries its status, a size-capped body
 * reader (413 instead of reading an unbounded body), JSON responses, and the wrapper that turns any
 * error into a one-line JSON answer (never a stack trace).
 */

import { errorLine, type Logger } from "./log.ts";

/** An error answered with `status` and `{error: message}`. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A JSON response (`application/json; charset=utf-8`). */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * Reads the request body as UTF-8 text, at most `limit` bytes: a declared or actual larger body is
 * HttpError 413 (the rest is not read). Invalid UTF-8 is HttpError 400.
 */
export async function readBody(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    throw new HttpError(413, `body too large: ${declared} bytes (limit ${limit})`);
  }
  if (!req.body) return "";
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, `body too large: more than ${limit} bytes`);
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "body is not valid UTF-8");
  }
}

/** Parses JSON text; HttpError 400 naming the problem when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `body is not JSON (${errorLine(e)})`);
  }
}

/**
 * Runs `handler`, answering HttpErrors with their status and `{error: "<one line>"}`, and any other
 * error with 500 and a generic message; the detail of unexpected errors is logged with the path.
 */
export async function answerErrors(
  req: Request,
  log: Logger,
  handler: () => Promise<Response>,
): Promise<Response> {
  try {
    return await handler();
  } catch (e) {
    if (e instanceof HttpError) {
      log.warn("request refused", {
        path: new URL(req.url).pathname,
        status: e.status,
        error: e.message,
      });
      return json(e.status, { error: e.message });
    }
    // The detail goes to the log only: pg_net stores responses where every role can read them.
    log.error("request failed", { path: new URL(req.url).pathname, error: errorLine(e) });
    return json(500, { error: "internal error (see the function's log)" });
  }
}

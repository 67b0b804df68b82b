/**
 * A small client for the Discord REST API calls the project makes (Discord developer docs:
 * "Create Message", "Edit Message", "Execute Webhook", "Edit Webhook Message", "Edit Original
 * Interaction Response", "Bulk Overwrite Application Commands"). Every request sends
 * `User-Agent: DiscordBot (<url>, <version>)`, the bot token where the route needs it (never to
 * webhook or interaction-token routes), goes through the {@link RateLimiter}, and has a timeout.
 *
 * Results are typed instead of thrown: `ok` with the JSON body, or a failure whose `kind` says what
 * the caller should do:
 *   - `rate-limited`: Discord said 429 and its retry_after is longer than the caller can wait here;
 *   - `network`: no answer (connection error or timeout): the request may have been carried out;
 *   - `server`: 5xx, retry later;
 *   - `auth`: 401 (bad token) or 403 (missing access or permission): stop sending;
 *   - `client`: any other 4xx: Discord refused this request (its reason is in `message`).
 * 429s within the caller's deadline are waited out and retried here.
 */

import type { MessageBody } from "./discord_embed.ts";
import {
  type Clock,
  RateLimiter,
  RateLimitWait,
  readRateLimitHeaders,
  type Route,
  routeOf,
} from "./discord_rate_limit.ts";

/**
 * Sent as User-Agent, in the form Discord requires: `DiscordBot ($url, $versionNumber)`. The
 * project has no public homepage, so its name stands where the URL goes.
 */
export const USER_AGENT = "DiscordBot (wyckoff-elliott-signals, 1.0.0)";

/** Discord's JSON error body. */
export interface DiscordErrorBody {
  code?: number;
  message?: string;
  errors?: unknown;
  retry_after?: number;
  global?: boolean;
}

/** A message as Discord returns it (the fields used here). */
export interface DiscordMessage {
  id: string;
  channel_id: string;
  content?: string;
  embeds?: unknown[];
  webhook_id?: string;
  nonce?: string | number;
}

/** The outcome of a request. */
export type DiscordResult<T> =
  | { ok: true; status: number; body: T }
  | {
    ok: false;
    kind: "rate-limited" | "network" | "server" | "auth" | "client";
    /** HTTP status (0 when there was no answer). */
    status: number;
    /** Discord's JSON error code (e.g. 50035 Invalid Form Body, 50001 Missing Access). */
    code: number | null;
    /** One line: status, Discord's message and the first invalid fields. */
    message: string;
    /** For `rate-limited`: seconds to wait. */
    retryAfterS: number | null;
  };

/** A file to upload with a message (multipart `files[0]`). */
export interface UploadFile {
  name: string;
  contentType: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Settings of a {@link DiscordRest}. */
export interface DiscordRestOptions {
  /** API base, e.g. `https://discord.com/api/v10`. */
  apiUrl: string;
  /** Bot token (without the `Bot ` prefix), when bot routes are used. */
  token?: string | null;
  fetch: typeof fetch;
  clock: Clock;
  /** Time allowed per request (ms). */
  timeoutMs: number;
  /** Shared limiter (default: a new one on `clock`). */
  limiter?: RateLimiter;
  /** Longest wait for one 429 handled inside a request (ms, default 15,000). */
  maxRateLimitWaitMs?: number;
}

/**
 * `400 Invalid Form Body (50035): embeds.0.description: Must be 4096 or fewer in length.` — the
 * status, Discord's message and code, and its nested `errors` object flattened to the first three
 * field paths (Discord's own messages such as `401: Unauthorized` already start with the status).
 */
export function describeDiscordError(status: number, body: DiscordErrorBody | null): string {
  const msg = body?.message ?? "error";
  const head = `${msg.startsWith(`${status}`) ? msg : `${status} ${msg}`}${
    body?.code !== undefined && body.code !== 0 ? ` (${body.code})` : ""
  }`;
  const found: string[] = [];
  const walk = (node: unknown, path: string[]) => {
    if (found.length >= 3 || node === null || typeof node !== "object") return;
    const errs = (node as { _errors?: { message?: string }[] })._errors;
    if (Array.isArray(errs)) {
      found.push(`${path.join(".")}: ${errs.map((e) => e.message ?? "invalid").join("; ")}`);
      return;
    }
    for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(body?.errors, []);
  return found.length ? `${head}: ${found.join(", ")}` : head;
}

function isJson(res: Response): boolean {
  return (res.headers.get("content-type") ?? "").includes("application/json");
}

/** A Discord REST client (see the module doc). */
export class DiscordRest {
  readonly limiter: RateLimiter;
  readonly #o: DiscordRestOptions;
  /** 401, 403 and 429 answers seen (Discord bans an IP after 10,000 in 10 minutes). */
  invalidRequests = 0;

  constructor(opts: DiscordRestOptions) {
    this.#o = opts;
    this.limiter = opts.limiter ?? new RateLimiter(opts.clock);
  }

  /**
   * Sends one request. `target` is a path below the API base (`/channels/1/messages`) or an
   * absolute URL (a webhook). `auth` adds the bot token. `deadline` (ms) bounds rate-limit waits.
   */
  async request<T>(
    method: string,
    target: string,
    opts: { json?: unknown; files?: UploadFile[]; auth?: boolean; deadline?: number } = {},
  ): Promise<DiscordResult<T>> {
    const url = /^https?:\/\//.test(target) ? new URL(target) : new URL(this.#o.apiUrl + target);
    const route: Route = routeOf(method, url.pathname.replace(/^.*?\/api(\/v\d+)?(?=\/)/, ""));
    const deadline = opts.deadline ?? Infinity;
    const maxWait = this.#o.maxRateLimitWaitMs ?? 15_000;
    for (let attempt = 0;; attempt++) {
      try {
        await this.limiter.acquire(route, Math.min(deadline, this.#o.clock.now() + maxWait));
      } catch (e) {
        if (e instanceof RateLimitWait) {
          return this.#fail("rate-limited", 429, null, e.message, e.waitMs / 1000);
        }
        throw e;
      }
      const headers: Record<string, string> = { "User-Agent": USER_AGENT };
      if (opts.auth) {
        if (!this.#o.token) throw new Error("a bot token is needed for this Discord route");
        headers.Authorization = `Bot ${this.#o.token}`;
      }
      let body: BodyInit | undefined;
      if (opts.files?.length) {
        const form = new FormData();
        form.append("payload_json", JSON.stringify(opts.json ?? {}));
        opts.files.forEach((f, i) =>
          form.append(`files[${i}]`, new Blob([f.bytes], { type: f.contentType }), f.name)
        );
        body = form;
      } else if (opts.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(opts.json);
      }
      let res: Response;
      let parsed: unknown = null;
      try {
        res = await this.#o.fetch(url, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(this.#o.timeoutMs),
        });
        parsed = isJson(res) ? await res.json() : (await res.text(), null);
      } catch (e) {
        this.limiter.abandon(route);
        const why = e instanceof Error && e.name === "TimeoutError"
          ? `no answer within ${this.#o.timeoutMs} ms`
          : (e instanceof Error ? e.message : String(e)).split("\n")[0];
        return this.#fail("network", 0, null, `network error: ${why}`, null);
      }
      const rl = readRateLimitHeaders(res.headers);
      const err = (parsed ?? {}) as DiscordErrorBody;
      if (res.status === 429) {
        this.invalidRequests += rl.scope === "shared" ? 0 : 1;
        const retryAfterS = Number.isFinite(err.retry_after)
          ? Number(err.retry_after)
          : Number(res.headers.get("retry-after") ?? 1);
        this.limiter.update(route, 429, rl, {
          retryAfterS,
          global: err.global === true || rl.global,
        });
        if (attempt < 5) continue; // acquire() waits it out, or returns rate-limited past the deadline
        return this.#fail(
          "rate-limited",
          429,
          err.code ?? null,
          describeDiscordError(429, err),
          retryAfterS,
        );
      }
      this.limiter.update(route, res.status, rl);
      if (res.ok) return { ok: true, status: res.status, body: parsed as T };
      const message = describeDiscordError(res.status, parsed as DiscordErrorBody | null);
      if (res.status === 401 || res.status === 403) {
        this.invalidRequests++;
        return this.#fail("auth", res.status, err.code ?? null, message, null);
      }
      if (res.status >= 500) {
        return this.#fail("server", res.status, err.code ?? null, message, null);
      }
      return this.#fail("client", res.status, err.code ?? null, message, null);
    }
  }

  #fail(
    kind: "rate-limited" | "network" | "server" | "auth" | "client",
    status: number,
    code: number | null,
    message: string,
    retryAfterS: number | null,
  ): DiscordResult<never> {
    return { ok: false, kind, status, code, message, retryAfterS };
  }

  /** `POST /channels/{channel}/messages` as the bot (with files: multipart `files[n]` + `payload_json`). */
  createMessage(
    channelId: string,
    body: MessageBody,
    files?: UploadFile[],
    deadline?: number,
  ): Promise<DiscordResult<DiscordMessage>> {
    return this.request("POST", `/channels/${channelId}/messages`, {
      json: body,
      files,
      auth: true,
      deadline,
    });
  }

  /** `PATCH /channels/{channel}/messages/{message}` as the bot. */
  editMessage(
    channelId: string,
    messageId: string,
    body: MessageBody,
    deadline?: number,
  ): Promise<DiscordResult<DiscordMessage>> {
    return this.request("PATCH", `/channels/${channelId}/messages/${messageId}`, {
      json: body,
      auth: true,
      deadline,
    });
  }

  /** `POST {webhook}?wait=true`: posts through a webhook and returns the message. */
  executeWebhook(
    webhookUrl: string,
    body: MessageBody,
    files?: UploadFile[],
    deadline?: number,
  ): Promise<DiscordResult<DiscordMessage>> {
    const url = new URL(webhookUrl);
    url.searchParams.set("wait", "true");
    return this.request("POST", url.toString(), { json: body, files, deadline });
  }

  /** `PATCH {webhook}/messages/{message}`: edits a message the webhook posted. */
  editWebhookMessage(
    webhookUrl: string,
    messageId: string,
    body: MessageBody,
    deadline?: number,
  ): Promise<DiscordResult<DiscordMessage>> {
    return this.request("PATCH", `${webhookUrl.replace(/\/$/, "")}/messages/${messageId}`, {
      json: body,
      deadline,
    });
  }

  /**
   * `PATCH /webhooks/{application}/{interaction token}/messages/@original` (no bot token needed);
   * with files: multipart `files[n]` + `payload_json` (an interaction's HTTP answer itself cannot
   * carry files, its edit can).
   */
  editOriginalResponse(
    applicationId: string,
    interactionToken: string,
    body: MessageBody,
    files?: UploadFile[],
  ): Promise<DiscordResult<DiscordMessage>> {
    return this.request(
      "PATCH",
      `/webhooks/${applicationId}/${encodeURIComponent(interactionToken)}/messages/@original`,
      { json: body, files },
    );
  }
}

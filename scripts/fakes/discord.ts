/**
 * A local stand-in for the parts of Discord's REST API the project uses, speaking Discord's wire
 * format over a real socket (127.0.0.1, port 0 by default): create and edit channel messages as a
 * bot, execute and edit webhook messages, edit an interaction's original response, create and edit
 * an interaction's follow-up messages, and bulk overwrite or list application commands. Used by the notify, interactions and register tests, the
 * Discord benchmark and the local stack.
 *
 * Like Discord it:
 *   - requires `Authorization: Bot <token>` on bot routes (401 otherwise) and a
 *     `User-Agent: DiscordBot (<url>, <version>)` on every request (400 otherwise, counted);
 *   - refuses bodies that break a message or embed limit with 400 Invalid Form Body (50035);
 *   - with `enforce_nonce: true`, returns the message already created with the same nonce by the
 *     same author within the nonce window instead of creating a second one;
 *   - answers rate-limit headers on every request and 429 beyond a bucket's limit or 50/s, with
 *     `retry_after` and the global flag; such 429s are recorded as violations (a client that honours
 *     the headers causes none).
 * Uploaded files are read as Discord reads them (discord/uploads.ts: `payload_json` or form fields,
 * `files[n]` parts matched to `attachments[].id` placeholders, renames, the upload size limit, edit
 * semantics) and become attachments as Discord makes them (`id`, `filename`, `size`,
 * `content_type`, `description`, `url` on its "CDN", `width`/`height` read from a PNG's header),
 * served back at that URL.
 * Scripted faults ({@link FakeDiscord.inject}) answer the next matching requests with a 5xx, 401,
 * 403, 400, a 429 (bucket or global, with retry_after), a slow answer, or "lose" the answer: the
 * request is carried out, then the answer is withheld until the client gives up.
 *
 * It shares no code with the client it tests (no import from supabase/functions/).
 *
 * ```ts
 * const fake = await startFakeDiscord({ limits: { "messages-create": { limit: 5, windowMs: 1000 } } });
 * // DISCORD_API_URL=fake.apiUrl DISCORD_BOT_TOKEN=fake.token DISCORD_CHANNEL_ID=fake.channelId
 * fake.inject({ status: 502 }, { method: "POST" });
 * fake.channelMessages(fake.channelId);   // what was posted
 * await fake.close();
 * ```
 *
 * CLI: `deno task fake:discord [--port N] [--json]` prints the settings to use and one line per
 * message posted or edited, interaction response edited and follow-up posted, until Ctrl-C.
 */

import { parseCli, runCli } from "../lib/cli/run_cli.ts";
import { type BucketLimit, FakeBuckets } from "./discord/buckets.ts";
import { type FormErrors, isValid, validateCommands, validateMessage } from "./discord/validate.ts";
import {
  isRefusal,
  type NewAttachment,
  readRequestBody,
  type Refusal,
  resolveAttachments,
  type ResolvedAttachments,
} from "./discord/uploads.ts";

/** An uploaded file as Discord describes it (Discord developer docs, "Attachment Object"). */
export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  content_type?: string;
  description?: string;
  /** Where the fake serves the bytes (`http://127.0.0.1:<port>/attachments/<channel>/<id>/<name>`). */
  url: string;
  /** Image size in px (PNG only). */
  width?: number;
  height?: number;
}

/** A message as the fake stores and returns it. */
export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: Record<string, unknown>[];
  attachments: FakeAttachment[];
  nonce?: string | number;
  message_reference?: { message_id: string; channel_id?: string };
  allowed_mentions?: Record<string, unknown>;
  /** User ids the message notifies (the mentions allowed_mentions lets through). */
  mentions: string[];
  author: { id: string; username: string; bot: boolean };
  webhook_id?: string;
  timestamp: string;
  edited_timestamp: string | null;
  /** Bodies of the edits applied, oldest first. */
  edits: Record<string, unknown>[];
}

/** One request as the fake received it. */
export interface RecordedRequest {
  at: number;
  method: string;
  /** Path below the API base, e.g. `/channels/1/messages`. */
  path: string;
  query: string;
  authorization: string | null;
  userAgent: string | null;
  /** The JSON body (or multipart payload_json), null when none. */
  body: unknown;
  /** Names of multipart files. */
  files: string[];
  /** The status answered (0 when the answer was withheld: a "lost" response). */
  status: number;
}

/** A scripted fault. */
export type Fault =
  | { status: 500 | 502 | 503 | 504 }
  | { status: 401 }
  | { status: 403; code?: number; message?: string }
  | { status: 400 | 404; code?: number; message?: string }
  | { rateLimit: { retryAfter: number; global?: boolean; scope?: "user" | "shared" } }
  | { lose: true }
  | { delayMs: number };

/** Which requests a fault applies to. */
export interface FaultMatch {
  method?: string;
  /** Tested against the path below the API base. */
  path?: RegExp;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

/** A registered command as the fake stores it (Discord adds id, application_id, version). */
export type FakeCommand = Record<string, unknown> & { id: string; name: string };

/** An edit of an interaction's original response. */
export interface InteractionEdit {
  applicationId: string;
  token: string;
  body: Record<string, unknown>;
  /** Files uploaded with the edit. */
  attachments: FakeAttachment[];
  at: number;
}

/** Options of {@link startFakeDiscord}. */
export interface FakeDiscordOptions {
  /** The bot token it accepts (default a fixed test token). */
  token?: string;
  applicationId?: string;
  /** Channels that exist (default one: {@link FakeDiscord.channelId}). */
  channels?: string[];
  /** Channels that exist but the bot cannot see (403 Missing Access, 50001). */
  noAccessChannels?: string[];
  /** Webhooks that exist (default one, on the first channel). */
  webhooks?: { id: string; token: string; channelId: string }[];
  /** Bucket limits by bucket name (messages-create, messages-edit, webhook, interaction, commands). */
  limits?: Record<string, BucketLimit>;
  /** Global requests per second (default 50). */
  globalPerSecond?: number;
  /** How long a nonce is remembered (default 5 minutes). */
  nonceWindowMs?: number;
  /** How long a "lost" answer is withheld (default 30 s; the client gives up first). */
  loseHoldMs?: number;
  hostname?: string;
  port?: number;
  /**
   * Called once per message created or edited (the CLI prints them), interaction follow-ups
   * included (their `webhook_id` is the application id, as on Discord).
   */
  onMessage?: (m: FakeMessage, event: "created" | "edited" | "deduplicated") => void;
  /** Called once per edit of an interaction's original response (the CLI prints them). */
  onInteractionEdit?: (e: InteractionEdit) => void;
}

/** A running fake Discord (see the module doc). */
export interface FakeDiscord {
  /** API base to use as DISCORD_API_URL: `http://127.0.0.1:<port>/api/v10`. */
  apiUrl: string;
  token: string;
  applicationId: string;
  /** The first channel. */
  channelId: string;
  /** URL of the first webhook (`<apiUrl minus /v10>/webhooks/<id>/<token>`). */
  webhookUrl: string;
  requests: RecordedRequest[];
  /** Every message created, oldest first. */
  messages: FakeMessage[];
  /** Requests that broke a rate limit, lacked the User-Agent, or came inside a retry_after. */
  violations: string[];
  interactionEdits: InteractionEdit[];
  /** Registered commands: "" = global, else by guild id. */
  commands: Map<string, FakeCommand[]>;
  /** Gateway URL (`ws://127.0.0.1:<port>/gateway`): HELLO, IDENTIFY with the token, READY. */
  gatewayUrl: string;
  /** Tokens that identified on the gateway (Discord asks a bot to do so once before posting). */
  identified: string[];
  /** Messages of one channel, oldest first. */
  channelMessages(channelId: string): FakeMessage[];
  /** Queues a fault for the next matching request(s). */
  inject(fault: Fault, match?: FaultMatch): void;
  /** Drops queued faults. */
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_TOKEN = "fake.bot-token.0123456789abcdefghijklmnopqrstuvwxyz";
const USER_AGENT = /^DiscordBot \([^,()]+, [^()]+\)$/;

const LIMITS: Record<string, BucketLimit> = {
  "messages-create": { limit: 5, windowMs: 1000 },
  "messages-edit": { limit: 5, windowMs: 1000 },
  webhook: { limit: 5, windowMs: 1000 },
  interaction: { limit: 5, windowMs: 1000 },
  commands: { limit: 5, windowMs: 1000 },
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function discordError(
  status: number,
  code: number,
  message: string,
  errors?: FormErrors,
  headers = {},
) {
  return json(status, errors ? { code, message, errors } : { code, message }, headers);
}

/** Starts the fake (see the module doc). */
export function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = opts.token ?? DEFAULT_TOKEN;
  const applicationId = opts.applicationId ?? "100000000000000001";
  const channels = new Set(opts.channels ?? ["200000000000000001"]);
  const channelId = [...channels][0];
  const noAccess = new Set(opts.noAccessChannels ?? []);
  for (const c of noAccess) channels.add(c);
  const webhooks = opts.webhooks ??
    [{ id: "300000000000000001", token: "fake-webhook-token_0123456789", channelId }];
  const botUser = { id: "400000000000000001", username: "signals-bot", bot: true };
  const nonceWindowMs = opts.nonceWindowMs ?? 5 * 60_000;
  const buckets = new FakeBuckets(
    { ...LIMITS, ...opts.limits },
    opts.globalPerSecond ?? 50,
    Date.now,
  );
  const faults: { fault: Fault; match: FaultMatch; left: number }[] = [];
  const nonces = new Map<string, { id: string; at: number }>();
  const byId = new Map<string, FakeMessage>();
  /** Interaction token of each follow-up message, by message id. */
  const followupTokens = new Map<string, string>();
  const held = new Set<() => void>();
  let nextId = 500000000000000000n;
  const newId = () => String(nextId++);
  const files = new Map<string, { bytes: Uint8Array; type: string }>();
  let cdnBase = "";

  /** Stores uploaded files as attachments of a message in `channel` (see the module doc). */
  const attach = async (
    channel: string,
    added: readonly NewAttachment[],
  ): Promise<FakeAttachment[]> => {
    const out: FakeAttachment[] = [];
    for (const { filename, description, file: f } of added) {
      const id = newId();
      const bytes = new Uint8Array(await f.arrayBuffer());
      const type = f.type || "application/octet-stream";
      files.set(id, { bytes, type });
      const png = pngSize(bytes);
      out.push({
        id,
        filename,
        size: f.size,
        ...(f.type ? { content_type: f.type } : {}),
        ...(description !== undefined ? { description } : {}),
        url: `${cdnBase}/attachments/${channel}/${id}/${encodeURIComponent(filename)}`,
        ...(png ?? {}),
      });
    }
    return out;
  };

  const fake: Omit<FakeDiscord, "apiUrl" | "webhookUrl" | "gatewayUrl" | "close"> = {
    token,
    applicationId,
    channelId,
    requests: [],
    messages: [],
    violations: [],
    interactionEdits: [],
    commands: new Map(),
    identified: [],
    channelMessages: (c) => fake.messages.filter((m) => m.channel_id === c),
    inject: (fault, match = {}) => faults.push({ fault, match, left: match.times ?? 1 }),
    clearFaults: () => void faults.splice(0),
  };

  const takeFault = (method: string, path: string): Fault | null => {
    const i = faults.findIndex((f) =>
      (!f.match.method || f.match.method === method) && (!f.match.path || f.match.path.test(path))
    );
    if (i < 0) return null;
    const f = faults[i];
    if (--f.left <= 0) faults.splice(i, 1);
    return f.fault;
  };

  const mentionsOf = (body: Record<string, unknown>): string[] => {
    const content = typeof body.content === "string" ? body.content : "";
    const ids = [...content.matchAll(/<@!?([0-9]{1,20})>/g)].map((m) => m[1]);
    const am = body.allowed_mentions as { parse?: string[]; users?: string[] } | undefined;
    if (!am) return ids;
    if (am.parse?.includes("users")) return ids;
    return ids.filter((id) => am.users?.includes(id));
  };

  const create = async (
    channel: string,
    body: Record<string, unknown>,
    added: readonly NewAttachment[],
    author: FakeMessage["author"],
    webhookId?: string,
  ): Promise<FakeMessage> => {
    const m: FakeMessage = {
      id: newId(),
      channel_id: channel,
      content: typeof body.content === "string" ? body.content : "",
      embeds: Array.isArray(body.embeds) ? body.embeds as Record<string, unknown>[] : [],
      attachments: await attach(channel, added),
      ...(body.nonce !== undefined ? { nonce: body.nonce as string } : {}),
      ...(body.message_reference
        ? { message_reference: body.message_reference as FakeMessage["message_reference"] }
        : {}),
      ...(body.allowed_mentions
        ? { allowed_mentions: body.allowed_mentions as Record<string, unknown> }
        : {}),
      mentions: mentionsOf(body),
      author,
      ...(webhookId ? { webhook_id: webhookId } : {}),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      edits: [],
    };
    fake.messages.push(m);
    byId.set(m.id, m);
    opts.onMessage?.(m, "created");
    return m;
  };

  const edit = async (
    m: FakeMessage,
    body: Record<string, unknown>,
    resolved: ResolvedAttachments,
  ): Promise<FakeMessage> => {
    if (typeof body.content === "string") m.content = body.content;
    if (Array.isArray(body.embeds)) m.embeds = body.embeds as Record<string, unknown>[];
    const { keep, added } = resolved;
    m.attachments = [
      ...m.attachments.filter((a) => keep === null || keep.has(a.id)),
      ...await attach(m.channel_id, added),
    ];
    m.edited_timestamp = new Date().toISOString();
    m.edits.push(body);
    opts.onMessage?.(m, "edited");
    return m;
  };

  const invalid = (errors: FormErrors) => discordError(400, 50035, "Invalid Form Body", errors);
  const refuse = (r: Refusal, rl: Record<string, string>) =>
    discordError(r.status, r.code, r.message, r.errors, rl);

  /**
   * The attachments an edit of `m` leaves (see discord/uploads.ts) and the form errors of its body
   * against them.
   */
  const checkEdit = (
    m: FakeMessage,
    body: Record<string, unknown>,
    uploads: Parameters<typeof resolveAttachments>[1],
  ): ResolvedAttachments | Refusal => {
    const resolved = resolveAttachments(body, uploads, m.attachments.map((a) => a.id));
    if (isRefusal(resolved)) return resolved;
    const kept = m.attachments.filter((a) => resolved.keep === null || resolved.keep.has(a.id));
    const errors = validateMessage(body, {
      files: resolved.added.map((a) => a.filename),
      existingAttachments: kept.map((a) => a.filename),
      edit: true,
    });
    return isValid(errors)
      ? resolved
      : { status: 400, code: 50035, message: "Invalid Form Body", errors };
  };

  /** Message-create rules shared by bot and webhook posts. */
  const checkCreate = (
    channel: string,
    body: Record<string, unknown>,
    added: readonly NewAttachment[],
    viaWebhook: boolean,
  ): Response | null => {
    const errors = validateMessage(body, { files: added.map((a) => a.filename) });
    const ref = body.message_reference as Record<string, unknown> | undefined;
    if (ref) {
      if (viaWebhook) {
        return discordError(400, 50035, "Invalid Form Body", {
          message_reference: { _errors: [{ code: "UNKNOWN", message: "Webhooks cannot reply" }] },
        });
      }
      const target = byId.get(String(ref.message_id));
      if ((!target || target.channel_id !== channel) && ref.fail_if_not_exists !== false) {
        return discordError(400, 50035, "Invalid Form Body", {
          message_reference: {
            _errors: [{ code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", message: "Unknown message" }],
          },
        });
      }
    }
    return isValid(errors) ? null : invalid(errors);
  };

  const route = async (
    req: Request,
    method: string,
    parts: string[],
    url: URL,
    rec: RecordedRequest,
  ): Promise<Response> => {
    const needAuth = parts[0] === "channels" || parts[0] === "applications";
    if (needAuth && req.headers.get("authorization") !== `Bot ${token}`) {
      return discordError(401, 0, "401: Unauthorized");
    }
    // Bucket of the route (and its major parameter).
    let bucket = "other";
    let major = "";
    if (parts[0] === "channels") {
      bucket = parts.length === 3 ? "messages-create" : "messages-edit";
      major = parts[1];
    } else if (parts[0] === "webhooks") {
      bucket = parts[1] === applicationId ? "interaction" : "webhook";
      major = `${parts[1]}/${parts[2]}`;
    } else if (parts[0] === "applications") {
      bucket = "commands";
      major = parts[1];
    }
    const fault = takeFault(method, "/" + parts.join("/"));
    let lose = false;
    if (fault) {
      if ("lose" in fault) lose = true;
      else if ("delayMs" in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
      else if ("rateLimit" in fault) {
        const { retryAfter, global = false, scope = "user" } = fault.rateLimit;
        buckets.block(bucket, major, retryAfter, global);
        return json(429, {
          message: "You are being rate limited.",
          retry_after: retryAfter,
          global,
        }, {
          "Retry-After": String(Math.ceil(retryAfter)),
          "X-RateLimit-Scope": global ? "global" : scope,
          ...(global ? { "X-RateLimit-Global": "true" } : {
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": retryAfter.toFixed(3),
          }),
        });
      } else if (fault.status >= 500) {
        return discordError(fault.status, 0, `${fault.status}: Server Error`);
      } else if (fault.status === 401) return discordError(401, 0, "401: Unauthorized");
      else {
        const f = fault as { status: number; code?: number; message?: string };
        return discordError(
          f.status,
          f.code ?? (f.status === 403 ? 50001 : 0),
          f.message ??
            (f.status === 403 ? "Missing Access" : `${f.status}: refused`),
        );
      }
    }
    const decision = buckets.take(bucket, major, needAuth);
    if (!decision.ok) {
      fake.violations.push(`${method} ${rec.path}: ${decision.reason}`);
      return json(429, {
        message: "You are being rate limited.",
        retry_after: Number(decision.retryAfterS.toFixed(3)),
        global: decision.global,
      }, {
        ...decision.headers,
        "Retry-After": String(Math.ceil(decision.retryAfterS)),
        "X-RateLimit-Scope": decision.scope,
      });
    }
    const rl = decision.headers;
    const res = await handle(req, method, parts, url, rec, rl);
    if (lose) {
      rec.status = 0;
      // Withheld until the hold ends or the fake closes; the client gives up long before.
      await new Promise<void>((resolve) => {
        const done = () => {
          held.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, opts.loseHoldMs ?? 30_000);
        held.add(done);
      });
      return new Response(null, { status: 599 }); // never reaches the client
    }
    return res;
  };

  const handle = async (
    req: Request,
    method: string,
    parts: string[],
    url: URL,
    rec: RecordedRequest,
    rl: Record<string, string>,
  ): Promise<Response> => {
    // Commands: PUT/GET /applications/{app}[/guilds/{guild}]/commands
    if (parts[0] === "applications") {
      const guild = parts[2] === "guilds" ? parts[3] : "";
      const ok = parts[1] === applicationId &&
        (guild
          ? parts.length === 5 && parts[4] === "commands"
          : parts.length === 3 && parts[2] === "commands");
      if (!ok) return discordError(404, 10002, "Unknown Application", undefined, rl);
      if (method === "GET") return json(200, fake.commands.get(guild) ?? [], rl);
      if (method !== "PUT") return discordError(405, 0, "405: Method Not Allowed", undefined, rl);
      let body: unknown;
      try {
        body = JSON.parse(await req.text());
      } catch {
        return discordError(400, 50109, "The request body contains invalid JSON.", undefined, rl);
      }
      rec.body = body;
      const errors = validateCommands(body);
      if (!isValid(errors)) return discordError(400, 50035, "Invalid Form Body", errors, rl);
      const before = new Map((fake.commands.get(guild) ?? []).map((c) => [c.name, c]));
      const stored = (body as Record<string, unknown>[]).map((c) => ({
        ...c,
        id: before.get(String(c.name))?.id ?? newId(),
        application_id: applicationId,
        ...(guild ? { guild_id: guild } : {}),
        version: newId(),
        name: String(c.name),
      }));
      fake.commands.set(guild, stored);
      return json(200, stored, rl);
    }
    const read = method === "GET" ? { body: {}, uploads: [] } : await readRequestBody(req);
    if (isRefusal(read)) return refuse(read, rl);
    rec.body = read.body;
    rec.files = read.uploads.map((u) => u.file.name);
    /** The files a new message gets (every upload, renamed by `attachments`). */
    const created = () => resolveAttachments(read.body, read.uploads, null);
    // Bot messages: POST /channels/{c}/messages, PATCH /channels/{c}/messages/{m}
    if (parts[0] === "channels" && parts[2] === "messages") {
      const channel = parts[1];
      if (!channels.has(channel)) return discordError(404, 10003, "Unknown Channel", undefined, rl);
      if (noAccess.has(channel)) return discordError(403, 50001, "Missing Access", undefined, rl);
      if (parts.length === 3 && method === "POST") {
        const added = created();
        if (isRefusal(added)) return refuse(added, rl);
        const refused = checkCreate(channel, read.body, added.added, false);
        if (refused) return refused;
        const n = read.body.nonce;
        const key = `bot:${String(n)}`;
        if (n !== undefined && read.body.enforce_nonce === true) {
          const seen = nonces.get(key);
          const existing = seen && Date.now() - seen.at < nonceWindowMs
            ? byId.get(seen.id)
            : undefined;
          if (existing) {
            opts.onMessage?.(existing, "deduplicated");
            return json(200, existing, rl);
          }
        }
        const m = await create(channel, read.body, added.added, botUser);
        if (n !== undefined && read.body.enforce_nonce === true) {
          nonces.set(key, { id: m.id, at: Date.now() });
        }
        return json(200, m, rl);
      }
      if (parts.length === 4 && method === "PATCH") {
        const m = byId.get(parts[3]);
        if (!m || m.channel_id !== channel) {
          return discordError(404, 10008, "Unknown Message", undefined, rl);
        }
        if (m.webhook_id || m.author.id !== botUser.id) {
          return discordError(
            403,
            50005,
            "Cannot edit a message authored by another user",
            undefined,
            rl,
          );
        }
        const resolved = checkEdit(m, read.body, read.uploads);
        if (isRefusal(resolved)) return refuse(resolved, rl);
        return json(200, await edit(m, read.body, resolved), rl);
      }
    }
    // Webhooks: POST /webhooks/{id}/{token}, PATCH /webhooks/{id}/{token}/messages/{m|@original}
    if (parts[0] === "webhooks" && parts.length >= 3) {
      if (parts[1] === applicationId) {
        if (method === "PATCH" && parts[3] === "messages" && parts[4] === "@original") {
          // The fake keeps no original response: an edit's `attachments` may list new files only.
          const resolved = resolveAttachments(read.body, read.uploads, []);
          if (isRefusal(resolved)) return refuse(resolved, rl);
          const errors = validateMessage(read.body, {
            files: resolved.added.map((a) => a.filename),
            edit: true,
          });
          if (!isValid(errors)) return invalid(errors);
          const e: InteractionEdit = {
            applicationId,
            token: parts[2],
            body: read.body,
            attachments: await attach(channelId, resolved.added),
            at: Date.now(),
          };
          fake.interactionEdits.push(e);
          opts.onInteractionEdit?.(e);
          return json(200, { id: newId(), channel_id: channelId, ...read.body }, rl);
        }
        // Follow-ups (Discord docs, "Create Followup Message"): POST /webhooks/{app}/{token} works
        // as Execute Webhook and always answers the message; PATCH …/messages/{id} edits one.
        if (method === "POST" && parts.length === 3) {
          const added = created();
          if (isRefusal(added)) return refuse(added, rl);
          const refused = checkCreate(channelId, read.body, added.added, true);
          if (refused) return refused;
          const m = await create(channelId, read.body, added.added, botUser, applicationId);
          followupTokens.set(m.id, parts[2]);
          return json(200, m, rl);
        }
        if (method === "PATCH" && parts.length === 5 && parts[3] === "messages") {
          const m = byId.get(parts[4]);
          if (!m || followupTokens.get(m.id) !== parts[2]) {
            return discordError(404, 10008, "Unknown Message", undefined, rl);
          }
          const resolved = checkEdit(m, read.body, read.uploads);
          if (isRefusal(resolved)) return refuse(resolved, rl);
          return json(200, await edit(m, read.body, resolved), rl);
        }
        return discordError(404, 10015, "Unknown Webhook", undefined, rl);
      }
      const hook = webhooks.find((w) => w.id === parts[1] && w.token === parts[2]);
      if (!hook) return discordError(404, 10015, "Unknown Webhook", undefined, rl);
      const author = { id: hook.id, username: "signals-webhook", bot: true };
      if (parts.length === 3 && method === "POST") {
        const added = created();
        if (isRefusal(added)) return refuse(added, rl);
        const refused = checkCreate(hook.channelId, read.body, added.added, true);
        if (refused) return refused;
        const m = await create(hook.channelId, read.body, added.added, author, hook.id);
        return url.searchParams.get("wait") === "true" ? json(200, m, rl) : json(204, null, rl);
      }
      if (parts.length === 5 && parts[3] === "messages" && method === "PATCH") {
        const m = byId.get(parts[4]);
        if (!m || m.webhook_id !== hook.id) {
          return discordError(404, 10008, "Unknown Message", undefined, rl);
        }
        const resolved = checkEdit(m, read.body, read.uploads);
        if (isRefusal(resolved)) return refuse(resolved, rl);
        return json(200, await edit(m, read.body, resolved), rl);
      }
    }
    return discordError(404, 0, "404: Not Found", undefined, rl);
  };

  /** The gateway handshake (Discord developer docs, "Gateway"): HELLO (op 10), IDENTIFY (op 2) → READY or close 4004. */
  const gateway = (req: Request): Response => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () =>
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    socket.onmessage = (ev) => {
      let msg: { op?: number; d?: { token?: string } };
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        socket.close(4002, "Decode error");
        return;
      }
      if (msg.op === 1) socket.send(JSON.stringify({ op: 11 }));
      else if (msg.op !== 2) socket.close(4003, "Not authenticated");
      else if (msg.d?.token !== token) socket.close(4004, "Authentication failed");
      else {
        fake.identified.push(token);
        socket.send(JSON.stringify({
          op: 0,
          s: 1,
          t: "READY",
          d: {
            v: 10,
            user: botUser,
            guilds: [{ id: "1175928847299117000", unavailable: true }],
            session_id: "s",
          },
        }));
      }
    };
    return response;
  };

  const server = Deno.serve(
    { hostname: opts.hostname ?? "127.0.0.1", port: opts.port ?? 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/gateway" && req.headers.get("upgrade") === "websocket") {
        return gateway(req);
      }
      const cdn = /^\/attachments\/[0-9]+\/([0-9]+)\/[^/]+$/.exec(url.pathname);
      if (cdn && req.method === "GET") {
        const f = files.get(cdn[1]);
        return f
          ? new Response(f.bytes.slice(), { headers: { "content-type": f.type } })
          : new Response("Not Found", { status: 404 });
      }
      const m = /^\/api(?:\/v\d+)?(\/.*)$/.exec(url.pathname);
      const path = m ? m[1] : url.pathname;
      const rec: RecordedRequest = {
        at: Date.now(),
        method: req.method,
        path,
        query: url.search,
        authorization: req.headers.get("authorization"),
        userAgent: req.headers.get("user-agent"),
        body: null,
        files: [],
        status: 0,
      };
      fake.requests.push(rec);
      let res: Response;
      if (!m) res = discordError(404, 0, "404: Not Found");
      else if (!USER_AGENT.test(rec.userAgent ?? "")) {
        fake.violations.push(
          `${req.method} ${path}: User-Agent ${
            JSON.stringify(rec.userAgent)
          } is not DiscordBot (url, version)`,
        );
        res = discordError(400, 0, "User-Agent must be DiscordBot ($url, $versionNumber)");
      } else {
        res = await route(req, req.method, path.split("/").filter(Boolean), url, rec);
      }
      if (rec.status === 0 && res.status !== 599) rec.status = res.status;
      return res;
    },
  );
  const port = server.addr.port;
  const base = `http://127.0.0.1:${port}/api`;
  cdnBase = `http://127.0.0.1:${port}`;
  return Promise.resolve({
    ...fake,
    apiUrl: `${base}/v10`,
    webhookUrl: `${base}/webhooks/${webhooks[0].id}/${webhooks[0].token}`,
    gatewayUrl: `ws://127.0.0.1:${port}/gateway`,
    close: async () => {
      for (const release of [...held]) release();
      await server.shutdown();
    },
  } as FakeDiscord);
}

/** Width and height of a PNG from its IHDR chunk (PNG spec, 11.2.2), or null for other bytes. */
function pngSize(b: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 24 || sig.some((x, i) => b[i] !== x)) return null;
  if (String.fromCharCode(...b.subarray(12, 16)) !== "IHDR") return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

const HELP = `usage: deno task fake:discord [--port N] [--json]
Serves a fake Discord REST API (bot messages, webhooks, interaction responses, commands) on
127.0.0.1, prints the settings that point the functions at it, then one line per message posted or
edited, interaction response edited (/backtest's result, /lastsignal's chart) and follow-up posted,
until Ctrl-C.
  --port N   port to listen on (default 0: any free port)
  --json     one JSON object per message or response edit instead of text`;

/** One line for a message or an edit body: its first embed's title, else its text; its files. */
function summary(body: { content?: unknown; embeds?: unknown }, files: FakeAttachment[]): string {
  const embeds = Array.isArray(body.embeds) ? body.embeds as Record<string, unknown>[] : [];
  const title = embeds.find((e) => typeof e.title === "string")?.title as string | undefined;
  const text = title ?? (typeof body.content === "string" ? body.content : "");
  const line = text.replace(/\s+/g, " ").slice(0, 80) || "(no text)";
  return files.length ? `${line} [${files.map((f) => f.filename).join(", ")}]` : line;
}

/** The CLI (see the module doc). */
export async function main(args: string[]): Promise<void> {
  const { values } = parseCli(args, HELP, {
    port: { type: "string" },
    json: { type: "boolean" },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a port number (got ${values.port})`);
  }
  let applicationId = "";
  const fake = await startFakeDiscord({
    port,
    onMessage: (m, event) => {
      if (values.json) console.log(JSON.stringify({ event, ...m }));
      else {
        const reply = m.message_reference ? ` (reply to ${m.message_reference.message_id})` : "";
        const what = m.webhook_id !== undefined && m.webhook_id === applicationId
          ? `follow-up ${event}`
          : event;
        console.log(`${what} ${m.id} in ${m.channel_id}${reply}: ${summary(m, m.attachments)}`);
      }
    },
    onInteractionEdit: (e) => {
      if (values.json) console.log(JSON.stringify({ event: "response edited", ...e }));
      else {
        console.log(
          `response edited (interaction ${e.token.slice(0, 12)}…): ${
            summary(e.body, e.attachments)
          }`,
        );
      }
    },
  });
  applicationId = fake.applicationId;
  console.error(`fake Discord at ${fake.apiUrl}`);
  console.error(
    `  DISCORD_API_URL=${fake.apiUrl} DISCORD_BOT_TOKEN=${fake.token} DISCORD_CHANNEL_ID=${fake.channelId}`,
  );
  console.error(
    `  DISCORD_WEBHOOK_URL=${fake.webhookUrl} DISCORD_APPLICATION_ID=${fake.applicationId}`,
  );
  await new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGINT", resolve);
    Deno.addSignalListener("SIGTERM", resolve);
  });
  await fake.close();
}

if (import.meta.main) await runCli(main);

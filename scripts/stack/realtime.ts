/**
 * A local stand-in for Supabase Realtime's `postgres_changes`, served at Supabase's local address
 * `ws://127.0.0.1:54321/realtime/v1/websocket` behind the gateway, so `supabase-js` subscribers run
 * offline exactly as against a project. It speaks the Phoenix channel protocol as
 * `@supabase/realtime-js` does (vsn 1.0.0 and 2.0.0) and behaves like supabase/realtime's
 * RealtimeChannel, learnt from their public sources (no code taken):
 *
 * - connect: `?apikey=<jwt>&vsn=…`; a missing or invalid key is refused before the upgrade (401
 *   `{error}`), as Realtime's socket does.
 * - `heartbeat` on topic `phoenix` → `phx_reply` ok.
 * - `phx_join` on `realtime:<name>` with `{config: {postgres_changes: [{event, schema, table,
 *   filter}], …}, access_token}` → `phx_reply` ok `{postgres_changes: [{…params, id}]}`, then a
 *   `system` message `{extension: "postgres_changes", status: "ok"|"error", message, channel}` (the
 *   error says why a subscription cannot work: table not published, bad filter, column the role may not
 *   select). One failing entry fails them all: Realtime creates a channel's subscriptions in one
 *   transaction, so the channel then receives nothing. With `config.postgres_changes_options.wait` a
 *   failing subscription fails the join instead.
 *   A token that is malformed, badly signed, expired or lacks `role`/`exp` fails the join
 *   (`{reason: "InvalidJWTToken: …"}` etc.).
 * - row changes → `postgres_changes` `{ids, data: {schema, table, commit_timestamp, type, columns,
 *   record, old_record, errors}}` to each channel whose role may see the row (see
 *   ./realtime_subscriptions.ts), fed by ./realtime_feed.ts.
 * - `access_token` → the channel continues with the new token's role (a refused token ends the
 *   channel: `system` error message and `phx_close`), and the token's expiry ends it the same way.
 * - `phx_leave` → `phx_reply` ok, `phx_close`.
 * - Frames that are not messages (not JSON, wrong shape, binary), and pushes to topics not joined, get
 *   a `phx_reply` error (`{reason}`) and the connection stays up, where Phoenix would drop it or stay
 *   silent; `broadcast` and `presence` (not served locally) get an error reply too.
 */

import type postgres from "postgres";
import type { Logger } from "../lib/cli/log.ts";
import { type JwtClaims, JwtError, verifyJwt } from "./jwt.ts";
import { ChangeFeed, type RowChange } from "./realtime_feed.ts";
import {
  decodeFrame,
  encodeFrame,
  FrameError,
  type PhxMessage,
  reply,
  type Vsn,
} from "./realtime_protocol.ts";
import {
  type ActiveSubscription,
  type ColumnInfo,
  deliveryFor,
  parseSubscriptionParams,
  resolveSubscription,
  SubscriptionParamsError,
  type SubscriptionSpec,
  tableColumns,
} from "./realtime_subscriptions.ts";

/** Settings of {@link LocalRealtime.start}. */
export interface RealtimeOptions {
  /** A client connected as a superuser (the local stack's `postgres`): installs the feed, switches roles. */
  sql: postgres.Sql;
  /** The same database's URL, for the change feed's own listening connection. */
  dbUrl: string;
  /** Secret that signs the API keys and user tokens (HS256). */
  jwtSecret: string;
  /** The publication whose tables are served (default `supabase_realtime`). */
  publication?: string;
  log?: Logger;
}

interface Subscription extends ActiveSubscription {
  /** The entry as the client sent it (echoed with `id` in the join reply). */
  params: Record<string, unknown>;
  /** `schema.table` keys of the published tables it covers. */
  tables: Set<string>;
  /** Why its parameters cannot be parsed, or null. */
  parseError: string | null;
  /** Why it delivers nothing (parse error, or the database check's), or null. */
  error: string | null;
}

interface Channel {
  topic: string;
  joinRef: string | null;
  claims: JwtClaims;
  token: string;
  subs: Subscription[];
  expiry: ReturnType<typeof setTimeout> | undefined;
}

interface Connection {
  id: number;
  ws: WebSocket;
  vsn: Vsn;
  /** The `apikey` the socket connected with (a channel's token when its join carries none). */
  apikey: string;
  channels: Map<string, Channel>;
  /** Messages are handled one at a time, in order. */
  queue: Promise<void>;
}

/** Counters for tests and the stack's log. */
export interface RealtimeStats {
  connections: number;
  changes: number;
  /** `postgres_changes` messages sent. */
  delivered: number;
  /** Frames answered with an error. */
  refusedFrames: number;
}

/** Realtime's hash of a subscription's parameters stands in `ids`; any stable number does (FNV-1a). */
function subscriptionId(params: Record<string, unknown>): number {
  const text = JSON.stringify(params, Object.keys(params).sort());
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100_000_000;
}

function jwtReason(e: JwtError): string {
  switch (e.code) {
    case "malformed":
      return `MalformedJWT: ${e.message}`;
    case "signature":
      return `JwtSignatureError: ${e.message}`;
    default:
      return `InvalidJWTToken: ${e.message}`;
  }
}

/** The local Realtime server (see the module doc). */
export class LocalRealtime {
  readonly #sql: postgres.Sql;
  readonly #secret: string;
  readonly #publication: string;
  readonly #log: Logger;
  #feed: ChangeFeed | null = null;
  readonly #connections = new Set<Connection>();
  #nextId = 1;
  #refuseUntil = 0;
  #changes: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly stats: RealtimeStats = { connections: 0, changes: 0, delivered: 0, refusedFrames: 0 };

  private constructor(opts: RealtimeOptions) {
    this.#sql = opts.sql;
    this.#secret = opts.jwtSecret;
    this.#publication = opts.publication ?? "supabase_realtime";
    this.#log = opts.log ?? (() => {});
  }

  /** Installs the change feed and returns the server; mount {@link handle} at `/realtime/v1/`. */
  static async start(opts: RealtimeOptions): Promise<LocalRealtime> {
    const rt = new LocalRealtime(opts);
    rt.#feed = await ChangeFeed.start(
      opts.sql,
      opts.dbUrl,
      (c) => {
        rt.#changes = rt.#changes.then(() => rt.#dispatch(c));
      },
      (msg) => rt.#log({ level: "warn", msg }),
      rt.#publication,
    );
    return rt;
  }

  /** Open WebSocket connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Answers `GET /realtime/v1/websocket?apikey=…&vsn=…` with a WebSocket upgrade; anything else is a
   * JSON `{error}`: 400 not a WebSocket request or unknown vsn, 401 missing, malformed, badly signed or
   * expired key, 404 other paths, 503 while stopping or refusing (see {@link disconnectAll}).
   */
  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const fail = (status: number, error: string) => Response.json({ error }, { status });
    if (!/^\/realtime\/v1\/websocket\/?$/.test(url.pathname)) {
      return fail(404, `no Realtime endpoint at ${url.pathname} (use /realtime/v1/websocket)`);
    }
    if (this.#stopped || Date.now() < this.#refuseUntil) {
      return fail(503, "Realtime is restarting, please standby");
    }
    if ((req.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
      return fail(400, "expected a WebSocket upgrade request");
    }
    const vsnParam = url.searchParams.get("vsn") ?? "1.0.0";
    if (vsnParam !== "1.0.0" && vsnParam !== "2.0.0") {
      return fail(400, `unsupported protocol vsn ${vsnParam} (1.0.0 or 2.0.0)`);
    }
    // Realtime checks the key when the socket connects (signature, claims, expiry).
    const apikey = req.headers.get("x-api-key") ?? url.searchParams.get("apikey");
    if (!apikey) return fail(401, "API key is missing");
    try {
      await verifyJwt(this.#secret, apikey);
    } catch (e) {
      if (e instanceof JwtError) return fail(401, e.message);
      throw e;
    }
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 120 });
    const conn: Connection = {
      id: this.#nextId++,
      ws: socket,
      vsn: vsnParam,
      apikey,
      channels: new Map(),
      queue: Promise.resolve(),
    };
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      this.#connections.add(conn);
      this.stats.connections++;
    };
    socket.onmessage = (ev) => {
      conn.queue = conn.queue.then(() => this.#onFrame(conn, ev.data)).catch((e) => {
        this.#log({ level: "error", msg: "realtime message failed", error: (e as Error).message });
      });
    };
    socket.onclose = () => this.#drop(conn);
    socket.onerror = () => this.#drop(conn);
    return response;
  }

  /**
   * Closes every connection (code 1012, "service restart"), as a network cut or a Realtime restart
   * would, and refuses new ones for `refuseForMs`. Clients reconnect by themselves; changes in between
   * are not replayed (Realtime's behaviour, which subscribers must handle).
   */
  disconnectAll(refuseForMs = 0): void {
    this.#refuseUntil = Date.now() + refuseForMs;
    for (const c of [...this.#connections]) {
      try {
        c.ws.close(1012, "service restart");
      } catch { /* already closing */ }
      this.#drop(c);
    }
  }

  /** Closes every connection and removes the change feed's triggers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const c of [...this.#connections]) {
      try {
        c.ws.close(1001, "server stopping");
      } catch { /* already closing */ }
      this.#drop(c);
    }
    await this.#feed?.stop();
    this.#feed = null;
    await this.#changes;
  }

  #drop(conn: Connection): void {
    this.#connections.delete(conn);
    for (const ch of conn.channels.values()) clearTimeout(ch.expiry);
    conn.channels.clear();
  }

  #send(conn: Connection, m: PhxMessage): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    try {
      conn.ws.send(encodeFrame(m, conn.vsn));
    } catch { /* closing */ }
  }

  #refuse(
    conn: Connection,
    to: { topic: string; ref: string | null; joinRef: string | null },
    reason: string,
  ) {
    this.stats.refusedFrames++;
    this.#send(conn, reply(to, "error", { reason }));
  }

  async #onFrame(conn: Connection, data: unknown): Promise<void> {
    if (typeof data !== "string") {
      this.#refuse(
        conn,
        { topic: "phoenix", ref: null, joinRef: null },
        "binary frames (broadcast) are not supported by the local Realtime server",
      );
      return;
    }
    let m: PhxMessage;
    try {
      m = decodeFrame(data, conn.vsn);
    } catch (e) {
      const fe = e instanceof FrameError ? e : new FrameError(String(e));
      this.#refuse(conn, { topic: fe.topic ?? "phoenix", ref: fe.ref, joinRef: null }, fe.message);
      return;
    }
    try {
      await this.#handle(conn, m);
    } catch (e) {
      // A database error mid-join, say: the push still gets its answer (Realtime's code for it).
      const msg = (e as Error).message ?? String(e);
      this.#log({ level: "error", msg: "realtime push failed", event: m.event, error: msg });
      this.#refuse(conn, m, `UnknownErrorOnChannel: ${msg}`);
    }
  }

  async #handle(conn: Connection, m: PhxMessage): Promise<void> {
    if (m.topic === "phoenix") {
      if (m.event === "heartbeat") this.#send(conn, reply(m, "ok", {}));
      else this.#refuse(conn, m, "unmatched topic");
      return;
    }
    if (m.event === "phx_join") return await this.#join(conn, m);
    const ch = conn.channels.get(m.topic);
    if (!ch) {
      this.#refuse(conn, m, "unmatched topic");
      return;
    }
    switch (m.event) {
      case "phx_leave":
        this.#send(conn, reply(m, "ok", {}));
        this.#close(conn, ch);
        return;
      case "access_token":
        return await this.#accessToken(conn, ch, m);
      case "broadcast":
      case "presence":
        this.#refuse(
          conn,
          m,
          `${m.event} is not supported by the local Realtime server (postgres_changes only)`,
        );
        return;
      default:
        this.#refuse(conn, m, `unexpected event ${JSON.stringify(m.event)}`);
    }
  }

  /** Ends a channel: `phx_close` to the client, subscriptions gone. */
  #close(conn: Connection, ch: Channel): void {
    clearTimeout(ch.expiry);
    if (conn.channels.get(ch.topic) === ch) conn.channels.delete(ch.topic);
    this.#send(conn, {
      joinRef: ch.joinRef,
      ref: null,
      topic: ch.topic,
      event: "phx_close",
      payload: {},
    });
  }

  /** Pushes a `system` message on a channel. */
  #system(
    conn: Connection,
    ch: Channel,
    extension: string,
    status: "ok" | "error",
    message: string,
  ): void {
    this.#send(conn, {
      joinRef: ch.joinRef,
      ref: null,
      topic: ch.topic,
      event: "system",
      payload: { extension, status, message, channel: ch.topic.slice("realtime:".length) },
    });
  }

  /** Verifies a channel token as Realtime's `confirm_token` does (`role` and `exp` required). */
  async #claims(token: string): Promise<JwtClaims> {
    return await verifyJwt(this.#secret, token, Math.floor(Date.now() / 1000), true);
  }

  /** Ends the channel when its token expires, with Realtime's message. */
  #armExpiry(conn: Connection, ch: Channel): void {
    clearTimeout(ch.expiry);
    const exp = typeof ch.claims.exp === "number" ? ch.claims.exp * 1000 : Infinity;
    const ms = Math.min(exp - Date.now(), 2 ** 31 - 1);
    if (!Number.isFinite(ms)) return;
    ch.expiry = setTimeout(() => {
      this.#system(conn, ch, "system", "error", "Token has expired");
      this.#close(conn, ch);
    }, Math.max(0, ms));
  }

  /**
   * Resolves each subscription for the channel's role (after a join or a new token); when one fails,
   * every subscription of the channel carries its error and none delivers.
   */
  async #resolve(ch: Channel): Promise<void> {
    if (ch.subs.length > 0) await this.#feed?.sync();
    for (const s of ch.subs) {
      if (s.parseError !== null) continue;
      const r = await resolveSubscription(
        this.#sql,
        this.#publication,
        s.spec,
        String(ch.claims.role),
      );
      s.tables = r.tables;
      s.error = r.error;
    }
    // Realtime creates a channel's subscriptions in one transaction: one that fails rolls them all
    // back, so the channel receives nothing (not just nothing for the failing entry).
    const failed = ch.subs.find((s) => s.error !== null);
    if (failed) { for (const s of ch.subs) s.error ??= failed.error; }
  }

  /** Reports the subscriptions' state as Realtime does after subscribing to Postgres. */
  #reportSubscriptions(conn: Connection, ch: Channel): void {
    if (ch.subs.length === 0) return;
    const failed = ch.subs.find((s) => s.error !== null);
    if (failed?.error) this.#system(conn, ch, "postgres_changes", "error", failed.error);
    else this.#system(conn, ch, "postgres_changes", "ok", "Subscribed to PostgreSQL");
  }

  async #join(conn: Connection, m: PhxMessage): Promise<void> {
    if (m.topic === "realtime:") {
      return this.#refuse(conn, m, "TopicNameRequired: You must provide a topic name");
    }
    if (!m.topic.startsWith("realtime:")) return this.#refuse(conn, m, "unmatched topic");
    const config = (m.payload.config ?? {}) as Record<string, unknown>;
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      return this.#refuse(conn, m, "InvalidJoinPayload: config must be an object");
    }
    if (config.private === true) {
      return this.#refuse(
        conn,
        m,
        "PrivateChannels: private channels (Realtime Authorization) are not supported by the local Realtime server",
      );
    }
    const given = m.payload.access_token ?? m.payload.user_token;
    const token = typeof given === "string" && !given.startsWith("sb_") ? given : conn.apikey;
    let claims: JwtClaims;
    try {
      claims = await this.#claims(token);
    } catch (e) {
      if (e instanceof JwtError) return this.#refuse(conn, m, jwtReason(e));
      throw e;
    }
    const entries = config.postgres_changes ?? [];
    if (!Array.isArray(entries)) {
      return this.#refuse(conn, m, "InvalidJoinPayload: config.postgres_changes must be a list");
    }
    const subs: Subscription[] = entries.filter((p) => p !== null && p !== undefined).map((p) => {
      const params = (typeof p === "object" && !Array.isArray(p) ? p : { value: p }) as Record<
        string,
        unknown
      >;
      const id = subscriptionId(params);
      try {
        const spec = parseSubscriptionParams(p);
        return { id, params, spec, tables: new Set<string>(), parseError: null, error: null };
      } catch (e) {
        if (!(e instanceof SubscriptionParamsError)) throw e;
        const spec: SubscriptionSpec = { event: "*", schema: "", table: "", conditions: [] };
        return {
          id,
          params,
          spec,
          tables: new Set<string>(),
          parseError: e.message,
          error: e.message,
        };
      }
    });
    const old = conn.channels.get(m.topic);
    if (old) this.#close(conn, old); // Phoenix: a second join on a topic replaces the first
    const ch: Channel = {
      topic: m.topic,
      joinRef: m.joinRef ?? m.ref,
      claims,
      token,
      subs,
      expiry: undefined,
    };
    await this.#resolve(ch);
    const wait = (config.postgres_changes_options as { wait?: unknown } | undefined)?.wait === true;
    const failed = subs.find((s) => s.error !== null);
    if (wait && failed?.error) {
      return this.#refuse(conn, m, `RealtimeDisabledForConfiguration: ${failed.error}`);
    }
    conn.channels.set(m.topic, ch);
    this.#armExpiry(conn, ch);
    this.#send(
      conn,
      reply(m, "ok", { postgres_changes: subs.map((s) => ({ ...s.params, id: s.id })) }),
    );
    const presence = config.presence as { enabled?: unknown } | undefined;
    if (presence?.enabled === true) {
      this.#send(conn, {
        joinRef: ch.joinRef,
        ref: null,
        topic: ch.topic,
        event: "presence_state",
        payload: {},
      });
    }
    this.#reportSubscriptions(conn, ch);
  }

  async #accessToken(conn: Connection, ch: Channel, m: PhxMessage): Promise<void> {
    const token = m.payload.access_token;
    if (typeof token !== "string" || token.startsWith("sb_") || token === ch.token) return;
    try {
      ch.claims = await this.#claims(token);
    } catch (e) {
      if (!(e instanceof JwtError)) throw e;
      this.#system(conn, ch, "system", "error", e.message);
      this.#close(conn, ch);
      return;
    }
    ch.token = token;
    this.#armExpiry(conn, ch);
    await this.#resolve(ch);
    this.#reportSubscriptions(conn, ch);
  }

  /** Sends one change to every channel that may see it (one database check per channel). */
  async #dispatch(change: RowChange): Promise<void> {
    this.stats.changes++;
    const key = `${change.schema}.${change.table}`;
    const columnsByRole = new Map<string, Promise<ColumnInfo[]>>();
    const work: Promise<void>[] = [];
    for (const conn of this.#connections) {
      for (const ch of conn.channels.values()) {
        const subs = ch.subs.filter((s) =>
          s.error === null && s.tables.has(key) &&
          (s.spec.event === "*" || s.spec.event === change.type)
        );
        if (subs.length === 0) continue;
        const role = String(ch.claims.role);
        let cols = columnsByRole.get(role);
        if (!cols) {
          cols = tableColumns(this.#sql, change.schema, change.table, role);
          columnsByRole.set(role, cols);
        }
        work.push((async () => {
          try {
            const d = await deliveryFor(this.#sql, change, await cols, ch.claims, subs);
            if (!d || conn.channels.get(ch.topic) !== ch) return;
            this.stats.delivered++;
            this.#send(conn, {
              joinRef: null,
              ref: null,
              topic: ch.topic,
              event: "postgres_changes",
              payload: { ids: d.ids, data: d.data },
            });
          } catch (e) {
            this.#log({
              level: "warn",
              msg: "realtime change not delivered",
              table: key,
              error: (e as Error).message,
            });
          }
        })());
      }
    }
    await Promise.all(work);
  }
}

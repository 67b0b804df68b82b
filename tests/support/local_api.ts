/**
 * Test helpers for the local Supabase API (REST subset and Realtime behind the gateway) on the test
 * database: start and stop it, make keys and user tokens, make supabase-js clients, insert signals.
 */

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type postgres from "postgres";
import { type FunctionsGateway, startGateway } from "../../scripts/stack/functions.ts";
import { userToken } from "../../scripts/stack/jwt.ts";
import { type LocalApi, startLocalApi } from "../../scripts/stack/local_api.ts";
import { testDatabaseUrl } from "../db/test_database.ts";

/** A running local API on the test database. */
export interface LocalApiFixture {
  api: LocalApi;
  gateway: FunctionsGateway;
  /** `http://127.0.0.1:<port>` */
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** A fresh signed-in user's access token (role authenticated, `sub` = `sub` or a random uuid). */
  userToken(sub?: string, lifetimeS?: number): Promise<string>;
  /** Clients made by {@link client}, closed by `stop()`. */
  client(key: string, token?: string): Promise<SupabaseClient>;
  stop(): Promise<void>;
}

/** Starts the local API and a gateway on port 0; warnings it logs are collected in `warnings`. */
export async function startApi(warnings: string[] = []): Promise<LocalApiFixture> {
  const api = await startLocalApi({
    dbUrl: testDatabaseUrl(),
    log: (e) => {
      if (e.level !== "info") warnings.push(`${e.msg} ${JSON.stringify(e)}`);
    },
  });
  const gateway = startGateway([], 0, api.routes);
  const clients: SupabaseClient[] = [];
  return {
    api,
    gateway,
    url: gateway.url,
    anonKey: api.keys.anonKey,
    serviceRoleKey: api.keys.serviceRoleKey,
    userToken: (sub, lifetimeS) =>
      userToken(api.keys.jwtSecret, sub ?? crypto.randomUUID(), lifetimeS),
    client: async (key, token) => {
      const c = createClient(gateway.url, key, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        realtime: { reconnectAfterMs: () => 200 },
        ...(token ? { accessToken: () => Promise.resolve(token) } : {}),
      });
      await c.realtime.setAuth(token ?? key);
      clients.push(c);
      return c;
    },
    stop: async () => {
      for (const c of clients) {
        await c.removeAllChannels();
        await c.realtime.disconnect();
      }
      await gateway.stop();
      await api.stop();
    },
  };
}

/** A local API behind one address whose server can be restarted, as `deno task start` is. */
export interface RestartableApi {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  url: string;
  /** The API now serving. */
  current(): LocalApi;
  /**
   * Stops the API (its Realtime connections close with 1001, requests meanwhile fail) and, after
   * `between()` ran, starts a new one on the same database signed with `jwtSecret` (default: the
   * same secret as before, as the stack's per-checkout secret keeps it).
   */
  restart(between?: () => Promise<void>, jwtSecret?: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a {@link RestartableApi} on the test database and a gateway on port 0. */
export async function startRestartableApi(): Promise<RestartableApi> {
  const start = (jwtSecret?: string) =>
    startLocalApi({ dbUrl: testDatabaseUrl(), ...(jwtSecret ? { jwtSecret } : {}) });
  let api = await start();
  // Requests reach whichever API serves now; a stopped one answers 503 (Realtime) or 500 (REST).
  const route = (prefix: string) => ({
    prefix,
    handle: (req: Request) => {
      const r = api.routes.find((x) => x.prefix === prefix);
      if (!r) throw new Error(`no route ${prefix}`);
      return r.handle(req);
    },
  });
  const gateway = startGateway([], 0, [route("/rest/v1/"), route("/realtime/v1/")]);
  return {
    url: gateway.url,
    current: () => api,
    restart: async (between, jwtSecret) => {
      const secret = jwtSecret ?? api.keys.jwtSecret;
      await api.stop();
      await between?.();
      api = await start(secret);
    },
    stop: async () => {
      await gateway.stop();
      await api.stop();
    },
  };
}

/**
 * Inserts a long 1h signal for `symbol` at `openTime` (ms; on the hour grid) with stop 95.25 and
 * targets 110/115/120.75, entry 100.5 unless given (between the stop and the first target), and
 * returns its id.
 */
export async function insertSignal(
  sql: postgres.Sql,
  symbol: string,
  openTime: number,
  rationale = "test signal",
  entry = 100.5,
): Promise<number> {
  const at = new Date(openTime);
  const contributions = sql.json([
    { method: "wyckoff", direction: "long", confidence: 0.8, share: 1, detail: "spring" },
  ]);
  const patterns = sql.json({ wyckoff: { event: "spring" } });
  const [r] = await sql<{ id: string }[]>`
    insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3,
      risk_reward, confidence, atr, contributions, patterns, rationale)
    values (${symbol}, '1h', ${at}, 'long', ${entry}, 95.25, 110, 115, 120.75, 1.87, 0.72, 2.5,
      ${contributions}, ${patterns}, ${rationale})
    returning id`;
  return Number(r.id);
}

/** Waits until `cond()` holds, polling every 20 ms; throws `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when `channel.subscribe` reports SUBSCRIBED; rejects on CHANNEL_ERROR or TIMED_OUT. */
export function subscribed(
  channel: ReturnType<SupabaseClient["channel"]>,
): Promise<ReturnType<SupabaseClient["channel"]>> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") resolve(channel);
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
        reject(new Error(`${status}: ${err?.message ?? ""}`));
      }
    });
  });
}

/** Milliseconds to let in-flight changes arrive before asserting that something did NOT arrive. */
export const QUIET_MS = 1000;

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The local stack's Supabase API besides the functions: API keys (./jwt.ts), the REST subset at
 * `/rest/v1/` (./rest.ts) and Realtime at `/realtime/v1/` (./realtime.ts), as routes for the gateway
 * (./functions.ts `startGateway(functions, port, api.routes)`).
 *
 * `publish(root, url)` writes the project URL, the keys and a signed-in test user's token to
 * `.cache/local-api.json` (git-ignored), where `deno task watch` finds them when no `--url`/`--key`
 * or SUPABASE_URL/SUPABASE_ANON_KEY are given; `stop()` removes the file again.
 *
 * The keys stay the same from run to run of a checkout, as `supabase start`'s do: {@link
 * localApiSecret} keeps the JWT secret and the keys' issue time in `.cache/local-api-secret.json`
 * (mode 0600), so an app or a `deno task watch` configured with the printed anon key keeps working
 * across restarts of the stack. Delete that file to issue new keys.
 */

import postgres from "postgres";
import type { Logger } from "../lib/cli/log.ts";
import type { GatewayRoute } from "./functions.ts";
import { type ApiKeys, issueApiKeys, randomJwtSecret, userToken } from "./jwt.ts";
import { LocalRealtime } from "./realtime.ts";
import { restHandler } from "./rest.ts";

/** Settings of {@link startLocalApi}. */
export interface LocalApiOptions {
  /** The database, connected to as a superuser (the local stack's `postgres`). */
  dbUrl: string;
  /** JWT secret (default: a random one for this run; the stack passes {@link localApiSecret}'s). */
  jwtSecret?: string;
  /** Issue time of the keys and the test user's token (s since the epoch; default now). */
  issuedAt?: number;
  log?: Logger;
}

/** What the stack mounts and prints. */
export interface LocalApi {
  /** The anon and service_role keys and their secret. */
  keys: ApiKeys;
  /** `/rest/v1/` and `/realtime/v1/`, for `startGateway`. */
  routes: GatewayRoute[];
  realtime: LocalRealtime;
  /**
   * Writes `<root>.cache/local-api.json` (`{url, anonKey, serviceRoleKey, userToken}`) for
   * `deno task watch`.
   */
  publish(root: string, url: string): Promise<void>;
  /** Closes Realtime connections, removes its triggers, closes the database client, removes the file. */
  stop(): Promise<void>;
}

/** The file `publish` writes, as `deno task watch` reads it. */
export interface LocalApiInfo {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** A signed-in test user's access token (role authenticated, `sub` {@link LOCAL_USER_ID}). */
  userToken: string;
}

/** The local stack's test user (the `sub` of {@link LocalApiInfo.userToken}). */
export const LOCAL_USER_ID = "00000000-0000-4000-8000-000000000001";

/** The secret that signs a checkout's local keys, and when its keys were issued. */
export interface LocalApiSecret {
  jwtSecret: string;
  /** Seconds since the Unix epoch. */
  issuedAt: number;
}

/**
 * The checkout's local JWT secret and key issue time from `<root>.cache/local-api-secret.json`,
 * created (mode 0600, atomically: two stacks starting at once agree) on first use. Throws when the
 * file exists but is not such a record, naming the file and the way out (delete it).
 */
export async function localApiSecret(root: string): Promise<LocalApiSecret> {
  const path = `${root}.cache/local-api-secret.json`;
  const read = async (): Promise<LocalApiSecret> => {
    const text = await Deno.readTextFile(path);
    let o: Partial<LocalApiSecret> | null = null;
    try {
      o = JSON.parse(text);
    } catch { /* reported below */ }
    if (
      typeof o?.jwtSecret === "string" && /^[0-9a-f]{40}$/.test(o.jwtSecret) &&
      Number.isSafeInteger(o.issuedAt) && (o.issuedAt as number) > 0
    ) {
      return { jwtSecret: o.jwtSecret, issuedAt: o.issuedAt as number };
    }
    throw new Error(
      `${path} is not a local API secret ({jwtSecret: 40 hex digits, issuedAt}): delete it to issue new keys`,
    );
  };
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(`${root}.cache`, { recursive: true });
  const fresh: LocalApiSecret = {
    jwtSecret: randomJwtSecret(),
    issuedAt: Math.floor(Date.now() / 1000),
  };
  const tmp = `${path}.${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, JSON.stringify(fresh) + "\n", { mode: 0o600 });
  try {
    await Deno.link(tmp, path); // fails if another stack created it first: then use theirs
    return fresh;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    return await read();
  } finally {
    await Deno.remove(tmp);
  }
}

/** Path of the published file under the repository root `root` (ending in `/`). */
export function localApiInfoPath(root: string): string {
  return `${root}.cache/local-api.json`;
}

/** Reads the file a running local stack published, or null when there is none (or it is unreadable). */
export async function readLocalApiInfo(root: string): Promise<LocalApiInfo | null> {
  try {
    const o = JSON.parse(await Deno.readTextFile(localApiInfoPath(root))) as Partial<LocalApiInfo>;
    if (
      typeof o.url === "string" && typeof o.anonKey === "string" &&
      typeof o.serviceRoleKey === "string" && typeof o.userToken === "string"
    ) {
      const { url, anonKey, serviceRoleKey, userToken } = o;
      return { url, anonKey, serviceRoleKey, userToken };
    }
  } catch { /* none */ }
  return null;
}

/**
 * Issues the keys, starts Realtime's change feed (triggers in schema `local_realtime`, see
 * ./realtime_feed.ts) and returns the routes to mount. Throws when the database is unreachable or the
 * feed cannot be installed; nothing is left running then.
 */
export async function startLocalApi(opts: LocalApiOptions): Promise<LocalApi> {
  const issuedAt = opts.issuedAt ?? Math.floor(Date.now() / 1000);
  const keys = await issueApiKeys(opts.jwtSecret ?? randomJwtSecret(), issuedAt);
  const sql = postgres(opts.dbUrl, { max: 6, onnotice: () => {} });
  let realtime: LocalRealtime;
  try {
    realtime = await LocalRealtime.start({
      sql,
      dbUrl: opts.dbUrl,
      jwtSecret: keys.jwtSecret,
      log: opts.log,
    });
  } catch (e) {
    await sql.end({ timeout: 5 });
    throw e;
  }
  const rest = restHandler({ sql, jwtSecret: keys.jwtSecret });
  let published: string | null = null;
  return {
    keys,
    realtime,
    routes: [
      { prefix: "/rest/v1/", handle: rest },
      {
        prefix: "/realtime/v1/",
        handle: (req) => realtime.handle(req),
        close: () => realtime.disconnectAll(),
      },
    ],
    publish: async (root, url) => {
      published = localApiInfoPath(root);
      await Deno.mkdir(`${root}.cache`, { recursive: true });
      const info: LocalApiInfo = {
        url,
        anonKey: keys.anonKey,
        serviceRoleKey: keys.serviceRoleKey,
        userToken: await userToken(keys.jwtSecret, LOCAL_USER_ID, 10 * 365 * 86_400, issuedAt),
      };
      await Deno.writeTextFile(published, JSON.stringify(info, null, 2) + "\n");
    },
    stop: async () => {
      await realtime.stop();
      await sql.end({ timeout: 5 });
      if (published) {
        try {
          await Deno.remove(published);
        } catch { /* already gone */ }
      }
    },
  };
}

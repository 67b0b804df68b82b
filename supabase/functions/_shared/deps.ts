/**
 * What a function handler needs from the outside world, built once per function instance from the
 * environment and passed to `handleX(req, deps)`. Tests build their own (real test database, fake
 * clock, a local fake Binance or Discord for `fetch`) instead of overwriting globals.
 */

import postgres from "postgres";
import type { FunctionEnv } from "./env.ts";
import { createLogger, type Logger } from "./log.ts";
import { guardDroppedTypeFetch } from "./postgres_restart.ts";
import { WakeKeyCache } from "./wake_auth.ts";

/** A postgres.js client. */
export type Sql = postgres.Sql;

/** The dependencies of every handler. */
export interface Deps {
  /** Database client (SUPABASE_DB_URL). */
  sql: Sql;
  /** HTTP client for outside services (Binance, Discord). */
  fetch: typeof fetch;
  /** Current time in ms since the epoch. */
  now: () => number;
  log: Logger;
  /** Keeps work running after the response is sent (EdgeRuntime.waitUntil on Supabase). */
  waitUntil: (work: Promise<unknown>) => void;
  /** The validated environment. */
  env: FunctionEnv;
  /** The wake-up signing key, read from the database and cached. */
  wakeKeys: WakeKeyCache;
}

/**
 * A postgres.js client for `url`: `max` connections, notices dropped, no prepared statements on
 * Supabase's transaction pooler (port 6543), which does not support them, and a statement timeout
 * (default 30 s: an analysis or ingest never needs more; a stuck statement must not hold a function or
 * the relay forever). The timeout is a startup parameter; a pooler that ignores startup parameters
 * leaves the role's own timeout in force. A database restart while the client reconnects does not
 * end the process ({@link guardDroppedTypeFetch}).
 */
export function connectDatabase(
  url: string,
  max = 2,
  appName = "wyckoff",
  statementTimeoutMs = 30_000,
): Sql {
  const pooler = /:6543(\/|$)/.test(url);
  guardDroppedTypeFetch();
  return postgres(url, {
    max,
    prepare: !pooler,
    onnotice: () => {},
    idle_timeout: 60,
    connect_timeout: 10,
    connection: { application_name: appName, statement_timeout: statementTimeoutMs },
  });
}

/** EdgeRuntime.waitUntil where it exists (Supabase), else the promise just runs (its errors logged). */
export function defaultWaitUntil(log: Logger): (work: Promise<unknown>) => void {
  const rt = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime;
  if (rt) return (work) => rt.waitUntil(work);
  return (work) => {
    work.catch((e) => log.error("background work failed", { error: String(e) }));
  };
}

/** The production dependencies for function `name`, from its validated environment. */
export function depsFromEnv(env: FunctionEnv, name: string): Deps {
  const log = createLogger(env.LOG_LEVEL).with({ fn: name });
  const sql = connectDatabase(env.SUPABASE_DB_URL, env.DB_POOL_MAX, `wyckoff-${name}`);
  const now = () => Date.now();
  return {
    sql,
    fetch: globalThis.fetch.bind(globalThis),
    now,
    log,
    waitUntil: defaultWaitUntil(log),
    env,
    wakeKeys: new WakeKeyCache(async () => {
      const [row] = await sql<{ key: string | null }[]>`select api.wake_key() as key`;
      return row?.key ?? null;
    }, now),
  };
}

/**
 * Database options for command-line tasks: one way to name the database (`--db-url`, else env
 * `SUPABASE_DB_URL`, else its alias `DATABASE_URL`) and one way to use it ({@link withSql}).
 */

import postgres from "postgres";
import { processEnv } from "../../../supabase/functions/_shared/env.ts";
import { UsageError } from "./run_cli.ts";

/** parseArgs options: `--db-url URL`. */
export const DB_URL_OPTIONS = {
  "db-url": { type: "string" },
} as const;

/** Help lines for {@link DB_URL_OPTIONS}. */
export const DB_URL_HELP =
  `  --db-url URL   Postgres connection string (default: env SUPABASE_DB_URL, or its alias DATABASE_URL)`;

/** The environment variable that names the database, and its accepted alias. */
export const DB_URL_ENV = "SUPABASE_DB_URL";
export const DB_URL_ENV_ALIAS = "DATABASE_URL";

/**
 * The database URL: `--db-url`, else `SUPABASE_DB_URL`, else `DATABASE_URL` from `env` (default: the
 * process environment, read through the one env reader `supabase/functions/_shared/env.ts`; empty
 * counts as unset). Throws {@link UsageError} when none is given or the value is not a
 * `postgres://` / `postgresql://` URL (the message never repeats the URL, which may hold a password).
 */
export function dbUrlFrom(
  values: { "db-url"?: string },
  env: Record<string, string | undefined> = processEnv(),
): string {
  const fromEnv = (name: string) => env[name] || undefined;
  let source = "--db-url";
  let url = values["db-url"];
  if (url === undefined) {
    url = fromEnv(DB_URL_ENV);
    source = DB_URL_ENV;
  }
  if (url === undefined) {
    url = fromEnv(DB_URL_ENV_ALIAS);
    source = DB_URL_ENV_ALIAS;
  }
  if (url === undefined || url.trim() === "") {
    throw new UsageError(
      `no database: pass --db-url URL or set ${DB_URL_ENV} (${DB_URL_ENV_ALIAS} is accepted too)`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${source}: not a URL (expected postgresql://user:password@host:5432/db)`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new UsageError(
      `${source}: expected a postgres:// or postgresql:// URL, got ${parsed.protocol}//…`,
    );
  }
  return url;
}

/** `host:port/database` of a URL, without user or password (for messages). */
export function dbLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "the database";
  }
}

const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ETIMEDOUT: "timed out",
  CONNECT_TIMEOUT: "timed out",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  "28P01": "password authentication failed",
  "28000": "access refused",
  "3D000": "database does not exist",
  "57P03": "the database is starting up",
};

/**
 * One line for a database error: a connection failure becomes `cannot connect to <host:port/db>:
 * <reason>`; a server error keeps Postgres's message (with its detail); never contains the password.
 */
export function dbErrorMessage(e: unknown, url: string): string {
  const err = e as { code?: string; message?: string; detail?: string };
  const reason = err.code !== undefined ? CONNECT_CODES[err.code] : undefined;
  if (reason !== undefined) {
    return `cannot connect to ${dbLabel(url)}: ${reason} (check --db-url or ${DB_URL_ENV})`;
  }
  let msg = String(err.message ?? e).replace(/\s*\n\s*/g, " ");
  if (err.detail) msg += ` (${err.detail})`;
  try {
    const pw = new URL(url).password;
    if (pw) msg = msg.split(pw).join("***");
  } catch { /* not a URL */ }
  return `database: ${msg}`;
}

/** Options for {@link withSql}. */
export interface WithSqlOptions {
  /** Pool size (default 1). */
  max?: number;
  /** Seconds to wait for a connection (default 10). */
  connectTimeout?: number;
}

/**
 * Opens a postgres.js client on `url`, runs `fn(sql)`, and always closes the client. Any database
 * error (unreachable server, bad password, failing statement) is rethrown as a one-line
 * {@link UsageError} by {@link dbErrorMessage}; errors `fn` throws itself pass through unchanged.
 */
export async function withSql<T>(
  url: string,
  fn: (sql: postgres.Sql) => Promise<T>,
  opts: WithSqlOptions = {},
): Promise<T> {
  let sql: postgres.Sql;
  try {
    sql = postgres(url, {
      max: opts.max ?? 1,
      connect_timeout: opts.connectTimeout ?? 10,
      onnotice: () => {},
    });
  } catch (e) {
    throw new UsageError(dbErrorMessage(e, url));
  }
  try {
    return await fn(sql);
  } catch (e) {
    throw isDbError(e) ? new UsageError(dbErrorMessage(e, url)) : e;
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

/** True for errors from postgres.js or the network under it (not the caller's own errors). */
export function isDbError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return e.name === "PostgresError" || (typeof code === "string" && code in CONNECT_CODES) ||
    (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code));
}

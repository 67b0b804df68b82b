/**
 * What a database restart looks like to a postgres.js client, for the processes that must outlive
 * one (the relay, the local stack, long waits).
 *
 * - {@link isConnectionLoss}: the errors a query gets while the server restarts or the connection
 *   is lost (retry later), as opposed to errors about the query itself.
 * - {@link guardDroppedTypeFetch}: postgres.js (3.4.9, the pinned version and the newest) reads
 *   the server's array types with an internal query on every new connection (`fetch_types`, on by
 *   default) and drops that query's promise (`fetchArrayTypes()` in connection.js). When the server
 *   terminates the connection during that query, as a restart or failover does to a client
 *   reconnecting at that moment, the client reconnects by itself and the query waiting for the
 *   connection gets the error, but the dropped promise's rejection also escapes as an unhandled
 *   rejection (porsager/postgres#1192, #1205, #1223, open), which ends a Deno process. The guard
 *   marks exactly those rejections handled; every other unhandled rejection stays fatal.
 */

/** The internal query's text, as postgres.js sends it (whitespace aside). */
const TYPE_FETCH =
  /from pg_catalog\.pg_type a\s+left join pg_catalog\.pg_type b on b\.oid = a\.typelem/;

/**
 * SQLSTATEs of a server going away or not yet back: class 08 (connection exception), 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (PostgreSQL, Appendix A).
 */
const SERVER_GONE = /^(08...|57P0[123])$/;

/** postgres.js's own codes for a lost connection, and the socket errors under it. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
]);

/**
 * True when `e` says the database connection was lost or the server is restarting (see
 * {@link SERVER_GONE} and the postgres.js connection codes), so the same query may succeed later;
 * false for anything else, including errors about the query or its data.
 */
export function isConnectionLoss(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (!(e instanceof Error) || typeof code !== "string") return false;
  return SERVER_GONE.test(code) || CONNECTION_CODES.has(code);
}

/**
 * True when `reason` is the rejection of postgres.js's internal array-type query: an error whose
 * `query` (which postgres.js sets on every error it rejects a query with) is that query.
 */
export function isDroppedTypeFetch(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null)?.query;
  return reason instanceof Error && typeof query === "string" && TYPE_FETCH.test(query);
}

let installed = false;

/**
 * Makes the process survive {@link isDroppedTypeFetch} rejections (see the module doc): one global
 * `unhandledrejection` listener, installed once however often this is called, that marks exactly
 * those handled and keeps later listeners (runCli's, which would exit) from seeing them.
 */
export function guardDroppedTypeFetch(): void {
  if (installed) return;
  installed = true;
  globalThis.addEventListener("unhandledrejection", (ev) => {
    if (!isDroppedTypeFetch(ev.reason)) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
  });
}

/**
 * Test helpers for the Edge Function handlers: real dependencies on the test database (a fake clock
 * and whatever `fetch` the test points at a local fake), a real HTTP server around a handler, and
 * signed wake-up requests.
 */

import type { Deps, Sql } from "../../supabase/functions/_shared/deps.ts";
import { loadFunctionEnv } from "../../supabase/functions/_shared/env.ts";
import { createLogger, type Logger, silentLogger } from "../../supabase/functions/_shared/log.ts";
import { signWake, WakeKeyCache } from "../../supabase/functions/_shared/wake_auth.ts";
import { testDatabaseUrl } from "../db/test_database.ts";

/** The wake-up secret the tests configure. */
export const TEST_WAKE_SECRET = "test-wake-secret-0123456789abcdef";

/** Deps on `sql` with a settable clock; `settle()` awaits work handed to waitUntil. */
export function testDeps(
  sql: Sql,
  opts: {
    now?: () => number;
    fetch?: typeof fetch;
    env?: Record<string, string>;
    log?: Logger;
  } = {},
): Deps & { settle(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  const now = opts.now ?? (() => Date.now());
  return {
    sql,
    fetch: opts.fetch ?? globalThis.fetch.bind(globalThis),
    now,
    log: opts.log ?? silentLogger,
    waitUntil: (p) => pending.push(p),
    env: loadFunctionEnv({ SUPABASE_DB_URL: testDatabaseUrl(), ...opts.env }),
    wakeKeys: new WakeKeyCache(
      async () => {
        const [r] = await sql<{ key: string | null }[]>`select api.wake_key() as key`;
        return r?.key ?? null;
      },
      now,
      0,
    ),
    settle: async () => {
      while (pending.length) await pending.shift();
    },
  };
}

/** Serves `handler` on 127.0.0.1 (port 0); `url` is its base URL. */
export function serveHandler(
  handler: (req: Request, deps: Deps) => Promise<Response>,
  deps: Deps,
): { url: string; close(): Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handler(req, deps),
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** POSTs `body` to `url` signed with `secret` at `ts` (default now), as pg_net would. */
export async function postSigned(
  url: string,
  body: unknown,
  opts: { secret?: string; ts?: number; tamper?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  const headers = await signWake(opts.secret ?? TEST_WAKE_SECRET, text, opts.ts ?? Date.now());
  const res = await fetch(url, { method: "POST", headers, body: opts.tamper ? text + " " : text });
  return { status: res.status, body: await res.json() };
}

/** Points the database's wake-ups at `functionsUrl` with {@link TEST_WAKE_SECRET}. */
export async function configureWake(
  sql: Sql,
  functionsUrl = "http://127.0.0.1:9/functions/v1",
): Promise<void> {
  await sql`select private.configure_functions(${functionsUrl}, ${TEST_WAKE_SECRET})`;
}

/** Removes the wake-up configuration (so other tests start unconfigured). */
export async function unconfigureWake(sql: Sql): Promise<void> {
  await sql`delete from private.config where key in ('functions_url', 'functions_secret')`;
}

/** A logger that keeps every line (debug and up) as parsed JSON, for tests that check logs. */
export function recordingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger("debug", (line) => lines.push(JSON.parse(line))), lines };
}

/**
 * Wake-ups a previous run of the local stack left queued in `net.http_request_queue` (queued after
 * its dispatcher stopped, or never sent because the run was killed). Each run signs wake-ups with a
 * new key (scripts/stack/stack.ts), so the functions of the next run refuse those with 401 "bad
 * wake-up signature", which reads like an attack. The stack removes them before its dispatcher
 * starts and says so in one line instead; the signature check itself is unchanged. They were hints
 * only: the minute sweeps (`wyckoff-analyze-sweep`, `wyckoff-notify-sweep`) redo their work.
 */

import type postgres from "postgres";
import { verifyWake } from "../../supabase/functions/_shared/wake_auth.ts";

/** The keys and address of the run that is starting. */
export interface RunWakeKeys {
  /** This run's `http://127.0.0.1:<port>/functions/v1`. */
  functionsUrl: string;
  /** This run's signing key. */
  secret: string;
  /** The key the database had before this run took it over (null when none). */
  savedSecret: string | null;
}

/**
 * Deletes queued wake-ups (requests carrying `x-wake-signature`) that no receiver will accept
 * because they are signed with a previous run's key: not signed with this run's key, and either
 * addressed to this run's functions (a run killed with kill -9 left its key configured) or not
 * signed with the key the database had before this run either (a cleanly stopped run put the
 * user's key back). Wake-ups of the user's own (their key, their URL) are left to be sent.
 * Returns how many were deleted; 0 where there is no `net.http_request_queue`.
 * Call it after the run's key is configured and before its dispatcher starts.
 */
export async function dropPreviousRunWakeUps(
  sql: postgres.Sql,
  run: RunWakeKeys,
): Promise<number> {
  const [{ exists }] = await sql<{ exists: boolean }[]>`
    select to_regclass('net.http_request_queue') is not null as exists`;
  if (!exists) return 0;
  const queued = await sql<
    { id: string; url: string; headers: Record<string, string>; body: Uint8Array | null }[]
  >`select id, url, headers, body from net.http_request_queue
    where headers ? 'x-wake-signature' order by id`;
  const stale: string[] = [];
  for (const r of queued) {
    const body = r.body === null ? "" : new TextDecoder().decode(r.body);
    const signedWith = (key: string | null) =>
      key !== null && signatureMatches(r.headers, body, key);
    if (await signedWith(run.secret)) continue;
    const ours = r.url.startsWith(`${run.functionsUrl}/`);
    if (ours || !(await signedWith(run.savedSecret))) stale.push(r.id);
  }
  if (stale.length === 0) return 0;
  const gone = await sql`delete from net.http_request_queue where id = any(${stale}::bigint[])`;
  return gone.count;
}

/** True when the wake-up's signature is `key`'s, whatever its age (checked at its own timestamp). */
async function signatureMatches(
  headers: Record<string, string>,
  body: string,
  key: string,
): Promise<boolean> {
  try {
    await verifyWake(new Headers(headers), body, key, Number(headers["x-wake-timestamp"]));
    return true;
  } catch {
    return false;
  }
}

/**
 * Waiting for the local stack's Discord messages to go out: `deno task start --exit-when-done` with
 * Discord settings stops only after every card and follow-up queued so far was posted (or given
 * up), so a replay's cards are not cut off by the shutdown. Nudges the retry sweep meanwhile, as
 * the cron job would each minute.
 */

import type postgres from "postgres";

/** Messages not yet posted that will still be tried (pending, or failed with a next attempt). */
export async function unsentMessages(sql: postgres.Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.discord_outbox
    where status <> 'sent' and next_attempt_at is not null`;
  return r.n;
}

/**
 * Resolves once no message is left to post; throws after `timeoutMs` naming how many are left.
 * Every `sweepEveryMs` it runs the retry sweep (a lost wake-up or a due retry gets its chance).
 */
export async function waitOutboxDrained(
  sql: postgres.Sql,
  opts: { timeoutMs?: number; sweepEveryMs?: number } = {},
): Promise<void> {
  const start = Date.now();
  const timeout = opts.timeoutMs ?? 120_000;
  let lastSweep = Date.now();
  for (;;) {
    const left = await unsentMessages(sql);
    if (left === 0) return;
    if (Date.now() - start > timeout) {
      throw new Error(`${left} Discord messages still unsent after ${timeout} ms (see /status)`);
    }
    if (Date.now() - lastSweep >= (opts.sweepEveryMs ?? 2000)) {
      lastSweep = Date.now();
      await sql`select private.sweep_notifications()`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

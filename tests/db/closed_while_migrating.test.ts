/**
 * Every migration leaves the database closed: applied one file at a time (as a push that stops
 * halfway leaves it), anon and authenticated can write nothing, read only tables whose RLS policies
 * let them, use no sequence, execute no function of ours, and a future object is not granted to them.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { applyDatabase } from "../../scripts/db/migrate.ts";
import { connect, testDatabaseUrl } from "./test_database.ts";
import { PRIVILEGE_LEAKS_SQL, privilegeLeaks } from "../../scripts/db/privileges.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ROLES = ["anon", "authenticated"] as const;

/** What each role tries; every attempt must fail with 42501 (or 42P01/42883 before the object exists). */
const ATTEMPTS = [
  `insert into public.symbols (symbol, base_asset, quote_asset, display_name) values ('PROBEUSDT', 'P', 'USDT', 'P')`,
  `insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
     values ('BTCUSDT', '1h', '2024-01-01', 1, 1, 1, 1, 1)`,
  `insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
     values ('BTCUSDT', '1h', '2024-01-01', 'long', 100, 96, 108, 112, 116, 0.8)`,
  `select * from public.user_subscriptions`,
  `update public.retention_policy set keep_days = 1`,
  `select * from public.analyzer_state`,
  `select setval('public.signals_id_seq', 1)`,
  `select nextval('public.ingest_gaps_id_seq')`,
  `select public.timeframe_ms('1h')`,
  `select * from private.config`,
  `select api.status()`,
];

/** Thrown to roll a probe's transaction back while carrying its result out. */
class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super("probe rolled back");
  }
}

/** Runs fn in a transaction that is always rolled back; returns fn's result. */
async function rolledBack<T>(sql: postgres.Sql, fn: (tx: postgres.Sql) => Promise<T>): Promise<T> {
  try {
    await sql.begin(async (tx) => {
      throw new Rollback(await fn(tx as unknown as postgres.Sql));
    });
  } catch (e) {
    if (e instanceof Rollback) return e.value as T;
    throw e;
  }
  throw new Error("unreachable");
}

async function probe(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const found: string[] = [];
  try {
    found.push(...await privilegeLeaks(sql));
    for (const role of ROLES) {
      for (const attempt of ATTEMPTS) {
        const outcome = await rolledBack(sql, async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          try {
            await tx.unsafe(attempt);
            return "allowed";
          } catch (e) {
            return (e as { code?: string }).code ?? String(e);
          }
        });
        if (!["42501", "42P01", "42883", "3F000"].includes(outcome)) {
          found.push(`${role}: ${attempt.split("\n")[0]} -> ${outcome}`);
        }
      }
    }
    // A future object, created by the migration role after this step, is not granted to them either.
    found.push(
      ...await rolledBack(sql, async (tx) => {
        await tx.unsafe(
          `create table public.probe_future (id bigint generated always as identity)`,
        );
        await tx.unsafe(
          `create function public.probe_future_fn() returns int language sql as 'select 1'`,
        );
        const rows = await tx.unsafe(
          `select leak from (${PRIVILEGE_LEAKS_SQL}) l where leak like '%probe_future%'`,
        );
        return rows.map((r) => `future object: ${r.leak}`);
      }),
    );
  } finally {
    await sql.end();
  }
  return found;
}

Deno.test("every migration, applied one at a time, leaves anon and authenticated locked out", async () => {
  const admin = connect(1);
  const name = `closed_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  const url = testDatabaseUrl().replace(/\/[^/?]+(\?.*)?$/, `/${name}$1`);
  try {
    const versions = [...Deno.readDirSync(`${ROOT}supabase/migrations`)]
      .map((e) => e.name.match(/^(\d+)_.+\.sql$/)?.[1])
      .filter((v): v is string => v !== undefined)
      .sort();
    assert.ok(versions.length > 10, "migrations found");
    const leaks: string[] = [];
    for (const version of versions) {
      await applyDatabase(url, { root: ROOT, upTo: version });
      for (const leak of await probe(url)) leaks.push(`after ${version}: ${leak}`);
    }
    await applyDatabase(url, { root: ROOT, seed: true });
    for (const leak of await probe(url)) leaks.push(`after the seed: ${leak}`);
    assert.deepEqual(leaks, [], `\n${leaks.join("\n")}`);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

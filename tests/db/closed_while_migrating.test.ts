/**
 * Every migration leaves the database closed: applied one file at a time (as a push that stops
 * halfway leaves it), anon and authenticated can write nothing, read only tables whose RLS policies
 * let them, use no sequence, execute no function of ours, and a future object is not granted to them.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { applyDatabase } from "../../scripts/db/migrate.ts";
import { connect, testDatabaseUrl } from "./test_database.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ROLES = ["anon", "authenticated"] as const;

/**
 * Privileges anon/authenticated hold that they should not, from the catalog: any write privilege on a
 * table, view or column; SELECT on a table without RLS or without a policy for the role, or on a view
 * that is not security_invoker; any privilege on a sequence; EXECUTE on a function in public, api or
 * private (extension members excepted); USAGE on schemas api and private.
 */
const LEAKS = `
with roles(r) as (select unnest(array['anon', 'authenticated'])),
rels as (
  select c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity,
    coalesce(c.reloptions @> array['security_invoker=true'], false) as invoker
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname in ('public', 'api', 'private') and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                    and d.objid = c.oid and d.deptype = 'e')
)
select format('%s can %s %s.%s', r, what, nspname, name) as leak from (
  select r, rels.nspname, rels.relname as name, 'write' as what from roles, rels
  where rels.relkind <> 'S' and (
    has_table_privilege(r, rels.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
    or has_any_column_privilege(r, rels.oid, 'INSERT, UPDATE, REFERENCES'))
  union all
  select r, rels.nspname, rels.relname, 'read (no RLS policy lets it)' from roles, rels
  where rels.relkind in ('r', 'p', 'm', 'f') and has_any_column_privilege(r, rels.oid, 'SELECT')
    and not (rels.relrowsecurity and exists (
      select 1 from pg_policy p where p.polrelid = rels.oid
        and (p.polroles = '{0}' or (select oid from pg_roles where rolname = r) = any (p.polroles))))
  union all
  select r, rels.nspname, rels.relname, 'read (view not security_invoker)' from roles, rels
  where rels.relkind = 'v' and has_any_column_privilege(r, rels.oid, 'SELECT') and not rels.invoker
  union all
  select r, rels.nspname, rels.relname, 'use sequence' from roles, rels
  where rels.relkind = 'S' and has_sequence_privilege(r, rels.oid, 'USAGE, SELECT, UPDATE')
  union all
  select r, n.nspname, p.oid::regprocedure::text, 'execute' from roles, pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'api', 'private') and has_function_privilege(r, p.oid, 'EXECUTE')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                    and d.objid = p.oid and d.deptype = 'e')
  union all
  select r, s, '(schema)', 'use schema' from roles, unnest(array['api', 'private']) s
  where to_regnamespace(s) is not null and has_schema_privilege(r, s, 'USAGE')
) x order by 1`;

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
    found.push(...(await sql.unsafe(LEAKS)).map((r) => r.leak as string));
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
          `select leak from (${LEAKS}) l where leak like '%probe_future%'`,
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

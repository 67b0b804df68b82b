import assert from "node:assert/strict";
import postgres from "postgres";
import { applyDatabase } from "../../scripts/db/migrate.ts";
import { runTask } from "../support/run_cli.ts";
import { connect, testDatabaseUrl } from "./test_database.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("db:check passes a freshly migrated database and names self sign-ups and privilege leaks once they appear", async () => {
  const admin = connect(1);
  const name = `check_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  const url = testDatabaseUrl().replace(/\/[^/?]+(\?.*)?$/, `/${name}$1`);
  try {
    await applyDatabase(url, { root: ROOT, seed: true });
    const clean = await runTask("db:check", ["--db-url", url]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /^db:check: nothing to fix \(no auth schema to read; /);

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // Supabase Auth's tables (same names and types), with one stranger's self sign-up.
      await sql.unsafe(`
        create schema auth;
        create table auth.users (id uuid primary key, email text, invited_at timestamptz, is_anonymous boolean not null default false);
        create table auth.audit_log_entries (instance_id uuid, id uuid primary key, payload json,
          created_at timestamptz default now(), ip_address varchar(64) not null default '');
        insert into auth.users (id, email) values ('33333333-3333-3333-3333-333333333333', 'stranger@example.com');
        insert into auth.audit_log_entries (id, payload) values (gen_random_uuid(),
          '{"action": "user_signedup", "actor_id": "33333333-3333-3333-3333-333333333333", "log_type": "team"}');
        grant select on public.candles to anon;`);
    } finally {
      await sql.end();
    }
    const found = await runTask("db:check", ["--db-url", url]);
    assert.equal(found.code, 1);
    const lines = found.stdout.trim().split("\n");
    assert.match(
      lines[0],
      /^warning: 1 Auth users signed themselves up \(last .*\): sign-ups look open/,
    );
    assert.equal(lines[1], "leak: anon can read (no RLS policy lets it) public.candles");
    assert.equal(
      lines[2],
      "db:check: 1 warning(s), 1 privilege leak(s) (1 Auth users, 0 anonymous, 1 self sign-ups on record)",
    );
    const json = await runTask("db:check", ["--db-url", url, "--json"]);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout).leaks, [
      "anon can read (no RLS policy lets it) public.candles",
    ]);
    const noDb = await runTask("db:check", [], { env: {} });
    assert.equal(noDb.code, 1);
    assert.match(noDb.stderr, /^error: no database: pass --db-url URL or set SUPABASE_DB_URL/);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

import assert from "node:assert/strict";
import postgres from "postgres";
import { applyDatabase } from "../../scripts/db/migrate.ts";
import { countTap } from "../../scripts/db/harness.ts";
import { connect, testDatabaseUrl } from "./test_database.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("prelude, migrations and seed apply to a fresh database and re-apply without change", async () => {
  const admin = connect(1);
  const name = `mig_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  const url = testDatabaseUrl().replace(/\/[^/?]+(\?.*)?$/, `/${name}$1`);
  try {
    const first = await applyDatabase(url, { root: ROOT, seed: true });
    assert.equal(first.prelude, true);
    const migrations = [...Deno.readDirSync(`${ROOT}supabase/migrations`)].filter((e) =>
      e.name.endsWith(".sql")
    );
    assert.equal(
      first.files.filter((f) => f.startsWith("supabase/migrations/")).length,
      migrations.length,
    );
    const again = await applyDatabase(url, { root: ROOT, seed: true });
    assert.deepEqual(
      again.files.filter((f) => f.startsWith("supabase/migrations/")),
      [],
      "nothing pending the second time",
    );
    await applyDatabase(url, { root: ROOT, seed: true, force: true }); // every migration re-run over itself
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [n] = await sql`select count(*)::int as n from public.symbols`;
      assert.equal(n.n, 3, "seed is idempotent");
      const [r] =
        await sql`select count(*)::int as n from pg_publication_tables where pubname = 'supabase_realtime'`;
      assert.equal(r.n, 2, "publication membership is not duplicated");
      const [p] = await sql`select count(*)::int as n from pg_policies where schemaname = 'public'`;
      assert.equal(p.n, 4, "policies are not duplicated");
      const [c] = await sql`select to_regnamespace('cron') is null as absent`;
      assert.equal(
        c.absent,
        true,
        "pg_cron lives only in cron.database_name; here the jobs are skipped, not failed",
      );
    } finally {
      await sql.end();
    }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

Deno.test("pg_prove output is counted per assertion, and a dead file counts as a failure", () => {
  const out = "t/a.sql .. \nok 1 - one\nnot ok 2 - two\n    ok 3 - three\nFailed 1/3 subtests\n";
  assert.deepEqual(countTap(out, false), { passed: 2, failed: 1 });
  assert.deepEqual(countTap("t/b.sql .. Dubious, test returned 3\n", false), {
    passed: 0,
    failed: 1,
  });
  assert.deepEqual(countTap("ok 1 - fine\n", true), { passed: 1, failed: 0 });
});

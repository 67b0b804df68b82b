import assert from "node:assert/strict";
import { configureFunctions, setAnonSignals } from "../../scripts/db/configure.ts";
import { runTask } from "../support/run_cli.ts";
import { connect, testDatabaseUrl } from "./test_database.ts";

Deno.test("db:configure stores the functions URL and secret where the wake-ups read them", async () => {
  const sql = connect(1);
  try {
    const stored = await configureFunctions(
      testDatabaseUrl(),
      "http://127.0.0.1:54321/functions/v1/",
      "configure-test-secret",
    );
    assert.equal(stored, "private.config", "plain Postgres has no Vault");
    const [r] =
      await sql`select private.setting('functions_url') as url, private.setting('functions_secret') as secret`;
    assert.deepEqual({ url: r.url, secret: r.secret }, {
      url: "http://127.0.0.1:54321/functions/v1",
      secret: "configure-test-secret",
    });
    await assert.rejects(
      configureFunctions(testDatabaseUrl(), "http://x", "short"),
      /configure_functions: secret must be at least 16 characters/,
    );
  } finally {
    await sql`delete from private.config where key in ('functions_url', 'functions_secret')`;
    await sql.end();
  }
});

Deno.test("the anon switch opens and closes signals to anon", async () => {
  const sql = connect(1);
  try {
    assert.equal(await setAnonSignals(testDatabaseUrl(), true), true);
    const [open] = await sql`select has_table_privilege('anon', 'public.signals', 'select') as ok`;
    assert.equal(open.ok, true);
    assert.equal(await setAnonSignals(testDatabaseUrl(), false), false);
    const [closed] =
      await sql`select has_table_privilege('anon', 'public.signals', 'select') as ok`;
    assert.equal(closed.ok, false);
  } finally {
    await setAnonSignals(testDatabaseUrl(), false);
    await sql.end();
  }
});

Deno.test("--analyzer-config checks the file, stores the settings the analyze function reads, and `default` removes them", async () => {
  const sql = connect(1);
  const dir = await Deno.makeTempDir();
  const env = { SUPABASE_DB_URL: testDatabaseUrl() };
  try {
    await Deno.writeTextFile(
      `${dir}/ok.json`,
      JSON.stringify({ minConfidence: 0.7, cooldownBars: 4 }),
    );
    await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ minConfidence: 2, nope: 1 }));
    const bad = await runTask("db:configure", ["--analyzer-config", `${dir}/bad.json`], { env });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^error: --analyzer-config .*bad\.json: invalid analyzer config: .*minConfidence/,
    );
    const [none] = await sql`select api.analyzer_settings() as s`;
    assert.deepEqual(none.s, {}, "a refused file changes nothing");
    // Refused as `deno task signals --config` refuses them: settings that can never signal, no
    // file, a folder.
    await Deno.writeTextFile(
      `${dir}/never.json`,
      JSON.stringify({ methods: { wyckoff: false, elliott: false } }),
    );
    for (
      const [file, message] of [
        [
          `${dir}/never.json`,
          /never\.json: these settings can never produce a signal: no pattern method/,
        ],
        [`${dir}/missing.json`, /missing\.json: no such file$/],
        [dir, /: is a folder$/],
      ] as const
    ) {
      const r = await runTask("db:configure", ["--analyzer-config", file], { env });
      assert.equal(r.code, 1, file);
      assert.match(r.stderr.trim(), new RegExp(`^error: --analyzer-config .*${message.source}`));
      const [still] = await sql`select api.analyzer_settings() as s`;
      assert.deepEqual(still.s, {}, `${file} changes nothing`);
    }
    const ok = await runTask("db:configure", ["--analyzer-config", `${dir}/ok.json`], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const [set] = await sql`select api.analyzer_settings() as s`;
    assert.deepEqual(set.s, { minConfidence: 0.7, cooldownBars: 4 });
    const back = await runTask("db:configure", ["--analyzer-config", "default"], { env });
    assert.equal(back.code, 0, back.stderr);
    const [def] = await sql`select api.analyzer_settings() as s`;
    assert.deepEqual(def.s, {});
  } finally {
    await sql`delete from private.config where key = 'analyzer_config'`;
    await Deno.remove(dir, { recursive: true });
    await sql.end();
  }
});

Deno.test("--functions-region pins wake-ups to a region (x-region) and `none` removes it; a bad name is refused", async () => {
  const sql = connect(1);
  const env = { SUPABASE_DB_URL: testDatabaseUrl() };
  try {
    for (const name of ["Mars", "us-moon-9", "eu-central-9"]) {
      const bad = await runTask("db:configure", ["--functions-region", name], { env });
      assert.equal(bad.code, 1, name);
      assert.match(bad.stderr, /^error: --functions-region: expected a Supabase region/);
      assert.ok(bad.stderr.includes(`got ${name}`), bad.stderr);
      const [r] = await sql`select private.setting('functions_region') as r`;
      assert.equal(r.r, null, "a refused name changes nothing");
    }
    // A US region is allowed (Supabase runs functions there) but backfill would meet Binance's 451.
    const us = await runTask("db:configure", ["--functions-region", "us-east-1"], { env });
    assert.equal(us.code, 0, us.stderr);
    assert.match(us.stderr, /warning: --functions-region us-east-1: Binance refuses US addresses/);
    const ok = await runTask("db:configure", ["--functions-region", "eu-central-1"], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, "");
    const [set] = await sql`select private.setting('functions_region') as r`;
    assert.equal(set.r, "eu-central-1");
    const none = await runTask("db:configure", ["--functions-region", "none"], { env });
    assert.equal(none.code, 0, none.stderr);
    const [gone] = await sql`select private.setting('functions_region') as r`;
    assert.equal(gone.r, null);
  } finally {
    await sql`delete from private.config where key = 'functions_region'`;
    await sql.end();
  }
});

Deno.test("--ingest-mode poll lists the ingest job, relay removes it; --poll-delay is stored; bad values are refused", async () => {
  const sql = connect(1);
  const env = { SUPABASE_DB_URL: testDatabaseUrl() };
  const jobListed = async () =>
    (await sql`select count(*)::int as n from private.jobs where name = 'wyckoff-ingest'`)[0].n;
  try {
    const bad = await runTask("db:configure", ["--ingest-mode", "stream"], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: --ingest-mode: expected relay, poll or both, got stream/);
    const late = await runTask("db:configure", ["--poll-delay", "60000"], { env });
    assert.equal(late.code, 1);
    assert.match(late.stderr, /^error: --poll-delay: expected 0 to 30000/);
    const poll = await runTask("db:configure", ["--ingest-mode", "poll", "--poll-delay", "1500"], {
      env,
    });
    assert.equal(poll.code, 0, poll.stderr);
    assert.match(poll.stdout, /ingest mode poll: the wyckoff-ingest job wakes the ingest function/);
    assert.equal(await jobListed(), 1);
    const [set] = await sql`select private.setting('poll_delay_ms') as d`;
    assert.equal(set.d, "1500");
    const relay = await runTask("db:configure", ["--ingest-mode", "relay"], { env });
    assert.equal(relay.code, 0, relay.stderr);
    assert.equal(await jobListed(), 0);
  } finally {
    await sql`delete from private.config where key in ('ingest_mode', 'poll_delay_ms')`;
    await sql.end();
  }
});

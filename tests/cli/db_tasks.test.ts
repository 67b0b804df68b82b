/**
 * The database tasks (`db:migrate`, `db:configure`, `db:dispatcher`) as a user runs them: one name for
 * the database (`--db-url`, env SUPABASE_DB_URL, alias DATABASE_URL), one-line errors for an
 * unreachable or malformed database URL (never echoing the password), text by default and `--json`.
 */

import assert from "node:assert/strict";
import { testDatabaseUrl } from "../db/test_database.ts";
import { hasStackTrace, runTask, spawnScript } from "../support/run_cli.ts";

const DB_TASKS: [string, string[]][] = [
  ["db:migrate", []],
  ["db:configure", ["--anon-signals", "off"]],
  ["db:dispatcher", []],
];

/** A URL nothing listens on (port 1 refuses connections), with a password that must never print. */
const DEAD = "postgresql://someone:pw-must-not-print@127.0.0.1:1/nowhere";

Deno.test("an unreachable database is one line naming host, port and reason, for every db task", async () => {
  for (const [task, extra] of DB_TASKS) {
    const r = await runTask(task, ["--db-url", DEAD, ...extra]);
    assert.equal(r.code, 1, `${task}: ${r.stdout}${r.stderr}`);
    assert.equal(
      r.stderr,
      "error: cannot connect to 127.0.0.1:1/nowhere: connection refused (check --db-url or SUPABASE_DB_URL)\n",
      task,
    );
    assert.ok(!r.stdout.includes("pw-must-not-print") && !hasStackTrace(r.stderr), task);
  }
});

Deno.test("a database URL that is not postgres:// and no URL at all are one-line errors", async () => {
  for (const [task, extra] of DB_TASKS) {
    const http = await runTask(task, ["--db-url", "https://example.com/db", ...extra]);
    assert.equal(http.code, 1, task);
    assert.equal(
      http.stderr,
      "error: --db-url: expected a postgres:// or postgresql:// URL, got https://…\n",
      task,
    );
    const none = await runTask(task, extra);
    assert.equal(none.code, 1, task);
    assert.equal(
      none.stderr,
      "error: no database: pass --db-url URL or set SUPABASE_DB_URL (DATABASE_URL is accepted too)\n",
      task,
    );
  }
});

Deno.test("SUPABASE_DB_URL names the database; DATABASE_URL is its alias; --db-url wins", async () => {
  const at = (port: number, db: string) => `postgres://u:p@127.0.0.1:${port}/${db}`;
  const cases: [Record<string, string>, string[], string][] = [
    [{ SUPABASE_DB_URL: at(1, "main") }, [], "127.0.0.1:1/main"],
    [{ DATABASE_URL: at(2, "alias") }, [], "127.0.0.1:2/alias"],
    [{ SUPABASE_DB_URL: at(1, "main"), DATABASE_URL: at(2, "alias") }, [], "127.0.0.1:1/main"],
    [{ SUPABASE_DB_URL: at(1, "main") }, ["--db-url", at(3, "flag")], "127.0.0.1:3/flag"],
  ];
  for (const [task, extra] of DB_TASKS) {
    for (const [env, args, where] of cases) {
      const r = await runTask(task, [...args, ...extra], { env });
      assert.equal(r.code, 1, task);
      assert.match(
        r.stderr,
        new RegExp(`^error: cannot connect to ${where}: `),
        `${task} ${where}`,
      );
    }
  }
});

Deno.test("db:migrate prints text by default and one JSON object with --json", async () => {
  const env = { SUPABASE_DB_URL: testDatabaseUrl() };
  const text = await runTask("db:migrate", [], { env });
  assert.equal(text.code, 0, text.stderr);
  // Plain Postgres: the (idempotent) local prelude runs each time; every migration is recorded.
  assert.equal(
    text.stdout,
    "database ready: local prelude applied, 0 migrations applied, seed applied\n",
  );
  const json = await runTask("db:migrate", ["--json"], { env });
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout);
  assert.equal(r.prelude, true);
  assert.ok(r.files.every((f: string) => /^supabase\/(local\/.+|seed)\.sql$/.test(f)), json.stdout);
  assert.equal(r.files.at(-1), "supabase/seed.sql");
});

Deno.test("db:configure checks its options before connecting and prints text or JSON", async () => {
  const env = { DATABASE_URL: testDatabaseUrl() };
  const bad = await runTask("db:configure", ["--anon-signals", "maybe"], { env });
  assert.equal(bad.stderr, "error: --anon-signals: expected on or off, got maybe\n");
  const nothing = await runTask("db:configure", [], { env });
  assert.match(nothing.stderr, /^error: nothing to do: pass --functions-url/);
  const noSecret = await runTask("db:configure", ["--functions-url", "http://127.0.0.1:9/f"], {
    env,
  });
  assert.equal(noSecret.stderr, "error: --secret: pass --secret S or set WAKE_SECRET\n");
  const short = await runTask(
    "db:configure",
    ["--functions-url", "http://127.0.0.1:9/f", "--secret", "short"],
    { env },
  );
  assert.equal(short.code, 1);
  assert.match(short.stderr, /^error: database: .*secret must be at least 16 characters.*\n$/);

  const text = await runTask("db:configure", ["--anon-signals", "off"], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, "anon cannot read signals\n");
  const json = await runTask("db:configure", ["--anon-signals", "off", "--json"], { env });
  assert.deepEqual(JSON.parse(json.stdout), { anonSignals: false });
});

/** Reads a child's stdout until a line matches, returning everything read so far. */
async function readUntil(child: Deno.ChildProcess, pattern: RegExp): Promise<string> {
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let text = "";
  try {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

for (const json of [false, true]) {
  Deno.test(`db:dispatcher logs ${json ? "JSON" : "text"} lines and stops cleanly on SIGINT`, async () => {
    const child = spawnScript("db/dispatcher.ts", json ? ["--json"] : [], {
      env: { SUPABASE_DB_URL: testDatabaseUrl() },
    });
    const first = await readUntil(child, /dispatcher running/);
    child.kill("SIGINT");
    const out = await child.output();
    const all = first + new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const lines = all.trim().split("\n");
    // The test database is shared: requests other test files left queued are sent too, one line
    // each (their number is not this test's business), between the first and the last line.
    const msgs = lines.map((l) => {
      if (json) return JSON.parse(l).msg as string;
      const m = l.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (info|warn|error) {1,2}(.+)$/);
      assert.ok(m, `a text log line: ${l}`);
      return m[2];
    });
    assert.equal(msgs[0], "pg_net dispatcher running", all);
    assert.equal(msgs.at(-1), "pg_net dispatcher stopped", all);
    for (const m of msgs.slice(1, -1)) assert.match(m, /^pg_net request sent\b/, all);
  });
}

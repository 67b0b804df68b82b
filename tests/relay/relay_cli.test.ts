/**
 * `deno task relay` as a real process: killed (SIGKILL) and restarted, the restart's backfill fills
 * what closed meanwhile; SIGTERM flushes and exits 0; JSON log lines; bad settings are one-line
 * errors with exit code 1. The series come from `api.tracked_series` here.
 */

import assert from "node:assert/strict";
import { testDatabaseUrl } from "../db/test_database.ts";
import { runScript } from "../support/run_cli.ts";
import { waitFor } from "./helpers.ts";
import { compareWithSource, sourceCount, storedCount, threeByTwo, withWorld } from "./world.ts";

const root = new URL("../../", import.meta.url);
const QUARTER = 900_000;

function spawnRelay(args: string[]): { child: Deno.ChildProcess; output: Promise<string> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/relay.ts", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { SUPABASE_DB_URL: testDatabaseUrl() },
  }).spawn();
  const output = (async () => {
    const [out, err] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return out + err;
  })();
  return { child, output };
}

Deno.test("killed with SIGKILL and restarted: the restart backfills the gap; SIGTERM flushes and exits 0", async () => {
  const series = threeByTwo("RKL", 192, 48);
  await withWorld(series, { speed: QUARTER / 30 }, async (w) => {
    // The relay reads api.tracked_series: only this test's symbols are active meanwhile.
    const others = await w.sql<{ symbol: string }[]>`
      update public.symbols set active = false where active and symbol not like 'RKL%' returning symbol`;
    try {
      const args = [
        "--ws-url",
        w.fake.wsUrl,
        "--rest-url",
        w.fake.restUrl,
        "--relay-id",
        "test-kill",
      ];
      const first = spawnRelay(args);
      await waitFor("a quarter stored", async () => (await storedCount(w)) > sourceCount(w) / 4);
      first.child.kill("SIGKILL");
      assert.equal((await first.child.status).signal, "SIGKILL");
      await first.output;
      const atKill = await storedCount(w);
      await new Promise((r) => setTimeout(r, 600)); // candles close while no relay runs
      const second = spawnRelay(args);
      await w.fake.finished;
      await waitFor("every candle", async () => (await storedCount(w)) === sourceCount(w));
      assert.ok(atKill < sourceCount(w));
      second.child.kill("SIGTERM");
      const status = await second.child.status;
      const log = await second.output;
      assert.equal(status.code, 0, log.slice(-2000));
      for (const [name, c] of Object.entries(await compareWithSource(w))) assert.ok(c.equal, name);
      const lines = log.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(
        lines.every((l) => typeof l.level === "string" && typeof l.msg === "string"),
        "one JSON object per line",
      );
      const backfilled = lines.filter((l) => l.msg === "backfilled").reduce(
        (n, l) => n + l.candles,
        0,
      );
      assert.ok(backfilled > 0, "the restart backfilled what closed while no relay ran");
      assert.ok(lines.some((l) => l.msg === "relay stopped" && l.unsaved === 0));
    } finally {
      await w.sql`update public.symbols set active = true where symbol = any(${
        others.map((o) => o.symbol)
      })`;
    }
  });
});

Deno.test("relay settings: one-line errors and exit 1; --help exits 0", async () => {
  const bad: [string[], RegExp][] = [
    [["--series", "BTCUSDT:2x"], /^error: --series: series BTCUSDT:2x: unknown interval 2x/],
    [["--ws-url", "http://example.com"], /^error: --ws-url: expected a ws:\/\/ or wss:\/\/ URL/],
    [["--rest-url", "nope"], /^error: --rest-url: not a URL/],
    [["--max-streams", "2000"], /^error: --max-streams: Binance allows at most 1024/],
    [["--bogus"], /^error: unknown option --bogus/],
    [
      ["--db-url", "postgres://u:secret@127.0.0.1:1/db", "--series", "BTCUSDT:1h"],
      /^error: cannot connect to 127\.0\.0\.1:1\/db: connection refused/,
    ],
  ];
  for (const [args, pattern] of bad) {
    const r = await runScript("relay.ts", args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
    assert.ok(!r.stderr.includes("secret"), "never the password");
  }
  const help = await runScript("relay.ts", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: deno task relay/);
});

/** `deno task signals`: JSON output equals the library's signals; bad input is one line and exit 1. */

import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { signalRecord } from "../../shared/signals/record.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";
import { runScript } from "../support/run_cli.ts";

const FILE = "tests/fixtures/binance/BTCUSDT-1h-2024.json";

Deno.test("signals --json prints one object per signal, equal to analyzeSeries", async () => {
  const r = await runScript("signals.ts", [FILE, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const printed = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const expected = analyzeSeries(fixtureSeries("BTCUSDT-1h-2024.json"))
    .map((s) => JSON.parse(JSON.stringify(signalRecord(s, "BTCUSDT", "1h"))));
  assert(expected.length > 0);
  assertEquals(printed, expected);
});

Deno.test("signals prints a table ending with the signal rate", async () => {
  const r = await runScript("signals.ts", [FILE, "--min-confidence", "0.5"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^time \(UTC\)/);
  assertMatch(r.stdout, /\d+ signals over 8784 candles \(BTCUSDT 1h\), [\d.]+ per month\n$/);
});

Deno.test("signals rejects a bad option value with one line and exit code 1", async () => {
  const r = await runScript("signals.ts", [FILE, "--min-confidence", "2"]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^error: .*minConfidence.*\n$/);
  assertEquals(r.stdout, "");
});

Deno.test("signals rejects an unknown option with exit code 1", async () => {
  const r = await runScript("signals.ts", [FILE, "--bogus"]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^error: .*bogus.*\n$/);
});

Deno.test("signals rejects a malformed file naming the row and the rule", async () => {
  const dir = await Deno.makeTempDir();
  const bad = `${dir}/BTCUSDT-1h-bad.json`;
  const rows = JSON.parse(await Deno.readTextFile(FILE)).slice(0, 50);
  rows[9][2] = "1.0"; // high below low
  await Deno.writeTextFile(bad, JSON.stringify(rows));
  const r = await runScript("signals.ts", [bad]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^error: .*row 10.*high.*\n$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("signals rejects a missing file with exit code 1", async () => {
  const r = await runScript("signals.ts", ["tests/fixtures/nope.json"]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr.trim().split("\n").length, 1);
});

/**
 * `deno task start --ingest poll` run as a user runs it: with no relay at all (the ingest job run at
 * each close instant of the replay's clock wakes the ingest function, which polls the fake Binance's
 * REST), a replay prints exactly the signals `deno task signals --json` prints for the same file,
 * and stores every candle. Bad `--ingest` and `--poll-delay` values stop it in one line.
 */

import assert from "node:assert/strict";
import { hasStackTrace, runTask } from "../support/run_cli.ts";
import { fixtureRows } from "../support/fixtures.ts";

Deno.test("deno task start --ingest poll --replay F prints exactly the signals of deno task signals F", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/BTCUSDT-1h-2025W02.json`;
  // 560 hours of real BTCUSDT: two signals (bars 512 and 548).
  await Deno.writeTextFile(
    file,
    JSON.stringify(fixtureRows("BTCUSDT-1h-2025W02-W07.json").slice(0, 560)),
  );
  try {
    const [live, offline] = await Promise.all([
      runTask("start", [
        "--ingest",
        "poll",
        "--replay",
        file,
        "--exit-when-done",
        "--json",
        "--port",
        "0",
      ]),
      runTask("signals", [file, "--json"]),
    ]);
    assert.equal(live.code, 0, live.stderr);
    assert.equal(offline.code, 0, offline.stderr);
    const lines = (s: string) => s.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const printed = lines(live.stdout);
    assert.equal(printed.length, 2, "two signals");
    assert.deepEqual(printed, lines(offline.stdout), "the offline CLI's signals, field for field");
    assert.match(live.stderr, /ingest poll/, "the replay ran in poll mode");
    assert.match(live.stderr, /summary: 560 candles stored, 2 signals, 1 series/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task start refuses a bad --ingest or --poll-delay in one line before starting anything", async () => {
  const mode = await runTask("start", ["--ingest", "stream", "--port", "0"]);
  assert.equal(mode.code, 1);
  assert.match(mode.stderr, /^error: --ingest: expected relay, poll or both, got stream\n$/);
  const delay = await runTask("start", [
    "--ingest",
    "poll",
    "--poll-delay",
    "60000",
    "--port",
    "0",
  ]);
  assert.equal(delay.code, 1);
  assert.match(delay.stderr, /^error: --poll-delay: expected 0\.\.30000 \(ms\), got 60000\n$/);
  assert.ok(!hasStackTrace(mode.stderr + delay.stderr));
});

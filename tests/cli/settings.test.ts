/**
 * Analyzer settings on the command line: every error of a config file reported at once; settings
 * that can never produce a signal refused with the reason (in every CLI that analyses); capped
 * settings accepted with a warning.
 */

import assert from "node:assert/strict";
import { fixturePath } from "../support/fixtures.ts";
import { runTask } from "../support/run_cli.ts";

const FILE = fixturePath("binance/BTCUSDT-4h-2021Q1.json");
const ANALYSING = ["signals", "backtest", "evaluate"];

Deno.test("a config file with several errors reports all of them on one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ minConfidence: 2, stopAtr: -1, wyckoff: { nope: 1, volumeStrong: "x" } }),
    );
    for (const cli of ANALYSING) {
      const r = await runTask(cli, [FILE, "--config", config]);
      assert.equal(r.code, 1, cli);
      assert.equal(
        r.stderr,
        `error: --config ${config}: invalid analyzer config: minConfidence: Too big: expected ` +
          "number to be <=1; stopAtr: Too small: expected number to be >0; wyckoff.nope: unknown " +
          "option; wyckoff.volumeStrong: expected number, got string\n",
        cli,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("settings that can never produce a signal are refused with the reason", async () => {
  const cases: [string[], string][] = [
    [
      ["--no-wyckoff", "--no-elliott", "--no-indicators"],
      "every method is off (wyckoff, elliott and indicators)",
    ],
    [
      ["--no-wyckoff", "--no-elliott"],
      "no pattern method can name a direction: only indicators is on; a signal needs Wyckoff or Elliott",
    ],
  ];
  for (const cli of ANALYSING) {
    for (const [flags, reason] of cases) {
      const r = await runTask(cli, [FILE, ...flags]);
      assert.equal(r.code, 1, `${cli} ${flags}`);
      assert.equal(r.stderr, `error: these settings can never produce a signal: ${reason}\n`, cli);
      assert.equal(r.stdout, "", cli);
    }
  }
});

Deno.test("minAgreeing above the methods on is accepted with a warning saying what it means", async () => {
  const r = await runTask("signals", [FILE, "--min-agreeing", "3", "--no-indicators"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stderr,
    "warning: minAgreeing 3 is more than the 2 methods on (wyckoff, elliott): all 2 must agree\n",
  );
});

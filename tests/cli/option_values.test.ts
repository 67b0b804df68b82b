/**
 * Option values as people type them: a negative number is the option's value and is refused by the
 * option's own range (never "needs a value"); a date that does not exist on the calendar is refused
 * instead of rolling over into the next month; files the CLIs write are checked before the work
 * starts, named by their option, and written whole or not at all.
 */

import assert from "node:assert/strict";
import { fixturePath } from "../support/fixtures.ts";
import { hasStackTrace, runTask } from "../support/run_cli.ts";

const FILE = fixturePath("binance/BTCUSDT-4h-2021Q1.json");

/** Runs each case and checks: exit 1, exactly `error: <expected>` on stderr, nothing on stdout. */
async function refuses(cases: [string, string[], string][]): Promise<void> {
  for (const [task, args, expected] of cases) {
    const r = await runTask(task, args);
    const what = `${task} ${args.join(" ")}`;
    assert.equal(r.code, 1, `${what}: ${r.stdout}`);
    assert.equal(r.stderr, `error: ${expected}\n`, what);
    assert.ok(!hasStackTrace(r.stderr), what);
    assert.equal(r.stdout, "", what);
  }
}

Deno.test("a negative number is the option's value, refused by the option's range", async () => {
  await refuses([
    ["backtest", [FILE, "--risk", "-1"], "--risk: percent must be in (0, 100], got -1"],
    ["backtest", [FILE, "--fee", "-1"], "--fee: percent must be in [0, 10], got -1"],
    [
      "backtest",
      [FILE, "--slippage", "-5"],
      "invalid backtest settings: --slippage: Too small: expected number to be >=0",
    ],
    [
      "backtest",
      [FILE, "--walk-forward", "-3"],
      "--walk-forward: expected a number of folds from 1 to 50, got -3",
    ],
    ["backtest", [FILE, "--split", "-0.5"], "--split: ratio must be between 0 and 1, got -0.5"],
    [
      "signals",
      [FILE, "--min-confidence", "-.1"],
      "invalid analyzer config: minConfidence: Too small: expected number to be >=0",
    ],
    ["indicators", [FILE, "--last", "-1"], "--last: expected a positive integer, got -1"],
    [
      "evaluate",
      [FILE, "--seed", "-1"],
      "--seed: expected an integer from 0 to 4294967295, got -1",
    ],
    [
      "calibrate",
      [FILE, "--to", "2021-03-01", "--ridge", "-1e3"],
      "--ridge: expected a number >= 0, got -1e3",
    ],
    ["start", ["--speed", "-1"], "--speed: expected a positive number or max, got -1"],
  ]);
  // What still needs a value does: an option at the end, or followed by another option.
  await refuses([
    ["backtest", [FILE, "--fee"], "--fee needs a value"],
    ["backtest", [FILE, "--fee", "--json"], "--fee needs a value"],
  ]);
});

Deno.test("a date that is not on the calendar is refused, not rolled over", async () => {
  await refuses([
    ["backtest", [FILE, "--from", "2021-02-30"], "--from: not a valid date: 2021-02-30"],
    ["backtest", [FILE, "--split", "2021-02-29"], "--split: not a valid date: 2021-02-29"],
    ["evaluate", [FILE, "--to", "2021-04-31"], "--to: not a valid date: 2021-04-31"],
    ["calibrate", [FILE, "--to", "2021-13-01"], "--to: not a valid date: 2021-13-01"],
    ["chart", [FILE, "--at", "2021-03-01T24:00"], "--at: not a valid date: 2021-03-01T24:00"],
    [
      "backtest",
      [FILE, "--from", "2021-02-28T12:60"],
      "--from: not a valid date: 2021-02-28T12:60",
    ],
  ]);
  // A leap day exists.
  const r = await runTask("backtest", [FILE, "--from", "2020-02-29", "--json"]);
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("output files: checked before the work, named by their option, never half written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "option-values-test-" });
  try {
    await refuses([
      [
        "backtest",
        [FILE, "--html", `${dir}/nope/r.html`],
        `--html ${dir}/nope/r.html: no such folder ${dir}/nope`,
      ],
      ["evaluate", [FILE, "--html", dir], `--html ${dir}: is a folder (give a file name)`],
      ["backtest", [FILE, "--html", ""], "--html: expected a file name"],
      ["chart", [FILE, "--out", `${dir}/x/c.png`], `--out ${dir}/x/c.png: no such folder ${dir}/x`],
      [
        "chart",
        [FILE, "--out", `${dir}/c.gif`],
        `--out: expected a file name ending in .png or .svg, got ${dir}/c.gif`,
      ],
      [
        "calibrate",
        [FILE, "--to", "2021-03-01", "--out", `${dir}/m/model.json`],
        `--out ${dir}/m/model.json: no such folder ${dir}/m`,
      ],
    ]);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left, [], "nothing written");

    // A written file replaces the old one whole; no temporary file is left beside it.
    await Deno.writeTextFile(`${dir}/c.png`, "old");
    const r = await runTask("chart", [FILE, "--out", `${dir}/c.png`]);
    assert.equal(r.code, 0, r.stderr);
    const png = await Deno.readFile(`${dir}/c.png`);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
    const after = [];
    for await (const e of Deno.readDir(dir)) after.push(e.name);
    assert.deepEqual(after, ["c.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

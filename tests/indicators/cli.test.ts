/** `deno task indicators`: run as a subprocess on real data and on bad input. */

import assert from "node:assert/strict";
import { computeIndicators, INDICATOR_FIELDS } from "../../shared/indicators/mod.ts";
import { readBinanceSeries } from "./fixture_series.ts";

const ROOT = new URL("../../", import.meta.url);
const FILE = "tests/fixtures/binance/BTCUSDT-1h-2024.json";

/** Runs `deno run --allow-read scripts/indicators.ts ...args` (the permissions the task grants). */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "scripts/indicators.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function j(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

Deno.test("--json prints one object per bar with the library's exact values and null in warm-up", async () => {
  const r = await run(FILE, "--json");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trimEnd().split("\n");
  const s = readBinanceSeries("BTCUSDT-1h-2024.json");
  const ind = computeIndicators(s);
  assert.equal(lines.length, s.length);
  for (let i = 0; i < s.length; i++) {
    const want = {
      symbol: "BTCUSDT",
      interval: "1h",
      openTime: s.openTime[i],
      time: new Date(s.openTime[i]).toISOString(),
      rsi14: j(ind.rsi14[i]),
      ema20: j(ind.ema20[i]),
      ema50: j(ind.ema50[i]),
      ema200: j(ind.ema200[i]),
      macd: { line: j(ind.macd[i]), signal: j(ind.macdSignal[i]), histogram: j(ind.macdHist[i]) },
      atr14: j(ind.atr14[i]),
      bollinger: { upper: j(ind.bbUpper[i]), middle: j(ind.bbMiddle[i]), lower: j(ind.bbLower[i]) },
      vwap: j(ind.vwap[i]),
      volumeAvg20: j(ind.volumeAvg20[i]),
    };
    assert.deepEqual(JSON.parse(lines[i]), want, `bar ${i}`);
    if (i === 0) assert.equal(lines[i], JSON.stringify(want), "key order");
  }
  const first = JSON.parse(lines[0]);
  assert.equal(first.time, "2024-01-01T00:00:00.000Z");
  assert.equal(first.rsi14, null);
  assert.equal(JSON.parse(lines[198]).ema200, null);
  assert.equal(typeof JSON.parse(lines[199]).ema200, "number");
  assert.equal(INDICATOR_FIELDS.length, 13);
});

Deno.test("the table shows the last 20 bars by default, --last N bars, --all every bar", async () => {
  const def = await run(FILE);
  assert.equal(def.code, 0, def.stderr);
  const lines = def.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^BTCUSDT 1h: 8784 bars, showing 20$/);
  assert.match(lines[1], /^time \(UTC\)\s+close\s+rsi14\s+ema20\s+ema50\s+ema200\s+macd/);
  assert.equal(lines.length, 2 + 20);
  assert.match(lines[lines.length - 1], /^2024-12-31 23:00\s+93576\.00\s+46\.86\s/);

  const three = await run(FILE, "--last", "3");
  assert.equal(three.stdout.trimEnd().split("\n").length, 2 + 3);

  const all = await run(FILE, "--all");
  const allLines = all.stdout.trimEnd().split("\n");
  assert.equal(allLines.length, 2 + 8784);
  assert.match(allLines[2], /^2024-01-01 00:00\s+42475\.23\s+-\s+-/, "warm-up shows -");
});

Deno.test("a missing or malformed file is a one-line error on stderr and exit code 1", async () => {
  const missing = await run("tests/fixtures/binance/NOPE-1h.json");
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  assert.match(missing.stderr, /^error: .*NOPE-1h\.json.*\n$/);

  const bad = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(bad, '[[1704067200000,"1","2"]]');
    const r = await run(bad, "--json");
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^error: [^\n]+\n$/);
  } finally {
    await Deno.remove(bad);
  }
});

Deno.test("bad options are a one-line error and exit code 1", async () => {
  for (
    const args of [
      [FILE, "--last", "0"],
      [FILE, "--last", "abc"],
      [FILE, "--bogus"],
      [FILE, "--all", "--last", "3"],
      [FILE, "--interval", "7h"],
      [],
    ]
  ) {
    const r = await run(...args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit code`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^error: [^\n]+\n$/, args.join(" "));
  }
});

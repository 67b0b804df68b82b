/** Split, walk-forward and grid search: tuning sees train windows only; reports are out-of-sample. */

import { chainResults } from "../../shared/backtest/chain.ts";
import { evaluate, type SignalSource } from "../../shared/backtest/evaluate.ts";
import type { GridSpec } from "../../shared/backtest/grid.ts";
import { simulate } from "../../shared/backtest/simulate.ts";
import { splitWindows, walkForwardWindows } from "../../shared/backtest/windows.ts";
import { DEFAULT_ANALYZER_CONFIG } from "../../shared/signals/config.ts";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { bars, long, noCosts, T0 } from "./bars.ts";

type Row = [number, number, number, number];
const FLAT: Row = [100, 100.5, 99.5, 100];
const WIN: Row = [100, 131, 99.5, 100]; // long entered at 100 (stop 95) reaches TP1..TP3: +4 R
const LOSE: Row = [100, 100.5, 94, 100]; // stopped: −1 R

/** 40 bars: WIN at 3, 7, 11, 33, 37; LOSE at 15, 19, 23, 31, 35. */
function scenario() {
  const rows: Row[] = Array.from({ length: 40 }, () => FLAT);
  for (const i of [3, 7, 11, 33, 37]) rows[i] = WIN;
  for (const i of [15, 19, 23, 31, 35]) rows[i] = LOSE;
  return bars(rows);
}

/** minConfidence 0.5 trades well before bar 28 and badly after; 0.7 the other way round. */
const source: SignalSource = (c) => {
  if (c.minConfidence === 0.5) return [2, 6, 10, 30, 34].map((i) => long(i));
  if (c.minConfidence === 0.7) return [14, 18, 22, 32, 36].map((i) => long(i));
  return [];
};
const grid: GridSpec = { minConfidence: [0.5, 0.6, 0.7], stopAtr: [2], takeProfitAtr: [[4, 6, 8]] };

Deno.test("the grid picks settings on the train window and reports them untouched on the test window", () => {
  const ev = evaluate(scenario(), DEFAULT_ANALYZER_CONFIG, noCosts(), source, {
    split: { ratio: 0.7 },
    grid,
  });
  assertEquals(ev.mode, "split");
  assertEquals(ev.gridSize, 3);
  assertEquals(ev.parts.map((p) => [p.kind, p.inSample, p.window]), [
    ["train", true, { start: 0, end: 28 }],
    ["test", false, { start: 28, end: 40 }],
  ]);
  assertEquals(ev.parts[0].config.minConfidence, 0.5);
  assertEquals(ev.parts[0].metrics.all.avgR, 4);
  // The test window would favour 0.7, but the choice was made before looking at it.
  assertEquals(ev.parts[1].config.minConfidence, 0.5);
  assert(ev.outOfSample);
  assertEquals(ev.metrics.all.trades, 2);
  assertEquals(ev.metrics.all.avgR, -1);
  assert(ev.simulation.trades.every((t) => t.entryIndex >= 28));
  assertEquals(ev.signals.map((s) => s.index), [30, 34]); // the traded settings' test-window signals
});

Deno.test("without a grid the split trades the given settings on both parts", () => {
  const ev = evaluate(
    scenario(),
    { ...DEFAULT_ANALYZER_CONFIG, minConfidence: 0.7 },
    noCosts(),
    source,
    {
      split: { time: T0 + 28 * 3_600_000 },
    },
  );
  assertEquals(ev.gridSize, 0);
  assertEquals(ev.parts[0].metrics.all.avgR, -1);
  assertEquals(ev.metrics.all.avgR, 4);
});

Deno.test("a full run is flagged in-sample", () => {
  const config = { ...DEFAULT_ANALYZER_CONFIG, minConfidence: 0.5 };
  const ev = evaluate(scenario(), config, noCosts(), source);
  assertEquals(ev.mode, "full");
  assertEquals(ev.outOfSample, false);
  assertEquals(ev.parts[0].inSample, true);
  assertEquals(ev.metrics.all.trades, 5);
});

Deno.test("walk-forward chains the test folds' equity and aggregates only test windows", () => {
  const ev = evaluate(scenario(), DEFAULT_ANALYZER_CONFIG, noCosts(), source, {
    walkForward: 3,
    grid,
  });
  assertEquals(ev.parts.map((p) => `${p.kind}${p.fold}:${p.window.start}-${p.window.end}`), [
    "train0:0-10",
    "test0:10-20",
    "train1:10-20",
    "test1:20-30",
    "train2:20-30",
    "test2:30-40",
  ]);
  const tests = ev.parts.filter((p) => p.kind === "test");
  for (let i = 1; i < tests.length; i++) {
    assertEquals(tests[i].metrics.initialEquity, tests[i - 1].metrics.finalEquity);
  }
  assertEquals(ev.metrics.bars, 30);
  assertEquals(ev.metrics.finalEquity, tests[2].metrics.finalEquity);
  assertEquals(ev.metrics.all.trades, tests.reduce((s, p) => s + p.metrics.all.trades, 0));
});

Deno.test("split windows by ratio and by date; empty parts are refused", () => {
  const s = scenario();
  assertEquals(splitWindows(s, { ratio: 0.5 }), {
    train: { start: 0, end: 20 },
    test: { start: 20, end: 40 },
  });
  assertEquals(splitWindows(s, { time: T0 + 30 * 3_600_000 }).test.start, 30);
  assertThrows(() => splitWindows(s, { ratio: 1.5 }), /between 0 and 1/);
  assertThrows(() => splitWindows(s, { time: T0 + 1e12 }), /fewer than 2 bars/);
});

Deno.test("walk-forward folds roll one segment at a time and the last test takes the remainder", () => {
  const f = walkForwardWindows(scenario(), 5); // 6 segments of 6 bars, 4 left over
  assertEquals(f.length, 5);
  assertEquals(f[0], { train: { start: 0, end: 6 }, test: { start: 6, end: 12 } });
  assertEquals(f[4], { train: { start: 24, end: 30 }, test: { start: 30, end: 40 } });
  assertThrows(() => walkForwardWindows(scenario(), 0), /positive integer/);
  assertThrows(() => walkForwardWindows(scenario(), 30), /too few/);
});

Deno.test("chaining refuses windows that do not follow each other", () => {
  const s = scenario();
  const a = simulate(s, [], noCosts(), { start: 0, end: 10 });
  const b = simulate(s, [], noCosts(), { start: 11, end: 20 });
  assertThrows(() => chainResults([a, b]), /not consecutive/);
});

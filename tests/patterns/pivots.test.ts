import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  DEFAULT_PIVOT_OPTIONS,
  PivotDetector,
  type PivotOptions,
  resolvePivotOptions,
} from "../../shared/patterns/pivots.ts";
import type { Pivot } from "../../shared/patterns/types.ts";

/** Feeds bars (high/low per bar, time = index * 1000) with a constant ATR; returns the detector. */
function run(
  highs: number[],
  lows: number[],
  opts: Partial<PivotOptions>,
  atr = 1,
): { d: PivotDetector; changedAt: number[] } {
  const d = new PivotDetector(opts);
  const changedAt: number[] = [];
  for (let i = 0; i < highs.length; i++) {
    if (d.update(i, i * 1000, highs[i], lows[i], atr)) changedAt.push(i);
  }
  return { d, changedAt };
}

/** A path through the given points, one bar per unit step; each bar spans ±0.1 around its price. */
function path(points: number[]): { highs: number[]; lows: number[] } {
  const mid: number[] = [points[0]];
  for (let j = 1; j < points.length; j++) {
    const a = points[j - 1], b = points[j];
    const steps = Math.abs(b - a);
    for (let s = 1; s <= steps; s++) mid.push(a + (b - a) * s / steps);
  }
  return { highs: mid.map((m) => m + 0.1), lows: mid.map((m) => m - 0.1) };
}

Deno.test("zigzag confirms a swing only once price has reversed by zigzagAtr x ATR", () => {
  // Mid prices: bars 0..10 rise 0 -> 10, bars 11..16 fall to 4, 17..24 rise to 12, 25..27 fall to 9.
  const { highs, lows } = path([0, 10, 4, 12, 9]);
  const { d, changedAt } = run(highs, lows, { mode: "zigzag", zigzagAtr: 2.5 });
  const got = d.pivots.map((p) => [p.kind, p.index, p.confirmedAt, +p.price.toFixed(6)]);
  deepStrictEqual(got, [
    ["low", 0, 3, -0.1], // high 3.1 at bar 3 is the first >= 2.5 above -0.1
    ["high", 10, 13, 10.1], // low 6.9 at bar 13 is the first <= 10.1 - 2.5
    ["low", 16, 19, 3.9], // high 7.1 at bar 19
    ["high", 24, 27, 12.1], // low 8.9 at bar 27
  ]);
  deepStrictEqual(changedAt, [3, 13, 19, 27]);
});

Deno.test("zigzag ignores bars whose ATR is not yet available", () => {
  const { highs, lows } = path([0, 10, 4, 12, 9]);
  const d = new PivotDetector({ mode: "zigzag", zigzagAtr: 2.5 });
  for (let i = 0; i < highs.length; i++) d.update(i, i, highs[i], lows[i], i < 12 ? NaN : 1);
  // Tracking starts at bar 12 (high 8.1): the peak at bar 10 is never seen.
  deepStrictEqual(d.pivots.map((p) => [p.kind, p.index, p.confirmedAt]), [
    ["high", 12, 15],
    ["low", 16, 19],
    ["high", 24, 27],
  ]);
});

Deno.test("zigzag resolves an outside bar by the first reversal and confirms after the pivot bar", () => {
  // Bar 2 makes a new high of 20 and a new low of 5: which came first inside it is unknown.
  const highs = [10, 11, 20, 19, 14];
  const lows = [9, 10, 5, 18, 12];
  const { d } = run(highs, lows, { mode: "zigzag", zigzagAtr: 3 });
  // Bar 3's high (19) is the first reversal (from the low 5): bar 2 is the low, bar 3 the high.
  deepStrictEqual(d.pivots.map((p) => [p.kind, p.index, p.confirmedAt, p.price]), [
    ["low", 2, 3, 5],
    ["high", 3, 4, 19],
  ]);
});

Deno.test("zigzag confirms a swing when price passes the previous pivot although ATR grew", () => {
  const highs = [101, 102, 103, 105, 104.5, 101];
  const lows = [100, 101, 102, 104, 103, 99];
  const atrs = [1, 1, 1, 1, 10, 10]; // threshold 2.5, then 25
  const d = new PivotDetector({ mode: "zigzag", zigzagAtr: 2.5 });
  for (let i = 0; i < highs.length; i++) d.update(i, i, highs[i], lows[i], atrs[i]);
  // Bar 5 falls below the low pivot at 100: the 105 top is confirmed though 105 - 99 < 25.
  deepStrictEqual(d.pivots.map((p) => [p.kind, p.index, p.confirmedAt, p.price]), [
    ["low", 0, 2, 100],
    ["high", 3, 5, 105],
  ]);
});

Deno.test("fractal swing is confirmed k bars later and the first of equal highs is the swing", () => {
  const highs = [1, 2, 3, 5, 5, 4, 3, 2, 1, 1.5, 2];
  const lows = highs.map((h) => h - 0.5);
  const { d } = run(highs, lows, { mode: "fractal", fractalWindow: 3 });
  const high = d.pivots.find((p) => p.kind === "high");
  ok(high);
  strictEqual(high.index, 3);
  strictEqual(high.confirmedAt, 6);
  strictEqual(high.price, 5);
  // bar 8 (low 0.5) is the lowest with 3 bars each side only if 3 more bars follow: there are 2.
  strictEqual(d.pivots.length, 1);
});

// Two 3-bar swing highs (bars 3 and 9) with no 3-bar swing low between them (bar 4's low ties bar 2's).
const TWO_HIGHS = [5, 6, 7, 10, 8, 7.5, 7.2, 7.8, 9, 12, 9, 8, 7, 6, 5];
const TWO_HIGHS_LOWS = [4, 5, 6, 9, 6, 6.2, 6.3, 6.4, 8, 11, 8, 7, 6, 5, 4];

Deno.test("fractal keeps the more extreme of two highs in a row, decided at the second's confirmation", () => {
  const d = new PivotDetector({ mode: "fractal", fractalWindow: 3 });
  const seen: (readonly Pivot[])[] = [];
  for (let i = 0; i < TWO_HIGHS.length; i++) {
    d.update(i, i, TWO_HIGHS[i], TWO_HIGHS_LOWS[i], NaN);
    seen.push(d.pivots);
  }
  const at = (t: number) => seen[t].map((p) => [p.kind, p.index, p.confirmedAt]);
  deepStrictEqual(at(5), []);
  deepStrictEqual(at(6), [["high", 3, 6]]);
  deepStrictEqual(at(11), [["high", 3, 6]]); // bar 9 is not confirmed before bar 12
  deepStrictEqual(at(12), [["high", 9, 12]]); // the higher high replaces it at bar 12
});

Deno.test("fractal drops a second high that is not more extreme than the first", () => {
  const highs = TWO_HIGHS.slice();
  const lows = TWO_HIGHS_LOWS.slice();
  highs[9] = 9.5, lows[9] = 8.5;
  const { d, changedAt } = run(highs, lows, { mode: "fractal", fractalWindow: 3 });
  deepStrictEqual(d.pivots.map((p) => [p.kind, p.index, p.confirmedAt]), [["high", 3, 6]]);
  deepStrictEqual(changedAt, [6]);
});

Deno.test("the pivot list keeps at most maxPivots, newest last", () => {
  const pts: number[] = [];
  for (let j = 0; j < 30; j++) pts.push(j % 2 === 0 ? 0 : 10);
  const { highs, lows } = path(pts);
  const { d } = run(highs, lows, { mode: "zigzag", zigzagAtr: 2, maxPivots: 5 });
  const all = run(highs, lows, { mode: "zigzag", zigzagAtr: 2, maxPivots: 1000 }).d.pivots;
  strictEqual(all.length, 29); // every turning point but the last, which is never reversed from
  strictEqual(d.pivots.length, 5);
  deepStrictEqual(d.pivots, all.slice(-5));
});

Deno.test("a published pivot array is never mutated by later updates", () => {
  const { highs, lows } = path([0, 10, 4, 12, 9, 15, 3]);
  const d = new PivotDetector({ mode: "zigzag", zigzagAtr: 2, maxPivots: 2 });
  let snap: readonly Pivot[] = [];
  let copy: Pivot[] = [];
  for (let i = 0; i < highs.length; i++) {
    d.update(i, i, highs[i], lows[i], 1);
    if (i === 20) snap = d.pivots, copy = structuredClone([...d.pivots]);
  }
  deepStrictEqual([...snap], copy);
});

Deno.test("invalid options and states fail with a one-line message", () => {
  throws(() => resolvePivotOptions({ zigzagAtr: 0 }), /zigzagAtr/);
  throws(() => resolvePivotOptions({ fractalWindow: 2.5 }), /fractalWindow/);
  throws(() => resolvePivotOptions({ maxPivots: 1 }), /maxPivots/);
  throws(() => new PivotDetector({ mode: "x" as "zigzag" }), /mode/);
  const s = new PivotDetector({ mode: "zigzag" }).toState();
  throws(() => PivotDetector.fromState(s, { mode: "fractal" }), /does not match/);
  throws(() => PivotDetector.fromState({ ...s, legs: [] }, {}), /legs/);
  deepStrictEqual(resolvePivotOptions(), { ...DEFAULT_PIVOT_OPTIONS });
});

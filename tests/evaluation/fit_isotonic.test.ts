/**
 * The isotonic step: pool adjacent violators gives the non-decreasing least-squares fit, bins of a
 * minimum size keep every step on enough outcomes, and the fit is deterministic.
 */

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../backtest/assert.ts";
import { fitIsotonic } from "../../scripts/lib/calibration/fit_isotonic.ts";
import { SeededRandom } from "../../shared/backtest/prng.ts";

Deno.test("pool adjacent violators merges descending neighbours into their mean", () => {
  // Rates by score: 0, 1, 0, 1, 1 → the violating pair (1, 0) at scores 2 and 3 pools to 0.5.
  const k = fitIsotonic([5, 1, 2, 3, 4], [1, 0, 1, 0, 1]);
  assertEquals(k, { x: [1, 2.5, 4.5], y: [0, 0.5, 1] });
  // Already ascending: one knot per distinct score.
  assertEquals(fitIsotonic([1, 2, 3], [0, 0.5, 1]), { x: [1, 2, 3], y: [0, 0.5, 1] });
  // All descending: a single block at the overall mean.
  const flat = fitIsotonic([1, 2, 3, 4], [1, 1, 0, 0]);
  assertEquals(flat, { x: [2.5], y: [0.5] });
});

Deno.test("bins of minBlock rows: equal scores stay together and the rest joins the last bin", () => {
  const scores = [1, 1, 1, 2, 3, 4, 5, 6, 7];
  const outcomes = [0, 0, 0, 0, 1, 0, 1, 1, 1];
  // Bins of ≥ 2 without splitting the three 1s: {1,1,1} {2,3} {4,5} {6,7}; rates 0, .5, .5, 1.
  const k = fitIsotonic(scores, outcomes, 2);
  assertEquals(k.y, [0, 0.5, 1]);
  assertAlmostEquals(k.x[0], 1);
  assertAlmostEquals(k.x[1], 3.5);
  assertAlmostEquals(k.x[2], 6.5);
  // Fewer rows than minBlock: one bin.
  assertEquals(fitIsotonic([0.2, 0.4], [0, 1], 30), { x: [0.30000000000000004], y: [0.5] });
});

Deno.test("the fitted map ascends strictly and recovers a monotone truth, deterministically", () => {
  const rng = new SeededRandom(5);
  const s: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const p = rng.next();
    s.push(p);
    y.push(rng.next() < 0.2 + 0.5 * p ? 1 : 0);
  }
  const k = fitIsotonic(s, y, 100);
  assert(k.x.length >= 3 && k.x.length <= 50, `${k.x.length} knots`);
  for (let i = 1; i < k.x.length; i++) {
    assert(k.x[i] > k.x[i - 1] && k.y[i] > k.y[i - 1]);
  }
  for (let i = 0; i < k.x.length; i++) assertAlmostEquals(k.y[i], 0.2 + 0.5 * k.x[i], 0.08);
  assertEquals(fitIsotonic(s, y, 100), k);
});

Deno.test("isotonic fit refuses empty or mismatched input and a bad minBlock", () => {
  assertThrows(() => fitIsotonic([], []), /scores/);
  assertThrows(() => fitIsotonic([1, 2], [1]), /scores/);
  assertThrows(() => fitIsotonic([1], [1], 0), /minBlock/);
});

/** The statistics of the evaluation: bootstrap interval, ranks, Spearman, Brier, percentiles. */

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../backtest/assert.ts";
import { bootstrapMeanCi } from "../../shared/backtest/bootstrap.ts";
import { deriveSeed, SeededRandom } from "../../shared/backtest/prng.ts";
import {
  baseRateBrier,
  brierScore,
  fractionalRanks,
  spearman,
} from "../../shared/backtest/rank_stats.ts";
import { percentileOf } from "../../shared/backtest/random_entries.ts";

Deno.test("the seeded generator is reproducible, uniform-looking and seed-dependent", () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 10_000 }, () => a.next());
  assertEquals(xs, Array.from({ length: 10_000 }, () => b.next()));
  assert(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assertAlmostEquals(mean, 0.5, 0.01);
  assert(new SeededRandom(43).next() !== new SeededRandom(42).next());
  assert(deriveSeed(1, "BTCUSDT 1h") !== deriveSeed(1, "ETHUSDT 1h"));
  assertEquals(deriveSeed(1, "x"), deriveSeed(1, "x"));
});

Deno.test("bootstrap interval: deterministic, around the mean, narrowing with more data", () => {
  const rng = new SeededRandom(3);
  const small = Array.from({ length: 50 }, () => rng.next() * 2 - 0.5);
  const big = Array.from({ length: 2000 }, () => rng.next() * 2 - 0.5);
  const a = bootstrapMeanCi(small, { seed: 9 });
  assertEquals(a, bootstrapMeanCi(small, { seed: 9 }));
  const m = small.reduce((s, x) => s + x, 0) / small.length;
  assert(a.low! < m && m < a.high!, `${a.low} < ${m} < ${a.high}`);
  const b = bootstrapMeanCi(big, { seed: 9 });
  assert(b.high! - b.low! < (a.high! - a.low!) / 3);
  // For a uniform on [-0.5, 1.5] the standard error of the mean of 2000 is 0.577/√2000 ≈ 0.0129:
  // the 95 % interval is about ±1.96 × that.
  assertAlmostEquals(b.high! - b.low!, 2 * 1.96 * 0.0129, 0.01);
  assertEquals(bootstrapMeanCi([], {}), { low: null, high: null });
  assertEquals(bootstrapMeanCi([0.7]), { low: 0.7, high: 0.7 });
  assertThrows(() => bootstrapMeanCi([1], { level: 1 }), /level/);
});

Deno.test("fractional ranks share ties; Spearman is 1 for monotone pairs and handles ties", () => {
  assertEquals(Array.from(fractionalRanks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  assertAlmostEquals(spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 25])!, 1);
  assertAlmostEquals(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])!, -1);
  // Textbook example with ties: Pearson correlation of ranks [1,2.5,2.5,4] and [1,2,3,4].
  assertAlmostEquals(spearman([1, 2, 2, 3], [10, 20, 30, 40])!, 0.9486832980505138);
  assertEquals(spearman([1, 1, 1], [1, 2, 3]), null);
  assertEquals(spearman([1, 2], [1, 2]), null);
});

Deno.test("Brier score and the base rate's Brier score", () => {
  assertAlmostEquals(brierScore([1, 0, 0.5], [1, 0, 1])!, 0.25 / 3);
  assertAlmostEquals(baseRateBrier([1, 0, 0, 0])!, 0.25 * 0.75);
  assertEquals(brierScore([], []), null);
});

Deno.test("percentile counts replications below and half of the ties", () => {
  assertEquals(percentileOf(0.5, [0, 0.1, 0.5, 1]), 62.5);
  assertEquals(percentileOf(2, [0, 1]), 100);
  assertEquals(percentileOf(-1, [0, 1]), 0);
  assertEquals(percentileOf(0, []), null);
});

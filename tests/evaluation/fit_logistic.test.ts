/** The logistic fit recovers known coefficients from simulated outcomes, deterministically. */

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../backtest/assert.ts";
import { fitLogistic } from "../../scripts/lib/calibration/fit_logistic.ts";
import { SeededRandom } from "../../shared/backtest/prng.ts";

Deno.test("logistic fit recovers the coefficients that generated the outcomes", () => {
  const rng = new SeededRandom(11);
  const x: number[][] = [];
  const y: number[] = [];
  // p = σ(−0.5 + 1.2·a − 0.7·b), a ~ U(−1, 1), b ~ U(0, 2)
  for (let i = 0; i < 20_000; i++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2;
    const p = 1 / (1 + Math.exp(-(-0.5 + 1.2 * a - 0.7 * b)));
    x.push([a, b]);
    y.push(rng.next() < p ? 1 : 0);
  }
  const fit = fitLogistic(x, y, 0);
  // Back to raw units: β_raw = β / scale, intercept_raw = intercept − Σ β_raw · center.
  const raw = fit.coefficients.map((b, j) => b / fit.scale[j]);
  const b0 = fit.intercept - raw.reduce((s, b, j) => s + b * fit.center[j], 0);
  assertAlmostEquals(raw[0], 1.2, 0.08);
  assertAlmostEquals(raw[1], -0.7, 0.08);
  assertAlmostEquals(b0, -0.5, 0.1);
  assert(fit.iterations < 20);
  assertEquals(fitLogistic(x, y, 0), fit);
  // A ridge penalty shrinks the standardised coefficients towards 0.
  const shrunk = fitLogistic(x, y, 5000);
  assert(Math.abs(shrunk.coefficients[0]) < Math.abs(fit.coefficients[0]));
});

Deno.test("logistic fit refuses empty or ragged input", () => {
  assertThrows(() => fitLogistic([], []), /rows/);
  assertThrows(() => fitLogistic([[1], [1, 2]], [0, 1]), /differ/);
});

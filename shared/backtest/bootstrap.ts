/** Bootstrap confidence interval of a mean (Efron's percentile bootstrap, resampling with replacement). */

import { SeededRandom } from "./prng.ts";

/** Options of {@link bootstrapMeanCi}. */
export interface BootstrapOptions {
  /** Number of resamples (default 10,000). */
  resamples?: number;
  /** Seed of the resampling (default 1). */
  seed?: number;
  /** Two-sided coverage, e.g. 0.95 (default). */
  level?: number;
}

/** A two-sided interval; both ends null when there are no values. */
export interface ConfidenceInterval {
  low: number | null;
  high: number | null;
}

/**
 * Percentile-bootstrap interval of the mean of `values` (B. Efron & R. Tibshirani, "An Introduction
 * to the Bootstrap", 1993, ch. 13): draw `resamples` samples of the same size with replacement, take
 * each sample's mean, and return the (1 − level)/2 and (1 + level)/2 quantiles of those means (the
 * order statistics at ⌊q × (B − 1)⌋). Deterministic for a given seed. One value gives [v, v].
 */
export function bootstrapMeanCi(
  values: ArrayLike<number>,
  opts: BootstrapOptions = {},
): ConfidenceInterval {
  const n = values.length;
  if (n === 0) return { low: null, high: null };
  const resamples = opts.resamples ?? 10_000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const rng = new SeededRandom(opts.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[rng.int(n)];
    means[b] = sum / n;
  }
  means.sort();
  const at = (q: number) => means[Math.floor(q * (resamples - 1))];
  return { low: at((1 - level) / 2), high: at((1 + level) / 2) };
}

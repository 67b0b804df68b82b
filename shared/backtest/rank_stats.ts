/** Rank correlation and probability scores used to judge whether confidence means anything. */

/** Ranks of `xs` from 1 to n; tied values share the mean of their ranks (fractional ranking). */
export function fractionalRanks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a] - xs[b] || a - b);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]] === xs[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation ρ of paired samples: Pearson's correlation of their fractional ranks
 * (so ties are handled exactly). Null for fewer than 3 pairs or when either side is constant.
 * Throws RangeError when the lengths differ.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  if (x.length !== y.length) throw new RangeError("spearman: samples differ in length");
  const n = x.length;
  if (n < 3) return null;
  const rx = fractionalRanks(x);
  const ry = fractionalRanks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = rx[i] - mean;
    const b = ry[i] - mean;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/**
 * Brier score (G. W. Brier, Monthly Weather Review 78, 1950): mean of (p − o)² over forecasts p in
 * [0, 1] and outcomes o ∈ {0, 1}; lower is better. Null without forecasts.
 */
export function brierScore(p: ArrayLike<number>, outcome: ArrayLike<number>): number | null {
  if (p.length !== outcome.length) throw new RangeError("brierScore: samples differ in length");
  const n = p.length;
  if (n === 0) return null;
  let s = 0;
  for (let i = 0; i < n; i++) s += (p[i] - outcome[i]) ** 2;
  return s / n;
}

/**
 * Brier score of always forecasting the observed base rate ō of the same outcomes: ō (1 − ō), the
 * reference a forecast must beat to carry information (the "climatology" forecast).
 */
export function baseRateBrier(outcome: ArrayLike<number>): number | null {
  const n = outcome.length;
  if (n === 0) return null;
  let s = 0;
  for (let i = 0; i < n; i++) s += outcome[i];
  const o = s / n;
  return o * (1 - o);
}

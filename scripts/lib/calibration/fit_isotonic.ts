/**
 * Isotonic (monotone) recalibration of a score: the pool-adjacent-violators algorithm (M. Ayer et
 * al., "An empirical distribution function for sampling with incomplete information", Ann. Math.
 * Statist. 26, 1955; R. E. Barlow et al., "Statistical Inference under Order Restrictions", 1972),
 * used on classifier scores as in B. Zadrozny & C. Elkan, "Transforming classifier scores into
 * accurate multiclass probability estimates", KDD 2002. Deterministic; pure.
 */

/** Knots of a monotone map: score `x[i]` → probability `y[i]`, x strictly and y weakly ascending. */
export interface IsotonicKnots {
  x: number[];
  y: number[];
}

/**
 * Fits a non-decreasing map from `scores` to the rate of `outcomes` (0/1). The scores are sorted and
 * first grouped into consecutive bins of `minBlock` (the last bin takes the remainder, and equal
 * scores never straddle two bins), so no step rests on a handful of outcomes; pool adjacent
 * violators then merges neighbouring bins until their rates ascend strictly. Each final block gives
 * one knot: (its mean score, its outcome rate). Throws RangeError on empty or mismatched input or
 * `minBlock` < 1.
 */
export function fitIsotonic(
  scores: readonly number[],
  outcomes: readonly number[],
  minBlock = 1,
): IsotonicKnots {
  const n = scores.length;
  if (n === 0 || outcomes.length !== n) {
    throw new RangeError("isotonic fit needs scores and one outcome each");
  }
  if (!Number.isInteger(minBlock) || minBlock < 1) {
    throw new RangeError(`isotonic fit: minBlock must be an integer >= 1, got ${minBlock}`);
  }
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  // Bins of at least minBlock rows (ties kept together), as [sum of scores, sum of outcomes, rows].
  const bins: [number, number, number][] = [];
  let cur: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < n; k++) {
    const i = order[k];
    cur[0] += scores[i];
    cur[1] += outcomes[i];
    cur[2]++;
    const tieNext = k + 1 < n && scores[order[k + 1]] === scores[i];
    if (cur[2] >= minBlock && !tieNext && n - k - 1 >= minBlock) {
      bins.push(cur);
      cur = [0, 0, 0];
    }
  }
  if (cur[2] > 0) bins.push(cur);
  // Pool adjacent violators: a stack of blocks whose rates ascend strictly.
  const stack: [number, number, number][] = [];
  for (const b of bins) {
    let top: [number, number, number] = [b[0], b[1], b[2]];
    while (
      stack.length && stack[stack.length - 1][1] / stack[stack.length - 1][2] >= top[1] / top[2]
    ) {
      const prev = stack.pop()!;
      top = [prev[0] + top[0], prev[1] + top[1], prev[2] + top[2]];
    }
    stack.push(top);
  }
  return { x: stack.map((b) => b[0] / b[2]), y: stack.map((b) => b[1] / b[2]) };
}

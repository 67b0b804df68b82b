/** Fibonacci ratios and a proximity score used to grade Elliott counts. Pure. */

/** Golden ratio φ ≈ 1.618. */
export const PHI = 1.618;

/**
 * How close `ratio` is to the nearest of `targets`, in [0, 1]: 1 on a target, falling linearly with
 * the log distance |ln(ratio / target)| to 0 at a relative deviation of `tolerance` (0.25 = ±25 %).
 * Non-positive or non-finite ratios score 0.
 *
 * @example fibProximity(0.6, [0.5, 0.618], 0.25) // ≈ 0.87
 */
export function fibProximity(ratio: number, targets: readonly number[], tolerance: number): number {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return 0;
  let best = Infinity;
  for (let i = 0; i < targets.length; i++) {
    const e = Math.abs(Math.log(ratio / targets[i]));
    if (e < best) best = e;
  }
  const s = 1 - best / Math.log(1 + tolerance);
  return s > 0 ? s : 0;
}

/** Like {@link fibProximity} but 1 anywhere inside [lo, hi], falling off outside it. */
export function rangeProximity(ratio: number, lo: number, hi: number, tolerance: number): number {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return 0;
  if (ratio >= lo && ratio <= hi) return 1;
  return fibProximity(ratio, ratio < lo ? [lo] : [hi], tolerance);
}

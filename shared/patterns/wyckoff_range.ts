/** Trading-range recognition from confirmed pivots and ATR (the Wyckoff "range" concept). Pure. */

import type { Pivot } from "./types.ts";
import type { WyckoffOptions } from "./wyckoff_options.ts";

/** A range found in the pivots, with the direction price came from before it. */
export interface RangeCandidate {
  support: number;
  resistance: number;
  /** Bar index of the range's first (oldest) pivot. */
  startIndex: number;
  /**
   * How price entered the range, read from the pivot just before it: "down" when that pivot is a
   * high above resistance (price fell into the range), "up" when it is a low below support, else null.
   */
  approach: "up" | "down" | null;
}

/**
 * Looks for a trading range at bar `barIndex`: the last `rangePivots` pivots confirmed by then (all
 * sitting after `notBefore`, e.g. the last breakout bar) must hold at least one high and one low,
 * support = lowest pivot low, resistance = highest pivot high, height ≤ rangeMaxAtr × atr. Older
 * pivots (up to `rangeMaxPivots` in all, still after `notBefore`) are added while the height stays
 * within that limit. Then barIndex − first pivot index ≥ rangeMinBars and `close` within
 * [support, resistance] are required. Returns null when any condition fails. O(rangeMaxPivots) plus
 * the unconfirmed tail of `pivots`.
 */
export function findTradingRange(
  pivots: readonly Pivot[],
  barIndex: number,
  atr: number,
  close: number,
  opts: Readonly<WyckoffOptions>,
  notBefore: number,
): RangeCandidate | null {
  if (!(atr > 0) || !Number.isFinite(close)) return null;
  let end = pivots.length - 1;
  while (end >= 0 && pivots[end].confirmedAt > barIndex) end--;
  let first = end - opts.rangePivots + 1;
  if (first < 0 || pivots[first].index <= notBefore) return null;
  let support = Infinity;
  let resistance = -Infinity;
  for (let i = first; i <= end; i++) {
    const p = pivots[i];
    if (p.kind === "low") {
      if (p.price < support) support = p.price;
    } else if (p.price > resistance) resistance = p.price;
  }
  if (support === Infinity || resistance === -Infinity) return null;
  const maxHeight = opts.rangeMaxAtr * atr;
  const height = resistance - support;
  if (!(height > 0) || height > maxHeight) return null;
  // Grow the range back over older pivots while they still fit, so fast swings can age into a range.
  while (first > 0 && end - first + 1 < opts.rangeMaxPivots) {
    const p = pivots[first - 1];
    if (p.index <= notBefore) break;
    const s = p.kind === "low" ? Math.min(support, p.price) : support;
    const r = p.kind === "high" ? Math.max(resistance, p.price) : resistance;
    if (r - s > maxHeight) break;
    support = s;
    resistance = r;
    first--;
  }
  const startIndex = pivots[first].index;
  if (barIndex - startIndex < opts.rangeMinBars) return null;
  if (close < support || close > resistance) return null;
  let approach: "up" | "down" | null = null;
  if (first > 0) {
    const before = pivots[first - 1];
    if (before.kind === "high" && before.price > resistance) approach = "down";
    else if (before.kind === "low" && before.price < support) approach = "up";
  }
  return { support, resistance, startIndex, approach };
}

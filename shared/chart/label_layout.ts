/** Label placement without overlaps: stacking price tags on one axis and point labels near marks. */

import type { Box } from "./types.ts";

/** Width in px of `text` in the chart's monospace font (advance 0.6 em, as JetBrains Mono). */
export function textWidth(text: string, size: number): number {
  return text.length * size * 0.6;
}

/** Space in px kept between two labels placed by {@link placeLabel}. */
export const LABEL_GAP = 2;

/** True when two boxes overlap by more than `pad` px (touching is not overlapping). */
export function boxesOverlap(a: Box, b: Box, pad = 0): boolean {
  return a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad &&
    b.y < a.y + a.h + pad;
}

/**
 * Vertical positions for tags of height `h` wanting centres `wanted` (any order), keeping every
 * pair at least `h + gap` apart and every centre within [top + h/2, bottom − h/2]. Each tag moves
 * as little as the ones around it allow: a downward pass pushes tags apart, an upward pass pulls
 * back the ones pushed past the bottom. Returns centres in the input's order. If the tags cannot
 * all fit, they are spread evenly over the space (they may then touch, never cross).
 */
export function stackLabels(
  wanted: readonly number[],
  h: number,
  gap: number,
  top: number,
  bottom: number,
): number[] {
  const n = wanted.length;
  const order = wanted.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y || a.i - b.i);
  const pitch = h + gap;
  const lo = top + h / 2;
  const hi = bottom - h / 2;
  const ys = order.map((o) => Math.min(hi, Math.max(lo, o.y)));
  if (n > 1 && (n - 1) * pitch > hi - lo) {
    const each = (hi - lo) / (n - 1);
    for (let k = 0; k < n; k++) ys[k] = lo + k * each;
  } else {
    for (let k = 1; k < n; k++) ys[k] = Math.max(ys[k], ys[k - 1] + pitch);
    if (n) ys[n - 1] = Math.min(ys[n - 1], hi);
    for (let k = n - 2; k >= 0; k--) ys[k] = Math.min(ys[k], ys[k + 1] - pitch);
  }
  const out = new Array<number>(n);
  order.forEach((o, k) => (out[o.i] = ys[k]));
  return out;
}

/**
 * Places a label box of size w × h near an anchor: tries `candidates` (top-left corners, best
 * first), each moved inside `bounds` if it sticks out, and returns the first that overlaps none of
 * `taken` (other labels, kept {@link LABEL_GAP} px away) and none of `soft` (marks better left
 * uncovered, e.g. candles); otherwise the one with the lowest cost: 1000 per label overlapped, 1 per
 * mark covered, 0.5 per place down the list. The chosen box is added to
 * `taken`.
 */
export function placeLabel(
  candidates: readonly { x: number; y: number }[],
  w: number,
  h: number,
  bounds: Box,
  taken: Box[],
  soft: readonly Box[] = [],
): Box {
  let best: Box | null = null;
  let bestScore = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    const box = {
      x: Math.max(bounds.x, Math.min(c.x, bounds.x + bounds.w - w)),
      y: Math.max(bounds.y, Math.min(c.y, bounds.y + bounds.h - h)),
      w,
      h,
    };
    // Later candidates lie further from the mark: half a point each, so covering one candle
    // beats moving two places away, and covering three does not.
    let score = i * 0.5;
    for (const t of taken) if (boxesOverlap(box, t, LABEL_GAP)) score += 1000;
    if (score < bestScore) { for (const t of soft) if (boxesOverlap(box, t)) score++; }
    if (score < bestScore) {
      best = box;
      bestScore = score;
      if (score === i * 0.5) break;
    }
  }
  const chosen = best ?? { x: bounds.x, y: bounds.y, w, h };
  taken.push(chosen);
  return chosen;
}

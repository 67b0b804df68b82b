/**
 * Elliott Wave counting on confirmed pivots: the 5-wave impulse or ABC correction that ends at the
 * latest pivot. Pure; see elliott_impulse.ts and elliott_correction.ts for the rules and scores.
 */

import type { ElliottCount, Pivot } from "./types.ts";
import { DEFAULT_ELLIOTT_OPTIONS, type ElliottOptions } from "./elliott_options.ts";
import { impulseAt } from "./elliott_impulse.ts";
import { correctionAt } from "./elliott_correction.ts";

export {
  DEFAULT_ELLIOTT_OPTIONS,
  type ElliottOptions,
  resolveElliottOptions,
} from "./elliott_options.ts";

/**
 * The best Elliott count that ends at the latest pivot known at bar `confirmedAt`, or null.
 *
 * Only pivots with `confirmedAt <= confirmedAt` are used (no look-ahead). A count is returned only
 * at the bar its last pivot was confirmed (so each count is reported once; call this when the pivot
 * list changes). When an impulse and a correction both end there and pass `minScore`, the higher
 * score wins (the impulse on a tie, as the larger structure).
 *
 * @example
 * if (detector.update(i, t, h, l, atr)) {
 *   const count = findElliott(detector.pivots, i, DEFAULT_ELLIOTT_OPTIONS);
 * }
 */
export function findElliott(
  pivots: readonly Pivot[],
  confirmedAt: number,
  opts: ElliottOptions = DEFAULT_ELLIOTT_OPTIONS,
): ElliottCount | null {
  let end = pivots.length - 1;
  while (end >= 0 && pivots[end].confirmedAt > confirmedAt) end--;
  if (end < 0 || pivots[end].confirmedAt !== confirmedAt) return null;
  const imp = opts.impulse ? impulseAt(pivots, end, confirmedAt, opts) : null;
  const cor = opts.correction ? correctionAt(pivots, end, confirmedAt, opts) : null;
  const i = imp !== null && imp.score >= opts.minScore ? imp : null;
  const c = cor !== null && cor.score >= opts.minScore ? cor : null;
  if (i !== null && c !== null) return c.score > i.score ? c : i;
  return i ?? c;
}

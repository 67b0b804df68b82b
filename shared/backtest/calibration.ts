/** Confidence calibration: does a higher signal confidence mean better trade outcomes? */

import type { Trade } from "./types.ts";

/** One confidence bucket `[from, to)` (the last bucket includes 1). */
export interface CalibrationRow {
  from: number;
  to: number;
  trades: number;
  /** Share of trades that reached TP1, or null without trades. */
  tp1HitRate: number | null;
  /** Mean R after costs, or null without trades. */
  avgR: number | null;
}

/** Buckets `trades` by confidence at the given ascending upper `edges` (e.g. [0.5, 0.6, …, 0.9]). */
export function calibrationTable(
  trades: readonly Trade[],
  edges: readonly number[],
): CalibrationRow[] {
  const bounds = [0, ...edges.filter((e) => e > 0 && e < 1), 1];
  const rows: CalibrationRow[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b];
    const to = bounds[b + 1];
    const last = b + 2 === bounds.length;
    let n = 0;
    let hits = 0;
    let sumR = 0;
    for (const t of trades) {
      if (t.confidence >= from && (t.confidence < to || (last && t.confidence <= to))) {
        n++;
        if (t.targetsHit > 0) hits++;
        sumR += t.r;
      }
    }
    rows.push({ from, to, trades: n, tp1HitRate: n ? hits / n : null, avgR: n ? sumR / n : null });
  }
  return rows;
}

/**
 * The small parameter grid searched on train windows: min confidence × stop ATR × take-profit ATRs
 * (3 × 3 × 3 = 27 points). The score of a point on a train window is its total R after costs; points
 * with fewer than {@link MIN_TRAIN_TRADES} trades are not eligible (ties keep the earlier point).
 */

import type { AnalyzerConfig } from "../signals/config.ts";
import type { SimulationResult } from "./types.ts";

/** The analyzer settings the grid varies. */
export interface GridPoint {
  minConfidence: number;
  stopAtr: number;
  takeProfitAtr: [number, number, number];
}

/** Values searched for each varied setting. */
export interface GridSpec {
  minConfidence: number[];
  stopAtr: number[];
  takeProfitAtr: [number, number, number][];
}

/**
 * The documented default grid. Minimum confidences are probabilities of reaching TP1 (the default
 * confidence); `stopAtr` only moves the stop with `stopMode` "atr" (with structural stops it is the
 * fallback where no level applies).
 */
export const DEFAULT_GRID: GridSpec = {
  minConfidence: [0, 0.3, 0.4],
  stopAtr: [1.5, 2, 3],
  takeProfitAtr: [[3, 4.5, 6], [4, 6, 8], [6, 9, 12]],
};

/** A point needs at least this many trades on a train window to be chosen. */
export const MIN_TRAIN_TRADES = 3;

/** Every point of `spec`, in a fixed order (confidence, then stop, then targets). */
export function gridPoints(spec: GridSpec = DEFAULT_GRID): GridPoint[] {
  const out: GridPoint[] = [];
  for (const minConfidence of spec.minConfidence) {
    for (const stopAtr of spec.stopAtr) {
      for (const tp of spec.takeProfitAtr) {
        out.push({ minConfidence, stopAtr, takeProfitAtr: [tp[0], tp[1], tp[2]] });
      }
    }
  }
  return out;
}

/** The grid point a config currently sits on. */
export function gridPointOf(config: AnalyzerConfig): GridPoint {
  const tp = config.takeProfitAtr;
  return {
    minConfidence: config.minConfidence,
    stopAtr: config.stopAtr,
    takeProfitAtr: [tp[0], tp[1], tp[2]],
  };
}

/** `config` with the grid point's settings. */
export function withGridPoint(config: AnalyzerConfig, p: GridPoint): AnalyzerConfig {
  return {
    ...config,
    minConfidence: p.minConfidence,
    stopAtr: p.stopAtr,
    takeProfitAtr: [...p.takeProfitAtr],
  };
}

/** Train score of a simulation: total R, or −Infinity with too few trades. */
export function gridScore(result: SimulationResult): number {
  if (result.trades.length < MIN_TRAIN_TRADES) return -Infinity;
  let sum = 0;
  for (const t of result.trades) sum += t.r;
  return sum;
}

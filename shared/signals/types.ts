/** Signal types: the output of fusion, stored in the database and posted to Discord. */

import type { Direction, ElliottCount, WyckoffEvent, WyckoffPhase } from "../patterns/types.ts";

export type { Direction };

/** Name of an analysis method that can contribute to a signal. */
export type Method = "wyckoff" | "elliott" | "indicators";

/** What one method said at the signal's bar, and how much of the confidence it provides. */
export interface Contribution {
  method: Method;
  /** Direction this method favours at the bar, or null when it has no opinion. */
  direction: Direction | null;
  /** The method's own confidence in [0, 1]. */
  confidence: number;
  /** Share of the fused confidence coming from this method, in [0, 1]; shares sum to 1 when confidence > 0. */
  share: number;
  /** One-line explanation. */
  detail: string;
}

/**
 * The evidence behind a signal, small enough to store as JSON: its setup class and that class's
 * record over the train period, the calibration model that gave the probability, and the features
 * the model read.
 */
export interface SignalEvidence {
  /** Setup class: the leading pattern (`spring`, `upthrust`, `sos`, `sow`, `abc-long`, …). */
  setup: string;
  /** Id of the calibration model (e.g. "tp1-logistic-v3"). */
  model: string;
  /** The class's train-period record with the default settings: trades, TP1 rate, mean R. */
  train: { n: number; tp1Rate: number | null; avgR: number | null };
  /** Feature values at the signal bar (see shared/signals/calibration.ts). */
  features: Record<string, number>;
}

/** A fused trading signal for the bar at `index`, known at that bar's close. */
export interface Signal {
  /** Bar index within the analyzed stream (0 = first candle fed). */
  index: number;
  /** Open time (ms) of the signal bar. */
  time: number;
  direction: Direction;
  /** Reference entry: the signal bar's close. */
  entry: number;
  stopLoss: number;
  takeProfits: [number, number, number];
  /** Reward-to-risk ratio of TP1. */
  riskReward: number;
  /**
   * Confidence in [0, 1]: with the `confidence: "probability"` setting, the calibrated probability of
   * reaching TP1 before the stop; with "score", the heuristic blend of the methods' confidences.
   */
  confidence: number;
  /** ATR used for the levels. */
  atr: number;
  contributions: Contribution[];
  /** Human-readable rationale, one sentence per contributing method. */
  rationale: string;
  /** Setup class, its train-period record and the model's features. */
  evidence?: SignalEvidence;
  /** Pattern details behind the signal. */
  patterns: {
    elliott: ElliottCount | null;
    wyckoff: WyckoffEvent[];
    phase: WyckoffPhase;
  };
}

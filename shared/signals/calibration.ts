/**
 * Calibrated confidence: the probability, estimated on the train period, that a signal reaches TP1
 * before its stop, from features the analyzer already computes at the signal bar. The model is a
 * logistic regression (D. R. Cox, "The regression analysis of binary sequences", JRSS B 20, 1958)
 * on standardised features, stored as a versioned JSON file beside this module and applied in O(1):
 * p = 1 / (1 + e^−z), z = intercept + Σ βᵢ (xᵢ − centerᵢ) / scaleᵢ. A logistic model is monotone in
 * every feature (the sign of βᵢ gives the direction). A model may add an isotonic step: a
 * non-decreasing map from that probability to the rate observed out of sample (knots joined by
 * straight lines, flat beyond the first and last; B. Zadrozny & C. Elkan, KDD 2002), which keeps
 * the order of the logistic score and corrects its level. `scripts/calibrate.ts` fits both; the
 * file also holds each setup class's train-period record (the evidence a signal carries).
 */

import { z } from "zod";
import BUNDLED from "./calibration/tp1_v3.json" with { type: "json" };
import type { Direction, ElliottCount, WyckoffEvent } from "../patterns/types.ts";

/** Every feature a model may use, in a fixed order (see {@link setupFeatures}). */
export const FEATURE_NAMES = [
  "indicatorShare",
  "wyckoffStrength",
  "logVolumeRatio",
  "elliottScore",
  "breakout",
  "withHtfTrend",
  "withEmaTrend",
  "logRiskReward",
] as const;

/** Name of a model feature. */
export type FeatureName = typeof FEATURE_NAMES[number];

/** Feature values of one setup, by name. */
export type SetupFeatures = Record<FeatureName, number>;

/** A setup class's record over the train period (trades of the default settings, after costs). */
export interface SetupRecord {
  /** Trades. */
  n: number;
  /** Share that reached TP1; null without trades. */
  tp1Rate: number | null;
  /** Mean R after costs; null without trades. */
  avgR: number | null;
}

const record = z.object({
  n: z.number().int().min(0),
  tp1Rate: z.number().min(0).max(1).nullable(),
  avgR: z.number().finite().nullable(),
}).strict();

const isotonic = z.object({
  /** Logistic probabilities, strictly ascending. */
  x: z.array(z.number().min(0).max(1)).min(1),
  /** Probability at each knot, in [0, 1], never descending. */
  y: z.array(z.number().min(0).max(1)).min(1),
}).strict().refine((k) => k.x.length === k.y.length, "x and y need the same length")
  .refine((k) => k.x.every((v, i) => i === 0 || v > k.x[i - 1]), "x must ascend strictly")
  .refine((k) => k.y.every((v, i) => i === 0 || v >= k.y[i - 1]), "y must not descend");

const ModelSchema = z.object({
  /** Identifies the fitted file; changes whenever the numbers do (e.g. "tp1-isotonic-v4"). */
  id: z.string().min(1),
  /** What the probability is of. */
  target: z.string(),
  fittedOn: z.object({
    period: z.string(),
    datasets: z.array(z.string()),
    setups: z.number().int().min(0),
    tp1Rate: z.number().min(0).max(1),
  }).strict(),
  features: z.array(z.enum(FEATURE_NAMES)).min(1),
  center: z.array(z.number().finite()),
  scale: z.array(z.number().positive().finite()),
  coefficients: z.array(z.number().finite()),
  intercept: z.number().finite(),
  /**
   * Optional isotonic step after the logistic model: knots (logistic probability → probability),
   * fitted on out-of-sample logistic scores inside the train period (see scripts/calibrate.ts).
   */
  isotonic: isotonic.optional(),
  /** Train-period record of each setup class (see {@link setupClass}). */
  setups: z.record(z.string(), record),
}).strict().refine(
  (m) =>
    m.center.length === m.features.length && m.scale.length === m.features.length &&
    m.coefficients.length === m.features.length,
  "center, scale and coefficients need one value per feature",
);

/** A fitted calibration model (the JSON file's content). */
export type CalibrationModel = z.infer<typeof ModelSchema>;

/** Error for a calibration file that does not have the expected shape. */
export class CalibrationError extends Error {
  override name = "CalibrationError";
}

/** Validates a calibration model (e.g. parsed JSON); throws {@link CalibrationError} naming the field. */
export function parseCalibrationModel(input: unknown): CalibrationModel {
  const r = ModelSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join(".") || "(model)"}: ${i.message}`);
    throw new CalibrationError(`invalid calibration model: ${lines.join("; ")}`);
  }
  return r.data;
}

/** The model shipped with the library (`calibration/tp1_v3.json`). */
export const BUNDLED_CALIBRATION: CalibrationModel = parseCalibrationModel(BUNDLED);

/**
 * The setup class of a signal: its leading pattern. A Wyckoff event names it (`spring`,
 * `upthrust`, `sos`, `sow`); otherwise the Elliott count with its direction (`abc-long`,
 * `abc-short`, `impulse-long`, `impulse-short`).
 */
export function setupClass(
  event: WyckoffEvent | null,
  count: ElliottCount | null,
  direction: Direction,
): string {
  if (event) return event.kind;
  if (count) return `${count.kind === "impulse" ? "impulse" : "abc"}-${direction}`;
  return `none-${direction}`;
}

/** What {@link setupFeatures} reads: the patterns, the vote and the market at the signal bar. */
export interface FeatureInput {
  direction: Direction;
  event: WyckoffEvent | null;
  count: ElliottCount | null;
  /** The indicator vote's share of passed checks for the direction (0 when disabled). */
  indicatorShare: number;
  /** Higher-timeframe trend (+1, −1, 0 unknown). */
  htfTrend: number;
  /** EMA50 − EMA200 of the series (NaN during warm-up). */
  emaSpread: number;
  /** TP1 distance / stop distance. */
  riskReward: number;
}

function finiteOr(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}

/**
 * The features of a setup, each a plain number: the indicator share; the Wyckoff event's strength
 * and ln(volume ratio) (0 without an event); the Elliott count's score (0 without one); breakout
 * (1 for SOS/SOW); alignment with the higher-timeframe trend and with EMA50 vs EMA200 (+1 with, −1
 * against, 0 unknown); ln(TP1 reward-to-risk).
 */
export function setupFeatures(x: FeatureInput): SetupFeatures {
  const side = x.direction === "long" ? 1 : -1;
  const e = x.event;
  return {
    indicatorShare: x.indicatorShare,
    wyckoffStrength: e ? e.strength : 0,
    logVolumeRatio: e ? Math.log(Math.max(0.1, finiteOr(e.volumeRatio, 1))) : 0,
    elliottScore: x.count ? x.count.score : 0,
    breakout: e && (e.kind === "sos" || e.kind === "sow") ? 1 : 0,
    withHtfTrend: side * Math.sign(x.htfTrend),
    withEmaTrend: side * Math.sign(finiteOr(x.emaSpread, 0)),
    logRiskReward: Math.log(x.riskReward),
  };
}

/**
 * The isotonic map of `knots` at `p`: linear between neighbouring knots, `y[0]` at or below `x[0]`,
 * the last `y` at or above the last `x`. O(log knots).
 */
export function isotonicAt(
  knots: { x: readonly number[]; y: readonly number[] },
  p: number,
): number {
  const { x, y } = knots;
  const last = x.length - 1;
  if (!(p > x[0])) return y[0];
  if (p >= x[last]) return y[last];
  let lo = 0; // x[lo] < p
  let hi = last; // x[hi] >= p
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] < p) lo = mid;
    else hi = mid;
  }
  return y[lo] + (y[hi] - y[lo]) * (p - x[lo]) / (x[hi] - x[lo]);
}

/** The logistic part of the model: σ(intercept + Σ βᵢ (xᵢ − centerᵢ) / scaleᵢ), in (0, 1). */
export function logisticProbability(model: CalibrationModel, features: SetupFeatures): number {
  let z = model.intercept;
  const f = model.features;
  for (let i = 0; i < f.length; i++) {
    z += model.coefficients[i] * (features[f[i]] - model.center[i]) / model.scale[i];
  }
  return 1 / (1 + Math.exp(-z));
}

/**
 * The model's probability of reaching TP1 before the stop for `features`, in [0, 1]: the logistic
 * probability, mapped through the isotonic knots when the model has them. O(features + log knots).
 */
export function tp1Probability(model: CalibrationModel, features: SetupFeatures): number {
  const p = logisticProbability(model, features);
  return model.isotonic ? isotonicAt(model.isotonic, p) : p;
}

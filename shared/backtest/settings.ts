/** Backtest settings (costs, sizing, exits): one zod-validated object with documented defaults. */

import { z } from "zod";

const fraction = z.number().min(0).max(1);

/** The zod schema of {@link BacktestSettings}; every field has a default. */
export const BacktestSettingsSchema = z.object({
  /** Starting equity in quote currency (e.g. USDT). */
  initialEquity: z.number().positive().finite().default(10_000),
  /** Fraction of current equity risked per trade (entry fill to stop), e.g. 0.01 = 1 %. */
  riskFraction: z.number().positive().max(1).default(0.01),
  /** Cap on position notional as a multiple of equity (1 = no leverage). */
  maxLeverage: z.number().positive().finite().default(1),
  /** Fee per side as a fraction of the fill's notional (0.001 = 0.1 %), charged on every fill. */
  feeRate: z.number().min(0).max(0.1).default(0.001),
  /** Slippage in basis points, applied against the trader on every fill. */
  slippageBps: z.number().min(0).max(1000).default(2),
  /** Share of the initial quantity closed at TP1, TP2, TP3; must sum to 1. */
  scaleOut: z.tuple([fraction, fraction, fraction]).default([1 / 3, 1 / 3, 1 / 3])
    .refine((s) => Math.abs(s[0] + s[1] + s[2] - 1) < 1e-9, "scaleOut must sum to 1"),
  /** Move the stop to the entry fill price after TP1 fills (effective from the next bar). */
  breakEvenAfterTp1: z.boolean().default(true),
  /** Close at the close of the N-th bar held (entry bar = 1); 0 disables the time stop. */
  timeStopBars: z.number().int().min(0).default(0),
  /**
   * Upper edges of the confidence buckets of the calibration table (last bucket ends at 1); the
   * defaults suit confidence as a probability of reaching TP1.
   */
  calibrationEdges: z.array(fraction).default([0.2, 0.3, 0.4, 0.5, 0.6])
    .refine((e) => e.every((v, i) => i === 0 || e[i - 1] < v), "calibrationEdges must ascend"),
}).strict();

/** Validated backtest settings. */
export type BacktestSettings = z.infer<typeof BacktestSettingsSchema>;

/** Every default, as {@link parseBacktestSettings} returns for `{}`. */
export const DEFAULT_BACKTEST_SETTINGS: BacktestSettings = BacktestSettingsSchema.parse({});

/** Error for invalid backtest settings, naming each bad field on one line. */
export class BacktestSettingsError extends Error {
  override name = "BacktestSettingsError";
}

/** Validates and completes `input` with defaults; throws {@link BacktestSettingsError} on bad input. */
export function parseBacktestSettings(input: unknown): BacktestSettings {
  const r = BacktestSettingsSchema.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`);
    throw new BacktestSettingsError(`invalid backtest settings: ${lines.join("; ")}`);
  }
  return r.data;
}

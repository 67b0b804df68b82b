/** Indicator confirmation: a graded vote of classic indicators for one direction at one bar. */

import type { IndicatorFrame } from "../indicators/set.ts";
import type { Direction } from "../patterns/types.ts";

/** The indicator method's opinion at a bar. */
export interface IndicatorVote {
  direction: Direction | null;
  /** Share of checks favouring `direction`, in [0, 1]. */
  confidence: number;
  /** Names of the checks that passed for `direction`. */
  passed: string[];
  /** Number of checks evaluated. */
  total: number;
}

/**
 * Scores the six checks for `direction` (each 0 or 1; NaN inputs fail):
 * MACD histogram on its side of 0, close vs EMA20, EMA50 vs EMA200 (trend), RSI14 with room to run
 * (long: 30 < RSI < 70; short: 30 < RSI < 70 as well, so an exhausted move is not chased),
 * close vs session VWAP, and close inside the Bollinger band on the far side (not overextended).
 * Returns the passed check names into `out` and the count.
 */
function checks(f: IndicatorFrame, close: number, direction: Direction, out: string[]): number {
  const up = direction === "long";
  let n = 0;
  const pass = (ok: boolean, name: string) => {
    if (ok) {
      n++;
      out.push(name);
    }
  };
  pass(up ? f.macdHist > 0 : f.macdHist < 0, up ? "MACD histogram > 0" : "MACD histogram < 0");
  pass(up ? close > f.ema20 : close < f.ema20, up ? "close > EMA20" : "close < EMA20");
  pass(up ? f.ema50 > f.ema200 : f.ema50 < f.ema200, up ? "EMA50 > EMA200" : "EMA50 < EMA200");
  pass(
    f.rsi14 > 30 && f.rsi14 < 70,
    `RSI14 ${Number.isFinite(f.rsi14) ? f.rsi14.toFixed(0) : "n/a"}`,
  );
  pass(up ? close > f.vwap : close < f.vwap, up ? "close > VWAP" : "close < VWAP");
  pass(
    up ? close < f.bbUpper : close > f.bbLower,
    up ? "below upper Bollinger" : "above lower Bollinger",
  );
  return n;
}

/** Number of checks in {@link voteIndicators}. */
export const INDICATOR_CHECKS = 6;

/**
 * The indicators' vote for `direction`: confidence = passed / 6; the vote counts (direction set)
 * only when confidence ≥ `minScore`.
 */
export function voteIndicators(
  f: IndicatorFrame,
  close: number,
  direction: Direction,
  minScore: number,
): IndicatorVote {
  const passed: string[] = [];
  const n = checks(f, close, direction, passed);
  const confidence = n / INDICATOR_CHECKS;
  return {
    direction: confidence >= minScore ? direction : null,
    confidence,
    passed,
    total: INDICATOR_CHECKS,
  };
}

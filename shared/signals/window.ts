/** Batch entry points: analyze a whole series at once. */

import type { CandleSeries } from "../candles/types.ts";
import { computeIndicators, INDICATOR_FIELDS, type IndicatorFrame } from "../indicators/set.ts";
import { advance } from "./advance.ts";
import { type AnalysisView, AnalyzerCore } from "./analyzer.ts";
import { BUNDLED_CALIBRATION, type CalibrationModel } from "./calibration.ts";
import { type AnalyzerConfig, DEFAULT_ANALYZER_CONFIG } from "./config.ts";
import type { Signal } from "./types.ts";

/**
 * Runs the batch path (indicators column-wise over the whole series, then patterns and fusion bar by
 * bar), calling `onSignal` for each signal; returns the core and the last bar's indicators.
 */
function runBatch(
  series: CandleSeries,
  config: AnalyzerConfig,
  model: CalibrationModel,
  onSignal: (s: Signal) => void,
): { core: AnalyzerCore; frame: IndicatorFrame; last: Signal | null } {
  const ind = computeIndicators(series);
  const frame = {} as IndicatorFrame;
  const core = new AnalyzerCore(config, undefined, model);
  let last: Signal | null = null;
  const { openTime, open, high, low, close, volume } = series;
  for (let i = 0; i < series.length; i++) {
    for (const k of INDICATOR_FIELDS) frame[k] = ind[k][i];
    last = core.step(openTime[i], open[i], high[i], low[i], close[i], volume[i], frame);
    if (last) onSignal(last);
  }
  return { core, frame, last };
}

/**
 * Analyzes `series` in batch and returns what the analyzer says at its LAST bar. For any t,
 * `analyzeWindow(series[0..t])` equals the streaming analyzer's view at bar t when fed the same
 * candles from the same first bar.
 *
 * @example
 * const { signal } = analyzeWindow(sliceSeries(series, 0, t + 1));
 */
export function analyzeWindow(
  series: CandleSeries,
  config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
  model: CalibrationModel = BUNDLED_CALIBRATION,
): AnalysisView {
  const { core, frame, last } = runBatch(series, config, model, () => {});
  return { signal: last, indicators: { ...frame }, ...core.view() };
}

/** Every signal of the batch path over `series` (must equal {@link analyzeSeries}). */
export function analyzeBatch(
  series: CandleSeries,
  config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
  model: CalibrationModel = BUNDLED_CALIBRATION,
): Signal[] {
  const out: Signal[] = [];
  runBatch(series, config, model, (s) => out.push(s));
  return out;
}

/** Every signal the streaming analyzer emits over `series`, in order (what the CLI and backtester use). */
export function analyzeSeries(
  series: CandleSeries,
  config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
  model: CalibrationModel = BUNDLED_CALIBRATION,
): Signal[] {
  return advance(null, series, config, model).signals;
}

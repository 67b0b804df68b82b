/** Batch entry points: analyze a whole series at once. */

import type { CandleSeries } from "../candles/types.ts";
import { computeIndicators, type IndicatorFrame } from "../indicators/set.ts";
import { type AnalysisView, AnalyzerCore, StreamingAnalyzer } from "./analyzer.ts";
import { type AnalyzerConfig, DEFAULT_ANALYZER_CONFIG } from "./config.ts";
import type { Signal } from "./types.ts";

/**
 * Analyzes `series` in batch (indicators computed column-wise, then patterns and fusion bar by bar) and
 * returns what the analyzer says at its LAST bar. For any t, `analyzeWindow(series[0..t])` equals the
 * streaming analyzer's view at bar t when fed the same candles from the same first bar.
 */
export function analyzeWindow(
  series: CandleSeries,
  config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
): AnalysisView {
  const ind = computeIndicators(series);
  const keys = Object.keys(ind) as (keyof IndicatorFrame)[];
  const frame = {} as IndicatorFrame;
  const core = new AnalyzerCore(config);
  let signal: Signal | null = null;
  const { openTime, open, high, low, close, volume } = series;
  for (let i = 0; i < series.length; i++) {
    for (const k of keys) frame[k] = ind[k][i];
    signal = core.step(openTime[i], open[i], high[i], low[i], close[i], volume[i], frame);
  }
  return { signal, indicators: { ...frame }, ...core.view() };
}

/** Every signal the streaming analyzer emits over `series`, in order (what the CLI and backtester use). */
export function analyzeSeries(
  series: CandleSeries,
  config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
): Signal[] {
  const a = new StreamingAnalyzer(config);
  const out: Signal[] = [];
  const { openTime, open, high, low, close, volume } = series;
  for (let i = 0; i < series.length; i++) {
    const s = a.updateBar(openTime[i], open[i], high[i], low[i], close[i], volume[i]);
    if (s) out.push(s);
  }
  return out;
}

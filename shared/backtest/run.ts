/** Backtest entry points wired to the streaming analyzer (the same one the live pipeline runs). */

import type { CandleSeries } from "../candles/types.ts";
import type { AnalyzerConfig } from "../signals/config.ts";
import type { Signal } from "../signals/types.ts";
import { analyzeSeries } from "../signals/window.ts";
import { evaluate, type Evaluation, type EvaluationOptions } from "./evaluate.ts";
import { type BacktestMetrics, computeMetrics } from "./metrics.ts";
import type { BacktestSettings } from "./settings.ts";
import { simulate } from "./simulate.ts";
import type { SimulationResult } from "./types.ts";

/** A whole-series backtest: the analyzer's signals, the simulation and its metrics. */
export interface BacktestRun {
  signals: Signal[];
  simulation: SimulationResult;
  metrics: BacktestMetrics;
}

/** Runs the analyzer over `series` and trades every signal it emits (in-sample, untuned). */
export function runBacktest(
  series: CandleSeries,
  analyzerConfig: AnalyzerConfig,
  settings: BacktestSettings,
): BacktestRun {
  const signals = analyzeSeries(series, analyzerConfig);
  const simulation = simulate(series, signals, settings);
  return { signals, simulation, metrics: computeMetrics(series, simulation, settings) };
}

/** {@link evaluate} with the streaming analyzer as the signal source. */
export function evaluateBacktest(
  series: CandleSeries,
  analyzerConfig: AnalyzerConfig,
  settings: BacktestSettings,
  options: EvaluationOptions = {},
): Evaluation {
  return evaluate(series, analyzerConfig, settings, (c) => analyzeSeries(series, c), options);
}

/**
 * Out-of-sample evaluation: full run, train/test split or walk-forward, with an optional grid search
 * that only ever looks at train windows. The reported result is the chained test windows; in-sample
 * train results are kept, labelled as such, never mixed into it.
 */

import type { CandleSeries } from "../candles/types.ts";
import type { AnalyzerConfig } from "../signals/config.ts";
import { chainResults } from "./chain.ts";
import {
  DEFAULT_GRID,
  type GridPoint,
  gridPointOf,
  gridPoints,
  gridScore,
  type GridSpec,
  withGridPoint,
} from "./grid.ts";
import { type BacktestMetrics, computeMetrics } from "./metrics.ts";
import type { BacktestSettings } from "./settings.ts";
import { type BarWindow, simulate, type TradableSignal } from "./simulate.ts";
import type { SimulationResult } from "./types.ts";
import { type Fold, type SplitSpec, splitWindows, walkForwardWindows } from "./windows.ts";

/** Produces the signals of the whole series for an analyzer config (the analyzer is causal). */
export type SignalSource = (config: AnalyzerConfig) => readonly TradableSignal[];

/** How to evaluate: at most one of `split` / `walkForward`; `grid` alone implies a 0.7 split. */
export interface EvaluationOptions {
  split?: SplitSpec;
  walkForward?: number;
  grid?: boolean | GridSpec;
  /** Called after each analyzer run with the runs done and the runs planned. */
  onProgress?: (done: number, total: number) => void;
}

/** One window's result. */
export interface PartReport {
  kind: "train" | "test" | "full";
  /** Fold number (0 for a split or a full run). */
  fold: number;
  window: BarWindow;
  /** Settings traded in this window (chosen on the fold's train window when a grid ran). */
  config: GridPoint;
  /** True for train windows and full runs: these results are in-sample. */
  inSample: boolean;
  metrics: BacktestMetrics;
}

/** The outcome of {@link evaluate}. */
export interface Evaluation {
  mode: "full" | "split" | "walk-forward";
  /** Number of grid points searched per train window (0 without a grid). */
  gridSize: number;
  parts: PartReport[];
  /** True when `metrics` come only from test windows. */
  outOfSample: boolean;
  /** The reported metrics: chained test windows, or the whole series in full mode. */
  metrics: BacktestMetrics;
  /** The reported simulation (trades, equity) matching `metrics`. */
  simulation: SimulationResult;
  /** Signals on the reported bars, from the settings traded there (traded or skipped). */
  signals: TradableSignal[];
}

/** Evaluates `baseConfig` (and, with a grid, its variants) on `series` as `options` ask. */
export function evaluate(
  series: CandleSeries,
  baseConfig: AnalyzerConfig,
  settings: BacktestSettings,
  signalsFor: SignalSource,
  options: EvaluationOptions = {},
): Evaluation {
  const gridSpec = options.grid === true ? DEFAULT_GRID : options.grid || null;
  const points = gridSpec ? gridPoints(gridSpec) : [];
  const cache = new Map<string, readonly TradableSignal[]>();
  const planned = Math.max(1, points.length);
  const signalsOf = (c: AnalyzerConfig) => {
    const key = JSON.stringify(c);
    let s = cache.get(key);
    if (!s) {
      s = signalsFor(c);
      cache.set(key, s);
      options.onProgress?.(cache.size, Math.max(planned, cache.size));
    }
    return s;
  };
  const inWindow = (list: readonly TradableSignal[], w: BarWindow) =>
    list.filter((s) => s.index >= w.start && s.index < w.end);

  let folds: Fold[] | null = null;
  let mode: Evaluation["mode"] = "full";
  if (options.walkForward !== undefined) {
    folds = walkForwardWindows(series, options.walkForward);
    mode = "walk-forward";
  } else if (options.split !== undefined || gridSpec) {
    folds = [splitWindows(series, options.split ?? { ratio: 0.7 })];
    mode = "split";
  }

  if (folds === null) {
    const all = signalsOf(baseConfig);
    const simulation = simulate(series, all, settings);
    const metrics = computeMetrics(series, simulation, settings);
    return {
      mode,
      gridSize: 0,
      parts: [{
        kind: "full",
        fold: 0,
        window: { start: 0, end: series.length },
        config: gridPointOf(baseConfig),
        inSample: true,
        metrics,
      }],
      outOfSample: false,
      metrics,
      simulation,
      signals: inWindow(all, { start: 0, end: series.length }),
    };
  }

  const parts: PartReport[] = [];
  const tests: SimulationResult[] = [];
  const signals: TradableSignal[] = [];
  let equity = settings.initialEquity;
  folds.forEach((fold, i) => {
    let chosen = baseConfig;
    let trainSim: SimulationResult | null = null;
    if (points.length) {
      let best = -Infinity;
      for (const p of points) {
        const c = withGridPoint(baseConfig, p);
        const sim = simulate(series, signalsOf(c), settings, fold.train);
        const score = gridScore(sim);
        if (score > best) {
          best = score;
          chosen = c;
          trainSim = sim;
        }
      }
    }
    trainSim ??= simulate(series, signalsOf(chosen), settings, fold.train);
    parts.push({
      kind: "train",
      fold: i,
      window: fold.train,
      config: gridPointOf(chosen),
      inSample: true,
      metrics: computeMetrics(series, trainSim, settings),
    });
    const testSim = simulate(series, signalsOf(chosen), settings, fold.test, equity);
    signals.push(...inWindow(signalsOf(chosen), fold.test));
    equity = testSim.finalEquity;
    tests.push(testSim);
    parts.push({
      kind: "test",
      fold: i,
      window: fold.test,
      config: gridPointOf(chosen),
      inSample: false,
      metrics: computeMetrics(series, testSim, settings),
    });
  });
  const simulation = chainResults(tests);
  return {
    mode,
    gridSize: points.length,
    parts,
    outOfSample: true,
    metrics: computeMetrics(series, simulation, settings),
    simulation,
    signals,
  };
}

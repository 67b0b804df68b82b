/**
 * Evaluating one reporting period of a series: the analyzer runs over every candle up to the period's
 * end (earlier candles are its warm-up, so a period's result does not depend on where the file
 * starts), and the trades whose signal bar lies in the period are scored (see scorecard.ts).
 */

import { sliceSeries } from "../candles/series.ts";
import type { CandleSeries } from "../candles/types.ts";
import { BUNDLED_CALIBRATION, type CalibrationModel } from "../signals/calibration.ts";
import type { AnalyzerConfig } from "../signals/config.ts";
import type { Signal } from "../signals/types.ts";
import { analyzeSeries } from "../signals/window.ts";
import { type PeriodSamples, samplePeriod, type ScoreOptions } from "./scorecard.ts";
import type { BarWindow } from "./simulate.ts";

/** A reporting period: bars opening in [from, to) (ms; null = unbounded). */
export interface Period {
  from: number | null;
  to: number | null;
}

/** Bar window of `period` in `series` (first bar opening at or after `from`, up to `to`). */
export function periodWindow(series: CandleSeries, period: Period): BarWindow {
  const t = series.openTime;
  let start = 0;
  if (period.from !== null) { while (start < series.length && t[start] < period.from) start++; }
  let end = series.length;
  if (period.to !== null) {
    end = start;
    while (end < series.length && t[end] < period.to) end++;
  }
  return { start, end };
}

/** One dataset's period: its window, every signal of the analyzer in it and the raw outcomes. */
export interface PeriodEvaluation {
  window: BarWindow;
  /** Signals with a bar in the window (traded or not). */
  signals: Signal[];
  samples: PeriodSamples;
}

/**
 * Runs the analyzer with `config` over `series` up to the end of `period` (nothing later is read)
 * and scores the period's signals (`model`: the calibration model, the bundled one by default).
 * Returns null when the period holds fewer than 2 bars.
 */
export function evaluatePeriod(
  series: CandleSeries,
  config: AnalyzerConfig,
  period: Period,
  opts: ScoreOptions,
  label: string,
  model: CalibrationModel = BUNDLED_CALIBRATION,
): PeriodEvaluation | null {
  const window = periodWindow(series, period);
  if (window.end - window.start < 2) return null;
  const seen = window.end === series.length ? series : sliceSeries(series, 0, window.end);
  const all = analyzeSeries(seen, config, model);
  const signals = all.filter((s) => s.index >= window.start);
  return { window, signals, samples: samplePeriod(seen, window, all, opts, label) };
}

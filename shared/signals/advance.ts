/**
 * The one glue between stored state and new candles: restore (or start) the streaming analyzer, feed
 * it candles in order, collect the signals. The signals CLI, the backtester, the analyze Edge Function
 * and the local stack all go through it, so there is no second copy of "restore → feed → save".
 */

import type { CandleSeries } from "../candles/types.ts";
import { AnalyzerError, type AnalyzerSnapshot, StreamingAnalyzer } from "./analyzer.ts";
import { BUNDLED_CALIBRATION, type CalibrationModel } from "./calibration.ts";
import { type AnalyzerConfig, configKey, DEFAULT_ANALYZER_CONFIG } from "./config.ts";
import type { Signal } from "./types.ts";

/** What {@link advance} returns: the analyzer after the last candle and the signals it emitted. */
export interface Advanced {
  /** The analyzer, positioned after the last candle fed; `analyzer.snapshot()` gives the state to store. */
  analyzer: StreamingAnalyzer;
  /** Signals emitted while feeding, in bar order. */
  signals: Signal[];
}

/**
 * Advances an analyzer over `candles` (columnar, ascending open times, all after the state's last
 * candle). `from` is where to start: null for a fresh analyzer (the candles must then begin at the
 * series' first candle for the output to equal an offline run over the whole series), a stored
 * snapshot (`unknown`, as it comes back from the database: it is validated), or a live
 * {@link StreamingAnalyzer} to continue (e.g. the next page of candles).
 *
 * `model` is the calibration model (the bundled one unless given; its id is part of the snapshot key).
 *
 * Throws AnalyzerError when the snapshot is damaged or was made with other settings (or another
 * model), or when a candle is not after the previous one; the caller then rebuilds from the series'
 * first candle.
 */
export function advance(
  from: StreamingAnalyzer | unknown | null,
  candles: CandleSeries,
  config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
  model: CalibrationModel = BUNDLED_CALIBRATION,
): Advanced {
  const analyzer = from instanceof StreamingAnalyzer
    ? from
    : from === null || from === undefined
    ? new StreamingAnalyzer(config, undefined, model)
    : StreamingAnalyzer.restore(from as AnalyzerSnapshot, config, model);
  if (
    from instanceof StreamingAnalyzer &&
    configKey(from.config, from.model.id) !== configKey(config, model.id)
  ) {
    throw new AnalyzerError("the analyzer to continue runs with other settings");
  }
  const signals: Signal[] = [];
  const { openTime, open, high, low, close, volume } = candles;
  for (let i = 0; i < candles.length; i++) {
    const s = analyzer.updateBar(openTime[i], open[i], high[i], low[i], close[i], volume[i]);
    if (s) signals.push(s);
  }
  return { analyzer, signals };
}

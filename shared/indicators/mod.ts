/**
 * Technical indicators following TA-Lib's conventions: streaming classes (O(1) per bar, JSON state
 * that restores bit-identically) and batch functions over Float64Array giving the same numbers.
 */

export { Atr, atr, type AtrState, trueRange } from "./atr.ts";
export {
  Bollinger,
  bollinger,
  type BollingerSeries,
  type BollingerState,
  type BollingerValue,
} from "./bollinger.ts";
export { Ema, ema, type EmaState, emaStep } from "./ema.ts";
export { Macd, macd, type MacdSeries, type MacdState, type MacdValue } from "./macd.ts";
export { RollingWindow, type RollingWindowState } from "./rolling_window.ts";
export { Rsi, rsi, rsiFromAverages, type RsiState } from "./rsi.ts";
export {
  computeIndicators,
  emptyFrame,
  INDICATOR_FIELDS,
  INDICATOR_LOOKBACK,
  type IndicatorFrame,
  IndicatorSet,
  type IndicatorSetState,
} from "./set.ts";
export { Sma, sma, type SmaState } from "./sma.ts";
export { type StateNumber } from "./state_codec.ts";
export { VolumeAverage, volumeAverage, type VolumeAverageState } from "./volume_average.ts";
export { Vwap, vwap, type VwapState } from "./vwap.ts";
export { wilderStep } from "./wilder.ts";

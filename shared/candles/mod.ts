/** Public API of the candle library: types, intervals, parsers, validation, gaps and series. */

export type { Candle, CandleSeries } from "./types.ts";
export { INTERVAL_MS, INTERVALS, isAligned, isInterval, nextOpenTime } from "./intervals.ts";
export type { Interval } from "./intervals.ts";
export { CandleError } from "./errors.ts";
export type { CandleRule } from "./errors.ts";
export { assertInterval } from "./assert_interval.ts";
export { validateCandles } from "./validate.ts";
export { KLINE_COLUMNS, parseRestKlines } from "./rest_klines.ts";
export { parseWsKline } from "./ws_kline.ts";
export type { WsKline } from "./ws_kline.ts";
export { parseArchiveCsv } from "./archive_csv.ts";
export { OHLCV_HEADER, parseOhlcvCsv } from "./ohlcv_csv.ts";
export { countMissing, findGaps } from "./gaps.ts";
export type { Gap } from "./gaps.ts";
export { inferInterval } from "./infer_interval.ts";
export { candleAt, emptySeries, seriesFromCandles, sliceSeries } from "./series.ts";
export type { SeriesMeta } from "./series.ts";

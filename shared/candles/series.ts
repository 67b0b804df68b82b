/** Building and slicing columnar {@link CandleSeries}. */

import type { Interval } from "./intervals.ts";
import type { Candle, CandleSeries } from "./types.ts";

/** Optional metadata carried by a series. */
export interface SeriesMeta {
  symbol?: string;
  interval?: Interval;
}

const REQUIRED = ["openTime", "open", "high", "low", "close", "volume"] as const;
const OPTIONAL = ["closeTime", "quoteVolume", "trades", "takerBuyBase", "takerBuyQuote"] as const;

/** A series with no rows and no optional columns. */
export function emptySeries(meta: SeriesMeta = {}): CandleSeries {
  return withMeta({
    length: 0,
    openTime: new Float64Array(0),
    open: new Float64Array(0),
    high: new Float64Array(0),
    low: new Float64Array(0),
    close: new Float64Array(0),
    volume: new Float64Array(0),
  }, meta);
}

/**
 * Copies candles into columns. An optional column (closeTime, quoteVolume, ...) is present only when
 * every candle has that field (so an empty input yields no optional columns).
 */
export function seriesFromCandles(candles: readonly Candle[], meta: SeriesMeta = {}): CandleSeries {
  const n = candles.length;
  const openTime = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = candles[i];
    openTime[i] = c.openTime;
    open[i] = c.open;
    high[i] = c.high;
    low[i] = c.low;
    close[i] = c.close;
    volume[i] = c.volume;
  }
  const series: CandleSeries = { length: n, openTime, open, high, low, close, volume };
  if (n > 0) {
    for (const key of OPTIONAL) {
      const col = new Float64Array(n);
      let complete = true;
      for (let i = 0; i < n; i++) {
        const v = candles[i][key];
        if (v === undefined) {
          complete = false;
          break;
        }
        col[i] = v;
      }
      if (complete) series[key] = col;
    }
  }
  return withMeta(series, meta);
}

/** The candle at row `i` (0-based); optional fields appear when the series has their column. */
export function candleAt(series: CandleSeries, i: number): Candle {
  if (!Number.isInteger(i) || i < 0 || i >= series.length) {
    throw new RangeError(`candle index ${i} is outside the series (length ${series.length})`);
  }
  const c: Candle = {
    openTime: series.openTime[i],
    open: series.open[i],
    high: series.high[i],
    low: series.low[i],
    close: series.close[i],
    volume: series.volume[i],
  };
  for (const key of OPTIONAL) {
    const col = series[key];
    if (col) c[key] = col[i];
  }
  return c;
}

/**
 * Rows `start` (inclusive) to `end` (exclusive, default: the end) as views on the same buffers
 * (`subarray`, no copy). Indices follow `TypedArray.subarray` (negative counts from the end).
 */
export function sliceSeries(series: CandleSeries, start: number, end?: number): CandleSeries {
  const openTime = series.openTime.subarray(start, end);
  const out: CandleSeries = { length: openTime.length, openTime } as CandleSeries;
  for (const key of REQUIRED) {
    if (key !== "openTime") out[key] = series[key].subarray(start, end);
  }
  for (const key of OPTIONAL) {
    const col = series[key];
    if (col) out[key] = col.subarray(start, end);
  }
  return withMeta(out, series);
}

function withMeta(series: CandleSeries, meta: SeriesMeta): CandleSeries {
  if (meta.symbol !== undefined) series.symbol = meta.symbol;
  if (meta.interval !== undefined) series.interval = meta.interval;
  return series;
}

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
  const closeTime = new Float64Array(n);
  const quoteVolume = new Float64Array(n);
  const trades = new Float64Array(n);
  const takerBuyBase = new Float64Array(n);
  const takerBuyQuote = new Float64Array(n);
  // Plain property reads in one pass (keyed access by column name is several times slower).
  let missing = 0; // bit per optional column that some candle lacks
  for (let i = 0; i < n; i++) {
    const c = candles[i];
    openTime[i] = c.openTime;
    open[i] = c.open;
    high[i] = c.high;
    low[i] = c.low;
    close[i] = c.close;
    volume[i] = c.volume;
    const ct = c.closeTime, qv = c.quoteVolume, tr = c.trades;
    const tb = c.takerBuyBase, tq = c.takerBuyQuote;
    if (ct === undefined) missing |= 1;
    else closeTime[i] = ct;
    if (qv === undefined) missing |= 2;
    else quoteVolume[i] = qv;
    if (tr === undefined) missing |= 4;
    else trades[i] = tr;
    if (tb === undefined) missing |= 8;
    else takerBuyBase[i] = tb;
    if (tq === undefined) missing |= 16;
    else takerBuyQuote[i] = tq;
  }
  if (n === 0) missing = 31;
  const series: CandleSeries = { length: n, openTime, open, high, low, close, volume };
  if (!(missing & 1)) series.closeTime = closeTime;
  if (!(missing & 2)) series.quoteVolume = quoteVolume;
  if (!(missing & 4)) series.trades = trades;
  if (!(missing & 8)) series.takerBuyBase = takerBuyBase;
  if (!(missing & 16)) series.takerBuyQuote = takerBuyQuote;
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

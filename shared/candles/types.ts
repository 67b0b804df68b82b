/** Core candle types shared by every part of the analyzer library. Pure: no I/O. */

import type { Interval } from "./intervals.ts";

/** One closed OHLCV candle. Times are milliseconds since the Unix epoch (UTC). */
export interface Candle {
  /** Open time of the candle in ms. */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base-asset volume. */
  volume: number;
  /** Close time in ms when known (Binance: openTime + interval - 1, or earlier if the candle closed early). */
  closeTime?: number;
  /** Quote-asset volume when known. */
  quoteVolume?: number;
  /** Number of trades when known. */
  trades?: number;
  /** Taker buy base-asset volume when known. */
  takerBuyBase?: number;
  /** Taker buy quote-asset volume when known. */
  takerBuyQuote?: number;
}

/**
 * A columnar candle series: one Float64Array per field, all of length `length`.
 * Optional columns are present only when every row carries the field.
 */
export interface CandleSeries {
  symbol?: string;
  interval?: Interval;
  length: number;
  openTime: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  closeTime?: Float64Array;
  quoteVolume?: Float64Array;
  trades?: Float64Array;
  takerBuyBase?: Float64Array;
  takerBuyQuote?: Float64Array;
}

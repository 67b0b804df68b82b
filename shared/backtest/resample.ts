/** Rolling a series up to a coarser interval (e.g. 1h → 4h), as Binance would have built it. */

import type { CandleSeries } from "../candles/types.ts";
import { type Interval, INTERVAL_MS } from "../candles/intervals.ts";
import { barLengthMs } from "./bar_length.ts";

/** Error for a roll-up that cannot be done (unknown source interval, not a multiple, calendar intervals). */
export class ResampleError extends Error {
  override name = "ResampleError";
}

/**
 * Rolls `series` up to `target`: buckets aligned to UTC multiples of the target length (as Binance
 * aligns 4h, 12h, 1d candles); open of the first bar, max high, min low, close of the last bar, summed
 * volume. Buckets missing any source bar (gaps, partial ends) are dropped.
 */
export function resampleSeries(series: CandleSeries, target: Interval): CandleSeries {
  if (target === "1M" || target === "1w" || target === "3d") {
    throw new ResampleError(`cannot roll up to ${target} (calendar-anchored interval)`);
  }
  const src = barLengthMs(series);
  const dst = INTERVAL_MS[target];
  if (!(src > 0) || dst % src !== 0 || dst <= src) {
    throw new ResampleError(`cannot roll ${series.interval ?? `${src} ms`} bars up to ${target}`);
  }
  const per = dst / src;
  const n = series.length;
  const openTime: number[] = [];
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  let i = 0;
  while (i < n) {
    const bucket = Math.floor(series.openTime[i] / dst) * dst;
    let j = i;
    let h = -Infinity;
    let l = Infinity;
    let v = 0;
    while (j < n && series.openTime[j] < bucket + dst) {
      if (series.high[j] > h) h = series.high[j];
      if (series.low[j] < l) l = series.low[j];
      v += series.volume[j];
      j++;
    }
    if (j - i === per) {
      openTime.push(bucket);
      open.push(series.open[i]);
      high.push(h);
      low.push(l);
      close.push(series.close[j - 1]);
      volume.push(v);
    }
    i = j;
  }
  const out: CandleSeries = {
    length: openTime.length,
    openTime: Float64Array.from(openTime),
    open: Float64Array.from(open),
    high: Float64Array.from(high),
    low: Float64Array.from(low),
    close: Float64Array.from(close),
    volume: Float64Array.from(volume),
    interval: target,
  };
  if (series.symbol !== undefined) out.symbol = series.symbol;
  return out;
}

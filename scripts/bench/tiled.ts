/**
 * A long, continuous candle series built from real data for benchmarks: the BTCUSDT 1h 2024 fixture
 * repeated, each copy rescaled so it opens where the previous one closed, times continuing hourly.
 */

import type { CandleSeries } from "../../shared/candles/types.ts";
import { fixtureSeries } from "../../tests/support/fixtures.ts";

/** `length` candles tiled from the real BTCUSDT 1h 2024 fixture. */
export function tiledSeries(length: number): CandleSeries {
  const src = fixtureSeries("BTCUSDT-1h-2024.json");
  const cols = {
    openTime: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
  const hour = 3_600_000;
  let scale = 1;
  for (let i = 0; i < length; i++) {
    const j = i % src.length;
    if (j === 0 && i > 0) scale = cols.close[i - 1] / src.open[0];
    cols.openTime[i] = src.openTime[0] + i * hour;
    cols.open[i] = src.open[j] * scale;
    cols.high[i] = src.high[j] * scale;
    cols.low[i] = src.low[j] * scale;
    cols.close[i] = src.close[j] * scale;
    cols.volume[i] = src.volume[j];
  }
  return { symbol: "BTCUSDT", interval: "1h", length, ...cols };
}

/** Loads the real Binance fixtures under tests/fixtures for tests and benchmarks. */

import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import type { Candle, CandleSeries } from "../../shared/candles/types.ts";

const dir = new URL("../fixtures/binance/", import.meta.url);

/** Candles of `tests/fixtures/binance/<name>` (e.g. "BTCUSDT-1h-2024.json"). */
export function fixtureCandles(name: string): Candle[] {
  return parseRestKlines(JSON.parse(Deno.readTextFileSync(new URL(name, dir))));
}

/** The same as a columnar series. */
export function fixtureSeries(name: string): CandleSeries {
  return seriesFromCandles(fixtureCandles(name));
}

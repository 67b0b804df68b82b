/** Loads the real Binance fixtures under tests/fixtures for tests and benchmarks. */

import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import type { Candle, CandleSeries } from "../../shared/candles/types.ts";

/** Absolute path of `tests/fixtures/<rel>`. */
export function fixturePath(rel: string): string {
  return new URL(`../fixtures/${rel}`, import.meta.url).pathname;
}

/** Raw REST rows of `tests/fixtures/binance/<name>`. */
export function fixtureRows(name: string): unknown[] {
  return JSON.parse(Deno.readTextFileSync(fixturePath(`binance/${name}`)));
}

/** Candles of `tests/fixtures/binance/<name>` (e.g. "BTCUSDT-1h-2024.json"). */
export function fixtureCandles(name: string): Candle[] {
  return parseRestKlines(fixtureRows(name));
}

/** The same as a columnar series. */
export function fixtureSeries(name: string): CandleSeries {
  return seriesFromCandles(fixtureCandles(name));
}

/** Test helpers: paths and parsed candles of the real Binance fixtures. */

import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import type { Candle } from "../../shared/candles/types.ts";

/** Absolute path of `tests/fixtures/<rel>`. */
export function fixturePath(rel: string): string {
  return new URL(`../fixtures/${rel}`, import.meta.url).pathname;
}

/** Absolute path of `tests/candles/data/<name>` (small archive CSVs made from real rows). */
export function dataPath(name: string): string {
  return new URL(`./data/${name}`, import.meta.url).pathname;
}

/** Raw REST rows of `tests/fixtures/binance/<name>`. */
export function fixtureRows(name: string): unknown[] {
  return JSON.parse(Deno.readTextFileSync(fixturePath(`binance/${name}`)));
}

/** Parsed candles of `tests/fixtures/binance/<name>`. */
export function fixtureCandles(name: string): Candle[] {
  return parseRestKlines(fixtureRows(name));
}

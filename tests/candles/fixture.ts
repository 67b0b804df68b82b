/** Test helpers of the candle tests: the shared fixture loaders and the small CSVs in ./data. */

export { fixtureCandles, fixturePath, fixtureRows } from "../support/fixtures.ts";

/** Absolute path of `tests/candles/data/<name>` (small archive CSVs made from real rows). */
export function dataPath(name: string): string {
  return new URL(`./data/${name}`, import.meta.url).pathname;
}

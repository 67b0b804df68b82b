/** Test helpers: real Binance kline fixtures as columnar series, and TA-Lib golden files. */

import type { CandleSeries } from "../../shared/candles/types.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);

/** Reads tests/fixtures/binance/<name> (REST kline rows) into a CandleSeries, numbers via Number(). */
export function readBinanceSeries(name: string): CandleSeries {
  const rows = JSON.parse(Deno.readTextFileSync(new URL(`binance/${name}`, FIXTURES))) as (
    | string
    | number
  )[][];
  const n = rows.length;
  const col = (i: number) => {
    const a = new Float64Array(n);
    for (let r = 0; r < n; r++) a[r] = Number(rows[r][i]);
    return a;
  };
  return {
    length: n,
    openTime: col(0),
    open: col(1),
    high: col(2),
    low: col(3),
    close: col(4),
    volume: col(5),
  };
}

/** A TA-Lib golden file written by scripts/golden/talib_golden.cjs. */
export interface Golden {
  source: string;
  length: number;
  lookback: Record<string, number>;
  series: Record<string, (number | null)[]>;
}

/** Reads tests/fixtures/golden/<name>. */
export function readGolden(name: string): Golden {
  return JSON.parse(Deno.readTextFileSync(new URL(`golden/${name}`, FIXTURES))) as Golden;
}

/** Reading a kline file's symbol and interval from its path. */

import { type Interval, isInterval } from "../../../shared/candles/intervals.ts";

/** Symbol and interval read from a path; null where the path does not say. */
export interface KlineNameInfo {
  symbol: string | null;
  interval: Interval | null;
}

const SYMBOL = /^(?=[A-Z0-9]*[A-Z])[A-Z0-9]{2,30}$/;

/**
 * Infers symbol and interval from a path: a file name `SYMBOL-interval[-period].ext` (e.g.
 * `BTCUSDT-1h-2024.json`, Binance archive `BTCUSDT-1h-2024-01.csv`) or the folder layout
 * `.../SYMBOL/interval/file.ext` (e.g. `BTCUSDT/1h/2024-01-01.json`). Symbols are upper-case letters
 * and digits; intervals are case-sensitive (`1M` is a month, `1m` a minute).
 */
export function klineNameInfo(path: string): KlineNameInfo {
  const parts = path.split(/[\\/]/).filter((p) => p !== "");
  const base = parts[parts.length - 1] ?? "";
  const stem = base.includes(".") ? base.slice(0, base.indexOf(".")) : base;
  const [first, second] = stem.split("-");
  if (second !== undefined && SYMBOL.test(first) && isInterval(second)) {
    return { symbol: first, interval: second };
  }
  const dir = parts[parts.length - 2];
  const parent = parts[parts.length - 3];
  if (dir !== undefined && isInterval(dir)) {
    return { symbol: parent !== undefined && SYMBOL.test(parent) ? parent : null, interval: dir };
  }
  return { symbol: null, interval: null };
}

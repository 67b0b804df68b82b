/** Parser for Binance archive kline CSVs (data.binance.vision). */

import { scanNumericCsv } from "./csv_scan.ts";
import { KLINE_COLUMNS } from "./rest_klines.ts";
import { CandleError } from "./errors.ts";
import { describeBadTime, toMillis } from "./time_unit.ts";
import type { Candle } from "./types.ts";

/**
 * Parses a Binance archive kline CSV: 12 columns like a REST row, no header (a futures-style
 * `open_time,...` header line is skipped). Times are ms, or µs (spot files from 2025 on), detected per
 * value by the rule in `time_unit.ts` and converted to ms (close time rounded down). Checks structure only: run
 * {@link validateCandles} on the result. CandleError rows are 0-based data rows (header not counted).
 */
export function parseArchiveCsv(text: string): Candle[] {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineOffset = 0;
  if (text.startsWith("open_time", pos)) {
    const nl = text.indexOf("\n", pos);
    pos = nl < 0 ? text.length : nl + 1;
    lineOffset = 1;
  }
  const out: Candle[] = [];
  scanNumericCsv(text, pos, lineOffset, KLINE_COLUMNS, 11, (row, v) => {
    const openTime = toMillis(v[0]);
    if (openTime === null) throw new CandleError(row, "time", describeBadTime("open_time", v[0]));
    const closeTime = toMillis(v[6]);
    if (closeTime === null) throw new CandleError(row, "time", describeBadTime("close_time", v[6]));
    out.push({
      openTime,
      open: v[1],
      high: v[2],
      low: v[3],
      close: v[4],
      volume: v[5],
      closeTime,
      quoteVolume: v[7],
      trades: v[8],
      takerBuyBase: v[9],
      takerBuyQuote: v[10],
    });
  });
  return out;
}

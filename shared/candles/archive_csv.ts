/** Parser for Binance archive kline CSVs (data.binance.vision). */

import { scanNumericCsv } from "./csv_scan.ts";
import { KLINE_COLUMNS } from "./rest_klines.ts";
import { klineTimes } from "./time_unit.ts";
import type { Candle } from "./types.ts";

/**
 * Parses a Binance archive kline CSV: 12 columns like a REST row, no header (a futures-style
 * `open_time,...` header line is skipped). Times are ms, or µs (spot files from 2025 on), or seconds,
 * read per row by the rule in `time_unit.ts` and converted to ms (open and close time of a row in one
 * unit). Checks structure only: run {@link validateCandles} on the result. CandleError rows are 0-based
 * data rows (header not counted).
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
    const { openTime, closeTime } = klineTimes(v[0], v[6], row);
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

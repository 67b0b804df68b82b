/** Parser for Binance archive kline CSVs (data.binance.vision). */

import { csvLines } from "./csv_lines.ts";
import { toNumber } from "./decimal.ts";
import { CandleError } from "./errors.ts";
import { KLINE_COLUMNS } from "./rest_klines.ts";
import type { Candle } from "./types.ts";

/** Timestamps at or above this are microseconds (1e14 ms is the year 5138; 1e14 µs is 1973). */
const MICROS_FROM = 1e14;

/**
 * Parses a Binance archive kline CSV: 12 columns like a REST row, no header (a futures-style
 * `open_time,...` header line is skipped). Times are ms, or µs (spot files from 2025 on), detected per
 * row by magnitude and converted to ms (close time rounded down). Checks structure only: run
 * {@link validateCandles} on the result. CandleError rows are 0-based data rows (header not counted).
 */
export function parseArchiveCsv(text: string): Candle[] {
  const hasHeader = text.startsWith("open_time");
  const lines = csvLines(text, hasHeader ? 1 : 0);
  const first = hasHeader ? 1 : 0;
  const out: Candle[] = new Array(Math.max(0, lines.length - first));
  for (let li = first; li < lines.length; li++) {
    const i = li - first;
    const f = lines[li].split(",");
    if (f.length !== 12) {
      throw new CandleError(
        i,
        "csv_columns",
        `expected 12 columns (${KLINE_COLUMNS.join(",")}), got ${f.length}`,
      );
    }
    const openTime = toNumber(f[0], i, "open_time");
    const closeTime = toNumber(f[6], i, "close_time");
    out[i] = {
      openTime: openTime >= MICROS_FROM ? openTime / 1000 : openTime,
      open: toNumber(f[1], i, "open"),
      high: toNumber(f[2], i, "high"),
      low: toNumber(f[3], i, "low"),
      close: toNumber(f[4], i, "close"),
      volume: toNumber(f[5], i, "volume"),
      closeTime: closeTime >= MICROS_FROM ? Math.floor(closeTime / 1000) : closeTime,
      quoteVolume: toNumber(f[7], i, "quote_volume"),
      trades: toNumber(f[8], i, "trades"),
      takerBuyBase: toNumber(f[9], i, "taker_buy_base"),
      takerBuyQuote: toNumber(f[10], i, "taker_buy_quote"),
    };
  }
  return out;
}

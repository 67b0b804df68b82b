/** Parser for plain OHLCV CSVs with an `open_time,open,high,low,close,volume` header. */

import { scanNumericCsv } from "./csv_scan.ts";
import { CandleError } from "./errors.ts";
import type { Candle } from "./types.ts";

/** The header line an OHLCV CSV must start with (open_time in ms). */
export const OHLCV_HEADER = "open_time,open,high,low,close,volume";

const NAMES = OHLCV_HEADER.split(",");

/**
 * Parses a CSV whose first line is {@link OHLCV_HEADER} (open_time in ms). Checks structure only: run
 * {@link validateCandles} on the result. CandleError rows are 0-based data rows (header not counted).
 */
export function parseOhlcvCsv(text: string): Candle[] {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const nl = text.indexOf("\n", start);
  const header = text.slice(start, nl < 0 ? text.length : nl).trim();
  if (header !== OHLCV_HEADER) {
    throw new CandleError(
      null,
      "csv_header",
      `expected the header ${OHLCV_HEADER}, got ${JSON.stringify(header.slice(0, 80))}`,
    );
  }
  const out: Candle[] = [];
  scanNumericCsv(text, nl < 0 ? text.length : nl + 1, 1, NAMES, 6, (_row, v) => {
    out.push({ openTime: v[0], open: v[1], high: v[2], low: v[3], close: v[4], volume: v[5] });
  });
  return out;
}

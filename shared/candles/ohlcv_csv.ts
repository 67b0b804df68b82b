/** Parser for plain OHLCV CSVs with an `open_time,open,high,low,close,volume` header. */

import { scanNumericCsv } from "./csv_scan.ts";
import { CandleError } from "./errors.ts";
import { describeBadTime, toMillis } from "./time_unit.ts";
import type { Candle } from "./types.ts";

/** The header line an OHLCV CSV must start with (open_time in s, ms or µs: see time_unit.ts). */
export const OHLCV_HEADER = "open_time,open,high,low,close,volume";

const NAMES = OHLCV_HEADER.split(",");

/**
 * Parses a CSV whose first line is {@link OHLCV_HEADER}. open_time may be in seconds, ms or µs, read
 * per row by the rule in `time_unit.ts` and converted to ms; a value no unit fits is refused (rule
 * `"time"`). Checks structure only: run {@link validateCandles} on the result. CandleError rows are
 * 0-based data rows (header not counted).
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
  scanNumericCsv(text, nl < 0 ? text.length : nl + 1, 1, NAMES, 6, (row, v) => {
    const openTime = toMillis(v[0]);
    if (openTime === null) throw new CandleError(row, "time", describeBadTime("open_time", v[0]));
    out.push({ openTime, open: v[1], high: v[2], low: v[3], close: v[4], volume: v[5] });
  });
  return out;
}

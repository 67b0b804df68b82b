/** Parser for plain OHLCV CSVs with an `open_time,open,high,low,close,volume` header. */

import { csvLines } from "./csv_lines.ts";
import { toNumber } from "./decimal.ts";
import { CandleError } from "./errors.ts";
import type { Candle } from "./types.ts";

/** The header line an OHLCV CSV must start with (open_time in ms). */
export const OHLCV_HEADER = "open_time,open,high,low,close,volume";

/**
 * Parses a CSV whose first line is {@link OHLCV_HEADER} (open_time in ms). Checks structure only: run
 * {@link validateCandles} on the result. CandleError rows are 0-based data rows (header not counted).
 */
export function parseOhlcvCsv(text: string): Candle[] {
  const lines = csvLines(text, 1);
  const header = (lines[0] ?? "").trim();
  if (header !== OHLCV_HEADER) {
    throw new CandleError(
      null,
      "csv_header",
      `expected the header ${OHLCV_HEADER}, got ${JSON.stringify(header.slice(0, 80))}`,
    );
  }
  const out: Candle[] = new Array(lines.length - 1);
  for (let li = 1; li < lines.length; li++) {
    const i = li - 1;
    const f = lines[li].split(",");
    if (f.length !== 6) {
      throw new CandleError(
        i,
        "csv_columns",
        `expected 6 columns (${OHLCV_HEADER}), got ${f.length}`,
      );
    }
    out[i] = {
      openTime: toNumber(f[0], i, "open_time"),
      open: toNumber(f[1], i, "open"),
      high: toNumber(f[2], i, "high"),
      low: toNumber(f[3], i, "low"),
      close: toNumber(f[4], i, "close"),
      volume: toNumber(f[5], i, "volume"),
    };
  }
  return out;
}

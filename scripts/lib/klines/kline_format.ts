/** Telling the supported kline file formats apart by content. */

import { OHLCV_HEADER } from "../../../shared/candles/ohlcv_csv.ts";

/** The kline file formats the loader reads. */
export type KlineFormat = "rest-json" | "ohlcv-csv" | "archive-csv";

/**
 * The format of a kline file's text: a JSON array (REST rows), a CSV whose first line is the OHLCV
 * header, or a 12-column CSV without header (or with a futures-style `open_time,...` header) as in
 * Binance archives; null when it is none of these.
 */
export function detectKlineFormat(text: string): KlineFormat | null {
  const start = text.trimStart();
  if (start.startsWith("[")) return "rest-json";
  const nl = start.indexOf("\n");
  const firstLine = (nl < 0 ? start : start.slice(0, nl)).trim();
  if (firstLine === OHLCV_HEADER) return "ohlcv-csv";
  const fields = firstLine.split(",");
  if (fields.length === 12 && (/^\d+$/.test(fields[0]) || fields[0] === "open_time")) {
    return "archive-csv";
  }
  return null;
}

/** Parser for Binance REST kline rows (`GET /api/v3/klines`). */

import { z } from "zod";
import { toNumber } from "./decimal.ts";
import { CandleError } from "./errors.ts";
import { klineTimes } from "./time_unit.ts";
import type { Candle } from "./types.ts";
import { describeIssue, kindOf } from "./zod_issue.ts";

/** Column names of a Binance kline row, in order (REST and archive CSV share them). */
export const KLINE_COLUMNS = [
  "open_time",
  "open",
  "high",
  "low",
  "close",
  "volume",
  "close_time",
  "quote_volume",
  "trades",
  "taker_buy_base",
  "taker_buy_quote",
  "ignore",
] as const;

const time = z.number();
const dec = z.union([z.string(), z.number()]);
const restRow = z.tuple([
  time,
  dec,
  dec,
  dec,
  dec,
  dec,
  time,
  dec,
  z.number(),
  dec,
  dec,
  z.unknown(),
]);

/**
 * Parses an array of Binance REST kline rows `[openTime, open, high, low, close, volume, closeTime,
 * quoteVolume, trades, takerBuyBase, takerBuyQuote, "0"]` (numbers as decimal strings or numbers,
 * times as numbers). Times in seconds or microseconds (Binance's `X-MBX-TIME-UNIT: MICROSECOND`) are
 * converted to ms by the rule in `time_unit.ts`. Checks structure only: run {@link validateCandles}
 * on the result. Throws CandleError with the 0-based row (rules `shape`, `number`, `time`).
 */
export function parseRestKlines(rows: unknown): Candle[] {
  if (!Array.isArray(rows)) {
    throw new CandleError(null, "shape", `expected an array of kline rows, got ${kindOf(rows)}`);
  }
  const out: Candle[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    // Fast path for well-formed rows; the zod schema is the reference and names what is wrong.
    const r = isRestRow(row) ? row : checked(row, i);
    const t = klineTimes(r[0], r[6], i);
    out[i] = {
      openTime: t.openTime,
      open: toNumber(r[1], i, "open"),
      high: toNumber(r[2], i, "high"),
      low: toNumber(r[3], i, "low"),
      close: toNumber(r[4], i, "close"),
      volume: toNumber(r[5], i, "volume"),
      closeTime: t.closeTime,
      quoteVolume: toNumber(r[7], i, "quote_volume"),
      trades: r[8],
      takerBuyBase: toNumber(r[9], i, "taker_buy_base"),
      takerBuyQuote: toNumber(r[10], i, "taker_buy_quote"),
    };
  }
  return out;
}

type RestRow = z.infer<typeof restRow>;

function checked(row: unknown, i: number): RestRow {
  const parsed = restRow.safeParse(row);
  if (!parsed.success) {
    throw new CandleError(i, "shape", describeIssue(parsed.error, KLINE_COLUMNS));
  }
  return parsed.data;
}

function isRestRow(r: unknown): r is RestRow {
  if (!Array.isArray(r) || r.length !== 12) return false;
  for (let c = 0; c < 11; c++) {
    const t = typeof r[c];
    if (c === 0 || c === 6 || c === 8 ? t !== "number" : t !== "string" && t !== "number") {
      return false;
    }
  }
  return true;
}

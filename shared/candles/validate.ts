/** Numeric and ordering rules every candle list must pass. */

import { CandleError, type CandleRule } from "./errors.ts";
import { type Interval, isAligned, nextOpenTime } from "./intervals.ts";
import type { Candle } from "./types.ts";

const PRICE_FIELDS = ["open", "high", "low", "close"] as const;

/**
 * Throws CandleError for the first row that breaks a rule (rule ids in {@link CandleRule}); the error's
 * `row` is the 0-based index in `candles`. With `interval`, open times must be aligned to it and a
 * known close time must fall in `[openTime, nextOpenTime - 1]`; a candle that closed early (close
 * time before `openTime + interval - 1`) is accepted, as is zero volume.
 */
export function validateCandles(candles: readonly Candle[], interval?: Interval): void {
  let prev = -Infinity;
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i];
    const t = c.openTime;
    if (!Number.isSafeInteger(t) || t < 0) {
      fail(i, "time", `open_time is not a non-negative integer ms timestamp (open_time=${t})`);
    }
    const { open, high, low, close, volume } = c;
    // `!(x > 0)` also rejects NaN and -Infinity; the `=== Infinity` tests reject +Infinity.
    if (
      !(open > 0) || !(high > 0) || !(low > 0) || !(close > 0) ||
      open === Infinity || high === Infinity || low === Infinity || close === Infinity
    ) {
      for (const f of PRICE_FIELDS) {
        const v = c[f];
        if (!(v > 0) || v === Infinity) {
          fail(i, "price", `${f} is not a positive finite number (${f}=${v})`);
        }
      }
    }
    if (high < low) fail(i, "high_low", `high < low (high=${high}, low=${low})`);
    if (high < open || high < close) {
      fail(i, "high_oc", `high < max(open, close) (high=${high}, open=${open}, close=${close})`);
    }
    if (low > open || low > close) {
      fail(i, "low_oc", `low > min(open, close) (low=${low}, open=${open}, close=${close})`);
    }
    if (!(volume >= 0) || volume === Infinity) {
      fail(i, "volume", `volume is negative or not finite (volume=${volume})`);
    }
    const { quoteVolume, trades, takerBuyBase, takerBuyQuote } = c;
    if (quoteVolume !== undefined) amount(i, "quoteVolume", quoteVolume);
    if (trades !== undefined) amount(i, "trades", trades);
    if (takerBuyBase !== undefined) amount(i, "takerBuyBase", takerBuyBase);
    if (takerBuyQuote !== undefined) amount(i, "takerBuyQuote", takerBuyQuote);
    if (interval !== undefined && !isAligned(t, interval)) {
      fail(i, "aligned", `open_time ${t} (${iso(t)}) is not aligned to ${interval}`);
    }
    const ct = c.closeTime;
    if (ct !== undefined) {
      if (interval === undefined) {
        if (!(ct >= t)) fail(i, "close_time", `close_time ${ct} is before open_time ${t}`);
      } else {
        const last = nextOpenTime(t, interval) - 1;
        if (!(ct >= t && ct <= last)) {
          fail(i, "close_time", `close_time ${ct} is outside [${t}, ${last}]`);
        }
      }
    }
    if (!(t > prev)) {
      fail(
        i,
        "order",
        `open_time ${t} (${iso(t)}) is not after the previous row's ${prev} (${iso(prev)})`,
      );
    }
    prev = t;
  }
}

function amount(row: number, field: string, v: number): void {
  if (!(v >= 0) || v === Infinity) {
    fail(row, "volume", `${field} is negative or not finite (${field}=${v})`);
  }
}

function fail(row: number, rule: CandleRule, detail: string): never {
  throw new CandleError(row, rule, detail);
}

function iso(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? "invalid date" : d.toISOString();
}

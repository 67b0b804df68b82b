/** Binance kline intervals and their lengths. */

/** Every interval Binance spot accepts, case-sensitive as Binance spells them. */
export const INTERVALS = [
  "1s",
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
  "1M",
] as const;

/** A Binance interval name such as `"1h"`. */
export type Interval = typeof INTERVALS[number];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Nominal length of each interval in ms. `1M` is variable (calendar month); its entry is 31 days
 * and alignment for it is checked against calendar months by {@link isAligned}.
 */
export const INTERVAL_MS: Readonly<Record<Interval, number>> = {
  "1s": SECOND,
  "1m": MINUTE,
  "3m": 3 * MINUTE,
  "5m": 5 * MINUTE,
  "15m": 15 * MINUTE,
  "30m": 30 * MINUTE,
  "1h": HOUR,
  "2h": 2 * HOUR,
  "4h": 4 * HOUR,
  "6h": 6 * HOUR,
  "8h": 8 * HOUR,
  "12h": 12 * HOUR,
  "1d": DAY,
  "3d": 3 * DAY,
  "1w": 7 * DAY,
  "1M": 31 * DAY,
};

/** True when `s` is a Binance interval name. */
export function isInterval(s: string): s is Interval {
  return (INTERVALS as readonly string[]).includes(s);
}

/** Monday 1970-01-05T00:00Z: Binance weekly candles open on Mondays. */
const FIRST_MONDAY_MS = 4 * DAY;

/** True when `openTime` is a valid candle open time for `interval` (UTC alignment as Binance uses). */
export function isAligned(openTime: number, interval: Interval): boolean {
  if (interval === "1M") {
    const d = new Date(openTime);
    return d.getUTCDate() === 1 && openTime % DAY === 0;
  }
  if (interval === "1w") return (openTime - FIRST_MONDAY_MS) % INTERVAL_MS["1w"] === 0;
  if (interval === "3d") return openTime % DAY === 0; // Binance 3d candles are anchored to a fixed epoch; day alignment is the checkable rule.
  return openTime % INTERVAL_MS[interval] === 0;
}

/** Open time of the candle after the one opening at `openTime`. */
export function nextOpenTime(openTime: number, interval: Interval): number {
  if (interval === "1M") {
    const d = new Date(openTime);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return openTime + INTERVAL_MS[interval];
}

/** Finding missing candles in a run of open times. */

import { type Interval, INTERVAL_MS, nextOpenTime } from "./intervals.ts";

/** A run of missing candles between two present ones. */
export interface Gap {
  /** Open time of the last candle before the gap. */
  after: number;
  /** First missing open time. */
  from: number;
  /** Last missing open time. */
  to: number;
  /** Number of missing candles. */
  missing: number;
}

/**
 * Missing candles between consecutive open times (ascending, as validated). Calendar months (`1M`)
 * are stepped with {@link nextOpenTime}. Pairs that do not increase are skipped (ordering is
 * {@link validateCandles}'s rule). An open time off the previous candle's grid ends the gap at the
 * last grid time before it.
 *
 * @example findGaps([0, 3_600_000, 4 * 3_600_000], "1h") // [{after: 3600000, from: 7200000, to: 10800000, missing: 2}]
 */
export function findGaps(openTimes: ArrayLike<number>, interval: Interval): Gap[] {
  const gaps: Gap[] = [];
  const monthly = interval === "1M";
  const step = INTERVAL_MS[interval];
  for (let i = 1; i < openTimes.length; i++) {
    const prev = openTimes[i - 1];
    const cur = openTimes[i];
    const from = monthly ? nextOpenTime(prev, interval) : prev + step;
    if (cur <= from) continue;
    if (monthly) {
      let to = from;
      let missing = 1;
      for (let t = nextOpenTime(from, interval); t < cur; t = nextOpenTime(t, interval)) {
        to = t;
        missing++;
      }
      gaps.push({ after: prev, from, to, missing });
    } else {
      const missing = Math.ceil((cur - from) / step);
      gaps.push({ after: prev, from, to: from + (missing - 1) * step, missing });
    }
  }
  return gaps;
}

/** Total number of missing candles in `gaps`. */
export function countMissing(gaps: readonly Gap[]): number {
  let n = 0;
  for (const g of gaps) n += g.missing;
  return n;
}

/** Guessing a series' interval from the spacing of its open times. */

import { type Interval, INTERVAL_MS, INTERVALS, isAligned } from "./intervals.ts";

const DAY = 86_400_000;

/**
 * The Binance interval matching the most common spacing of consecutive open times, or null when
 * there are fewer than two times or the spacing is no Binance interval. Spacings of 28–31 days
 * between month starts mean `1M`. Ties go to the shorter spacing.
 */
export function inferInterval(openTimes: ArrayLike<number>): Interval | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < openTimes.length; i++) {
    const d = openTimes[i] - openTimes[i - 1];
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [d, n] of counts) {
    if (n > bestCount || (n === bestCount && d < best)) {
      best = d;
      bestCount = n;
    }
  }
  if (bestCount === 0) return null;
  if (best >= 28 * DAY && best <= 31 * DAY && isAligned(openTimes[0], "1M")) return "1M";
  for (const interval of INTERVALS) {
    if (interval !== "1M" && INTERVAL_MS[interval] === best) return interval;
  }
  return null;
}

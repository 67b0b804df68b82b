/** Bar length of a series in ms: from its interval when known, else the most common open-time step. */

import type { CandleSeries } from "../candles/types.ts";
import { INTERVAL_MS } from "../candles/intervals.ts";

/** Nominal bar length of `series` in ms (`1M` counts as 30.4375 days); 0 for fewer than two bars. */
export function barLengthMs(series: CandleSeries): number {
  if (series.interval) {
    return series.interval === "1M" ? 30.4375 * 86_400_000 : INTERVAL_MS[series.interval];
  }
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  const n = Math.min(series.length, 1000);
  for (let i = 1; i < n; i++) {
    const d = series.openTime[i] - series.openTime[i - 1];
    const c = (counts.get(d) ?? 0) + 1;
    counts.set(d, c);
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

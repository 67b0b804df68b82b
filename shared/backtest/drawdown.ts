/** Maximum drawdown of an equity curve, with the dates of its peak, trough and recovery. */

/** The deepest peak-to-trough fall of an equity curve. */
export interface Drawdown {
  /** Depth in percent of the peak (0 when equity never fell). */
  maxDrawdownPct: number;
  /** Time of the peak before the deepest fall (null when there was no fall). */
  peakTime: number | null;
  /** Time of the lowest point of that fall. */
  troughTime: number | null;
  /** First time equity regained the peak after the trough; null if it never did. */
  recoveryTime: number | null;
}

/**
 * Computes the maximum drawdown of `equity` (one value per bar, `times[i]` its time), starting from
 * `initialEquity` at `startTime` (the first peak candidate).
 */
export function maxDrawdown(
  equity: ArrayLike<number>,
  times: ArrayLike<number>,
  initialEquity: number,
  startTime: number,
): Drawdown {
  let peak = initialEquity;
  let peakTime = startTime;
  let best = 0;
  let bestPeak = 0;
  let bestPeakTime = startTime;
  let bestTrough = -1;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i];
    if (e > peak) {
      peak = e;
      peakTime = times[i];
      continue;
    }
    const dd = peak > 0 ? (peak - e) / peak : 0;
    if (dd > best) {
      best = dd;
      bestPeak = peak;
      bestPeakTime = peakTime;
      bestTrough = i;
    }
  }
  if (bestTrough < 0) {
    return { maxDrawdownPct: 0, peakTime: null, troughTime: null, recoveryTime: null };
  }
  let recoveryTime: number | null = null;
  for (let i = bestTrough + 1; i < equity.length; i++) {
    if (equity[i] >= bestPeak) {
      recoveryTime = times[i];
      break;
    }
  }
  return {
    maxDrawdownPct: best * 100,
    peakTime: bestPeakTime,
    troughTime: times[bestTrough],
    recoveryTime,
  };
}

/** Wilder smoothing, the recursive average RSI and ATR use. */

/** One step of Wilder smoothing exactly as TA-Lib computes it: `(avg·(n − 1) + x) / n`. */
export function wilderStep(avg: number, x: number, n: number): number {
  return (avg * (n - 1) + x) / n;
}

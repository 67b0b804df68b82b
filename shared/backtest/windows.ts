/** Out-of-sample windows: a train/test split and rolling walk-forward folds over a series. */

import type { CandleSeries } from "../candles/types.ts";
import type { BarWindow } from "./simulate.ts";

/** Where to split: a fraction of the bars in (0, 1) or a time (ms, first test bar opens at or after it). */
export type SplitSpec = { ratio: number } | { time: number };

/** A train window followed by the test window it is judged on. */
export interface Fold {
  train: BarWindow;
  test: BarWindow;
}

/** Error for a split or fold layout that leaves a part empty. */
export class WindowError extends Error {
  override name = "WindowError";
}

/** Splits `series` into a train part (before the cut) and an untouched test part (from the cut). */
export function splitWindows(series: CandleSeries, spec: SplitSpec): Fold {
  const n = series.length;
  let cut: number;
  if ("ratio" in spec) {
    if (!(spec.ratio > 0 && spec.ratio < 1)) {
      throw new WindowError(`split ratio must be between 0 and 1, got ${spec.ratio}`);
    }
    cut = Math.floor(n * spec.ratio);
  } else {
    cut = 0;
    while (cut < n && series.openTime[cut] < spec.time) cut++;
  }
  if (cut < 2 || n - cut < 2) {
    throw new WindowError(
      `split leaves fewer than 2 bars on one side (${cut} train, ${n - cut} test)`,
    );
  }
  return { train: { start: 0, end: cut }, test: { start: cut, end: n } };
}

/**
 * Rolling walk-forward: the series is cut into `folds + 1` equal segments; fold i trains on segment i
 * and tests on segment i + 1 (the last test segment takes the remainder). Test windows are contiguous.
 */
export function walkForwardWindows(series: CandleSeries, folds: number): Fold[] {
  if (!Number.isInteger(folds) || folds < 1) {
    throw new WindowError(`walk-forward folds must be a positive integer, got ${folds}`);
  }
  const seg = Math.floor(series.length / (folds + 1));
  if (seg < 2) {
    throw new WindowError(`${series.length} bars are too few for ${folds} walk-forward folds`);
  }
  const out: Fold[] = [];
  for (let i = 0; i < folds; i++) {
    const testEnd = i === folds - 1 ? series.length : (i + 2) * seg;
    out.push({
      train: { start: i * seg, end: (i + 1) * seg },
      test: { start: (i + 1) * seg, end: testEnd },
    });
  }
  return out;
}

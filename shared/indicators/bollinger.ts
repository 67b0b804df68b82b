/** Bollinger Bands (TA-Lib BBANDS with SMA and population standard deviation), streaming and batch. */

import { RollingWindow, type RollingWindowState } from "./rolling_window.ts";
import { decodeNumber, stateObject } from "./state_codec.ts";

/** JSON state of a {@link Bollinger}. */
export interface BollingerState {
  k: number;
  window: RollingWindowState;
}

/** The three bands at one bar (NaN during warm-up). */
export interface BollingerValue {
  upper: number;
  middle: number;
  lower: number;
}

/**
 * Streaming Bollinger Bands: middle = SMA(period), upper/lower = middle ± k·σ with σ the population
 * standard deviation of the same `period` values. NaN for the first `period − 1` values.
 * Unlike TA-Lib, σ is not forced to 0 when the variance is below 1e-8 (that would flatten the bands
 * of low-priced assets); otherwise the numbers agree with TA-Lib to ~1e-12 relative.
 */
export class Bollinger {
  /** Number of values in the window. */
  readonly period: number;
  /** Band width in standard deviations. */
  readonly k: number;
  private window: RollingWindow;
  private readonly out: BollingerValue = { upper: NaN, middle: NaN, lower: NaN };

  /** Creates Bollinger Bands of `period` values and `k` standard deviations (20, 2 by convention). */
  constructor(period = 20, k = 2) {
    if (!Number.isFinite(k) || k < 0) {
      throw new Error(`Bollinger k must be a finite number ≥ 0, got ${k}`);
    }
    this.window = new RollingWindow(period);
    this.period = period;
    this.k = k;
  }

  /** True once the bands have values. */
  get ready(): boolean {
    return this.window.full;
  }

  /**
   * Adds a value and returns the current bands. The returned object is reused by every call
   * (copy its fields if you keep them).
   */
  update(x: number): Readonly<BollingerValue> {
    const w = this.window;
    w.pushMoments(x);
    const mid = w.lastMean;
    const width = Math.sqrt(w.lastVariance) * this.k;
    const out = this.out;
    out.middle = mid;
    out.upper = mid + width;
    out.lower = mid - width;
    return out;
  }

  /** Compact JSON state (the last `period` values and k). */
  toState(): BollingerState {
    return { k: this.k, window: this.window.toState() };
  }

  /** Restores Bollinger Bands saved with {@link toState}. */
  static fromState(state: unknown): Bollinger {
    const s = stateObject(state, "Bollinger");
    const window = RollingWindow.fromState(s.window);
    const b = new Bollinger(window.period, decodeNumber(s.k, "Bollinger k"));
    b.window = window;
    b.fill();
    return b;
  }

  /** Sets the bands from the window (NaN while it is not full). */
  private fill(): void {
    const w = this.window;
    w.moments();
    const mid = w.lastMean;
    const width = Math.sqrt(w.lastVariance) * this.k;
    const out = this.out;
    out.middle = mid;
    out.upper = mid + width;
    out.lower = mid - width;
  }
}

/** Batch Bollinger outputs, one array per band. */
export interface BollingerSeries {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
}

/** Batch Bollinger Bands: the same numbers as feeding {@link Bollinger} one value at a time. */
export function bollinger(values: Float64Array, period = 20, k = 2): BollingerSeries {
  const b = new Bollinger(period, k);
  const n = values.length;
  const res: BollingerSeries = {
    upper: new Float64Array(n),
    middle: new Float64Array(n),
    lower: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const v = b.update(values[i]);
    res.upper[i] = v.upper;
    res.middle[i] = v.middle;
    res.lower[i] = v.lower;
  }
  return res;
}

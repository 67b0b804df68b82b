/** Simple moving average (TA-Lib SMA), streaming and batch. */

import { RollingWindow, type RollingWindowState } from "./rolling_window.ts";

/** JSON state of an {@link Sma}. */
export type SmaState = RollingWindowState;

/**
 * Streaming simple moving average of the last `period` values: NaN for the first `period - 1` values
 * (TA-Lib lookback `period - 1`). Drift-free: see {@link RollingWindow}.
 */
export class Sma {
  /** Number of values averaged. */
  readonly period: number;
  private window: RollingWindow;

  /** Creates an SMA of `period` values. */
  constructor(period: number) {
    this.window = new RollingWindow(period);
    this.period = period;
  }

  /** Adds a value and returns the current average (NaN during warm-up). */
  update(x: number): number {
    this.window.push(x);
    return this.window.mean();
  }

  /** Compact JSON state (the last `period` values). */
  toState(): SmaState {
    return this.window.toState();
  }

  /** Restores an SMA saved with {@link toState}. */
  static fromState(state: unknown): Sma {
    const window = RollingWindow.fromState(state);
    const sma = new Sma(window.period);
    sma.window = window;
    return sma;
  }
}

/** Batch SMA over `values`: the same numbers as feeding {@link Sma} one value at a time. */
export function sma(values: Float64Array, period: number): Float64Array {
  const s = new Sma(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = s.update(values[i]);
  return out;
}

/** Exponential moving average (TA-Lib EMA), streaming and batch. */

import {
  checkPeriod,
  decodeNumber,
  encodeNumber,
  stateCount,
  type StateNumber,
  stateObject,
} from "./state_codec.ts";

/** JSON state of an {@link Ema}. */
export interface EmaState {
  period: number;
  /** Values seen, capped at `period`. */
  count: number;
  /** Running sum of the seed values. */
  sum: StateNumber;
  value: StateNumber;
}

/**
 * Streaming EMA with TA-Lib's seeding: the first value (bar `period - 1`) is the simple average of the
 * first `period` values, then `ema += (x - ema) * k` with `k = 2 / (period + 1)`.
 */
export class Ema {
  /** EMA period. */
  readonly period: number;
  /** Smoothing factor 2 / (period + 1). */
  readonly k: number;
  private count = 0;
  private sum = 0;
  private value = NaN;

  /** Creates an EMA of `period` values. */
  constructor(period: number) {
    this.period = checkPeriod(period, "EMA period");
    this.k = 2 / (period + 1);
  }

  /** True once the EMA has a value. */
  get ready(): boolean {
    return this.count === this.period;
  }

  /** Current value (NaN during warm-up). */
  get current(): number {
    return this.value;
  }

  /** Adds a value and returns the current EMA (NaN during warm-up). */
  update(x: number): number {
    if (this.count === this.period) return this.value = emaStep(this.value, x, this.k);
    return this.seed(x);
  }

  /** Warm-up step, kept out of {@link update} so the hot path stays small enough to inline. */
  private seed(x: number): number {
    this.sum += x;
    if (++this.count === this.period) this.value = this.sum / this.period;
    return this.value;
  }

  /** Compact JSON state. */
  toState(): EmaState {
    return {
      period: this.period,
      count: this.count,
      sum: encodeNumber(this.sum),
      value: encodeNumber(this.value),
    };
  }

  /** Restores an EMA saved with {@link toState}. */
  static fromState(state: unknown): Ema {
    const s = stateObject(state, "EMA");
    const e = new Ema(stateCount(s.period, "EMA period"));
    e.count = Math.min(stateCount(s.count, "EMA count"), e.period);
    e.sum = decodeNumber(s.sum, "EMA sum");
    e.value = decodeNumber(s.value, "EMA value");
    return e;
  }
}

/** One EMA step exactly as TA-Lib computes it: `prev + (x − prev)·k`, evaluated as `(x − prev)·k + prev`. */
export function emaStep(prev: number, x: number, k: number): number {
  return (x - prev) * k + prev;
}

/** Batch EMA over `values`: the same numbers as feeding {@link Ema} one value at a time. */
export function ema(values: Float64Array, period: number): Float64Array {
  const e = new Ema(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = e.update(values[i]);
  return out;
}

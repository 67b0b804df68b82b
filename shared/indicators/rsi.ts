/** Relative Strength Index (TA-Lib RSI, Wilder smoothing), streaming and batch. */

import {
  checkPeriod,
  decodeNumber,
  encodeNumber,
  stateCount,
  type StateNumber,
  stateObject,
} from "./state_codec.ts";
import { wilderStep } from "./wilder.ts";

/** JSON state of an {@link Rsi}. */
export interface RsiState {
  period: number;
  /** Values seen, capped at `period + 1`. */
  count: number;
  prev: StateNumber;
  gain: StateNumber;
  loss: StateNumber;
}

/**
 * Streaming RSI as TA-Lib computes it: average gain and loss seeded with the simple mean of the
 * first `period` changes, then Wilder-smoothed (`avg = (avg·(period−1) + x) / period`);
 * RSI = 100·gain / (gain + loss), and 0 when nothing moved. First value at bar `period`.
 */
export class Rsi {
  /** RSI period. */
  readonly period: number;
  private count = 0;
  private prev = NaN;
  private gain = 0;
  private loss = 0;

  /** Creates an RSI of `period` (14 by convention). */
  constructor(period = 14) {
    this.period = checkPeriod(period, "RSI period", 2);
  }

  /** True once the RSI has a value. */
  get ready(): boolean {
    return this.count > this.period;
  }

  /** Adds a close and returns the current RSI (NaN during warm-up). */
  update(x: number): number {
    const d = x - this.prev;
    this.prev = x;
    const n = this.period;
    if (this.count > n) {
      // TA-Lib adds the move to one average only; adding +0 to the other is the same arithmetic.
      // (|d| + d)·½ and (|d| − d)·½ are exactly max(d, 0) and max(−d, 0) for finite d (doubling and
      // halving are exact), without a data-dependent branch the CPU mispredicts on half the bars.
      const ad = Math.abs(d);
      const gain = this.gain = wilderStep(this.gain, (ad + d) * 0.5, n);
      const loss = this.loss = wilderStep(this.loss, (ad - d) * 0.5, n);
      return rsiFromAverages(gain, loss);
    }
    return this.seed(d);
  }

  /** Warm-up step, kept out of {@link update} so the hot path stays small enough to inline. */
  private seed(d: number): number {
    const n = this.period;
    if (this.count++ === 0) return NaN;
    if (d < 0) this.loss -= d;
    else this.gain += d;
    if (this.count <= n) return NaN;
    this.loss /= n;
    this.gain /= n;
    return rsiFromAverages(this.gain, this.loss);
  }

  /** Compact JSON state. */
  toState(): RsiState {
    return {
      period: this.period,
      count: this.count,
      prev: encodeNumber(this.prev),
      gain: encodeNumber(this.gain),
      loss: encodeNumber(this.loss),
    };
  }

  /** Restores an RSI saved with {@link toState}. */
  static fromState(state: unknown): Rsi {
    const s = stateObject(state, "RSI");
    const r = new Rsi(stateCount(s.period, "RSI period"));
    r.count = Math.min(stateCount(s.count, "RSI count"), r.period + 1);
    r.prev = decodeNumber(s.prev, "RSI prev");
    r.gain = decodeNumber(s.gain, "RSI gain");
    r.loss = decodeNumber(s.loss, "RSI loss");
    return r;
  }
}

/** RSI from Wilder's average gain and loss: 100·gain / (gain + loss), 0 when both are 0 (TA-Lib). */
export function rsiFromAverages(gain: number, loss: number): number {
  const t = gain + loss;
  return t !== 0 ? 100 * (gain / t) : 0;
}

/** Batch RSI over closes: the same numbers as feeding {@link Rsi} one close at a time. */
export function rsi(values: Float64Array, period = 14): Float64Array {
  const r = new Rsi(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = r.update(values[i]);
  return out;
}

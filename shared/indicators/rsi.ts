/** Relative Strength Index (TA-Lib RSI, Wilder smoothing), streaming and batch. */

import {
  checkPeriod,
  decodeNumber,
  encodeNumber,
  stateCount,
  type StateNumber,
  stateObject,
} from "./state_codec.ts";

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
  private value = NaN;

  /** Creates an RSI of `period` (14 by convention). */
  constructor(period = 14) {
    this.period = checkPeriod(period, "RSI period", 2);
  }

  /** Adds a close and returns the current RSI (NaN during warm-up). */
  update(x: number): number {
    const d = x - this.prev;
    this.prev = x;
    const n = this.period;
    if (this.count > n) {
      let loss = this.loss * (n - 1);
      let gain = this.gain * (n - 1);
      if (d < 0) loss -= d;
      else gain += d;
      this.loss = loss / n;
      this.gain = gain / n;
      return this.value = rsiOf(this.gain, this.loss);
    }
    if (this.count++ === 0) return NaN;
    if (d < 0) this.loss -= d;
    else this.gain += d;
    if (this.count > n) {
      this.loss /= n;
      this.gain /= n;
      this.value = rsiOf(this.gain, this.loss);
    }
    return this.value;
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
    if (r.count > r.period) r.value = rsiOf(r.gain, r.loss);
    return r;
  }
}

function rsiOf(gain: number, loss: number): number {
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

/** Average True Range (TA-Lib ATR, Wilder smoothing), streaming and batch. */

import {
  checkPeriod,
  decodeNumber,
  encodeNumber,
  stateCount,
  type StateNumber,
  stateObject,
} from "./state_codec.ts";
import { wilderStep } from "./wilder.ts";

/** JSON state of an {@link Atr}. */
export interface AtrState {
  period: number;
  /** Bars seen, capped at `period + 1`. */
  count: number;
  prevClose: StateNumber;
  /** Sum of the seed true ranges. */
  sum: StateNumber;
  value: StateNumber;
}

/** True range of a bar: max(high − low, |high − prevClose|, |low − prevClose|). */
export function trueRange(high: number, low: number, prevClose: number): number {
  let tr = high - low;
  const up = Math.abs(prevClose - high);
  if (up > tr) tr = up;
  const down = Math.abs(prevClose - low);
  if (down > tr) tr = down;
  return tr;
}

/**
 * Streaming ATR as TA-Lib computes it: true ranges start at the second bar (they need a previous
 * close); the first ATR (bar `period`) is the mean of the first `period` true ranges, then Wilder:
 * `atr = (atr·(period−1) + tr) / period`.
 */
export class Atr {
  /** ATR period. */
  readonly period: number;
  private count = 0;
  private prevClose = NaN;
  private sum = 0;
  private value = NaN;

  /** Creates an ATR of `period` (14 by convention). */
  constructor(period = 14) {
    this.period = checkPeriod(period, "ATR period", 2);
  }

  /** True once the ATR has a value. */
  get ready(): boolean {
    return this.count > this.period;
  }

  /** Adds a bar and returns the current ATR (NaN during warm-up). */
  update(high: number, low: number, close: number): number {
    const tr = trueRange(high, low, this.prevClose);
    this.prevClose = close;
    const n = this.period;
    if (this.count > n) return this.value = wilderStep(this.value, tr, n);
    return this.seed(tr);
  }

  /** Warm-up step, kept out of {@link update} so the hot path stays small enough to inline. */
  private seed(tr: number): number {
    const n = this.period;
    if (this.count++ === 0) return NaN;
    this.sum += tr;
    if (this.count > n) this.value = this.sum / n;
    return this.value;
  }

  /** Compact JSON state. */
  toState(): AtrState {
    return {
      period: this.period,
      count: this.count,
      prevClose: encodeNumber(this.prevClose),
      sum: encodeNumber(this.sum),
      value: encodeNumber(this.value),
    };
  }

  /** Restores an ATR saved with {@link toState}. */
  static fromState(state: unknown): Atr {
    const s = stateObject(state, "ATR");
    const a = new Atr(stateCount(s.period, "ATR period"));
    a.count = Math.min(stateCount(s.count, "ATR count"), a.period + 1);
    a.prevClose = decodeNumber(s.prevClose, "ATR prevClose");
    a.sum = decodeNumber(s.sum, "ATR sum");
    a.value = decodeNumber(s.value, "ATR value");
    return a;
  }
}

/** Batch ATR: the same numbers as feeding {@link Atr} one bar at a time. */
export function atr(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period = 14,
): Float64Array {
  const n = close.length;
  if (high.length !== n || low.length !== n) {
    throw new Error("atr: high, low and close must have the same length");
  }
  const a = new Atr(period);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a.update(high[i], low[i], close[i]);
  return out;
}

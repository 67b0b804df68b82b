/**
 * Rolling mean and population variance over the last `period` values, O(1) per value and without drift.
 *
 * The series is cut into blocks of `period` bars by bar index. The window ending at a bar is a suffix
 * of the previous block plus a prefix of the current block: suffix sums of the previous block are
 * computed once when it completes (amortised O(1)), and the current block keeps running prefix sums.
 * Values are shifted by a reference taken from inside the window (the previous block's last value,
 * the current block's first value), so squares stay small and the variance does not cancel badly.
 * Every result is therefore a fixed function of the window's values and `barIndex mod period`: it does
 * not depend on how long the window has been running, and a restored state continues bit-identically.
 */

import {
  checkPeriod,
  decodeNumbers,
  encodeNumbers,
  stateCount,
  type StateNumber,
  stateObject,
} from "./state_codec.ts";

/** JSON state of a {@link RollingWindow}: the period, values seen, and the last `period` values (oldest first). */
export interface RollingWindowState {
  period: number;
  count: number;
  window: StateNumber[];
}

/** Rolling window of the last `period` values with drift-free mean and population variance. */
export class RollingWindow {
  /** Window length in values. */
  readonly period: number;
  private count = 0;
  /** Values in the current block so far (0..period-1). */
  private pos = 0;
  private cur: Float64Array;
  private prev: Float64Array;
  private refCur = 0;
  private s1 = 0;
  private s2 = 0;
  private refPrev = 0;
  private suf1: Float64Array;
  private suf2: Float64Array;

  /** Creates an empty window of `period` values. */
  constructor(period: number) {
    this.period = checkPeriod(period, "window period");
    this.cur = new Float64Array(period);
    this.prev = new Float64Array(period);
    this.suf1 = new Float64Array(period + 1);
    this.suf2 = new Float64Array(period + 1);
  }

  /** Number of values pushed so far. */
  get length(): number {
    return this.count;
  }

  /** True once `period` values have been pushed. */
  get full(): boolean {
    return this.count >= this.period;
  }

  /** Adds the newest value (the oldest one leaves the window once it is full). */
  push(x: number): void {
    const pos = this.pos;
    if (pos === 0) {
      this.refCur = x;
      this.s1 = 0;
      this.s2 = 0;
    }
    const y = x - this.refCur;
    this.s1 += y;
    this.s2 += y * y;
    this.cur[pos] = x;
    this.count++;
    if (pos + 1 === this.period) this.closeBlock();
    else this.pos = pos + 1;
  }

  /** Mean of the window; NaN until `period` values have been pushed. */
  mean(): number {
    if (this.count < this.period) return NaN;
    const p = this.pos;
    const n = this.period;
    return ((n - p) * this.refPrev + this.suf1[p] + (p * this.refCur + this.s1)) / n;
  }

  /** Population variance of the window around `mean` (pass {@link mean}'s result); NaN in warm-up. */
  variance(mean: number): number {
    if (this.count < this.period) return NaN;
    const p = this.pos;
    const n = this.period;
    const dA = mean - this.refPrev;
    const dB = mean - this.refCur;
    const ssA = this.suf2[p] - dA * (2 * this.suf1[p] - (n - p) * dA);
    const ssB = this.s2 - dB * (2 * this.s1 - p * dB);
    const v = (ssA + ssB) / n;
    return v > 0 ? v : 0;
  }

  /** Mean computed by the last {@link moments} call. */
  lastMean = NaN;
  /** Population variance computed by the last {@link moments} call. */
  lastVariance = NaN;

  /**
   * Computes {@link mean} and {@link variance} together into `lastMean` / `lastVariance` (same
   * numbers as the two separate calls, fewer loads: the Bollinger hot path).
   */
  moments(): void {
    const n = this.period;
    if (this.count < n) {
      this.lastMean = NaN;
      this.lastVariance = NaN;
      return;
    }
    const p = this.pos;
    const a = n - p;
    const refPrev = this.refPrev;
    const refCur = this.refCur;
    const s1 = this.s1;
    const u1 = this.suf1[p];
    const mean = (a * refPrev + u1 + (p * refCur + s1)) / n;
    const dA = mean - refPrev;
    const dB = mean - refCur;
    const v = (this.suf2[p] - dA * (2 * u1 - a * dA) + (this.s2 - dB * (2 * s1 - p * dB))) / n;
    this.lastMean = mean;
    this.lastVariance = v > 0 ? v : 0;
  }

  /** Compact JSON state: the last `period` values, oldest first, and the count. */
  toState(): RollingWindowState {
    return { period: this.period, count: this.count, window: encodeNumbers(this.values()) };
  }

  /** Restores a window from {@link toState}'s output; continues bit-identically. */
  static fromState(state: unknown): RollingWindow {
    const s = stateObject(state, "rolling window");
    const w = new RollingWindow(stateCount(s.period, "rolling window period"));
    const count = stateCount(s.count, "rolling window count");
    const values = decodeNumbers(s.window, "rolling window values");
    if (values.length !== Math.min(count, w.period)) {
      throw new Error("invalid indicator state: rolling window length does not match its count");
    }
    w.restore(count, values);
    return w;
  }

  /** The values currently in the window, oldest first (fewer than `period` during warm-up). */
  values(): number[] {
    const out: number[] = [];
    if (this.count >= this.period) {
      for (let j = this.pos; j < this.period; j++) out.push(this.prev[j]);
    }
    for (let j = 0; j < this.pos; j++) out.push(this.cur[j]);
    return out;
  }

  /** Finishes a block: it becomes the previous block and its suffix sums are computed. */
  private closeBlock(): void {
    const done = this.cur;
    this.cur = this.prev;
    this.prev = done;
    this.computeSuffix(0);
    this.pos = 0;
    this.refCur = 0;
    this.s1 = 0;
    this.s2 = 0;
  }

  /** Suffix sums of the previous block from index `from` on, shifted by its last value. */
  private computeSuffix(from: number): void {
    const n = this.period;
    const prev = this.prev;
    const ref = prev[n - 1];
    this.refPrev = ref;
    let a = 0;
    let b = 0;
    this.suf1[n] = 0;
    this.suf2[n] = 0;
    for (let j = n - 1; j >= from; j--) {
      const y = prev[j] - ref;
      a += y;
      b += y * y;
      this.suf1[j] = a;
      this.suf2[j] = b;
    }
  }

  /** Rebuilds the internal sums from the window values with the same arithmetic as {@link push}. */
  private restore(count: number, values: number[]): void {
    const n = this.period;
    const p = count % n;
    this.count = count;
    let k = 0;
    if (count >= n) {
      for (let j = p; j < n; j++) this.prev[j] = values[k++];
      this.computeSuffix(p);
    }
    this.pos = 0;
    this.refCur = 0;
    this.s1 = 0;
    this.s2 = 0;
    for (let j = 0; j < p; j++) {
      const x = values[k++];
      if (j === 0) this.refCur = x;
      const y = x - this.refCur;
      this.s1 += y;
      this.s2 += y * y;
      this.cur[j] = x;
    }
    this.pos = p;
  }
}

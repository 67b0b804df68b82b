/**
 * Rolling mean and population variance over the last `period` values, O(1) per value and without drift.
 *
 * The series is cut into blocks of `period` bars by bar index. The window ending at a bar is a suffix
 * of the previous block plus a prefix of the current block: suffix sums of the previous block are
 * computed once when it completes (amortised O(1)), and the current block keeps running prefix sums.
 * Every value is shifted by one reference taken from inside the window (the previous block's last
 * value), so squares stay small and the variance does not cancel badly; the mean is the reference plus
 * the mean shift. Every result is therefore a fixed function of the window's values and
 * `barIndex mod period`: it does not depend on how long the window has been running, and a restored
 * state continues bit-identically.
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
  /** 1 / period. */
  private readonly invN: number;
  /**
   * NaN until the window is full, then 1 / period: {@link pushMoments} and {@link moments} scale by it,
   * so their results are NaN during warm-up without a branch.
   */
  private scale = NaN;
  private count = 0;
  /** Values in the current block so far (0..period-1). */
  private pos = 0;
  private cur: Float64Array;
  private prev: Float64Array;
  /** The previous block's last value (0 during the first block, whose sums are never read). */
  private ref = 0;
  /** Σy and Σy² of the current block so far, y = value − ref. */
  private s1 = 0;
  private s2 = 0;
  /** Suffix sums of the previous block, interleaved: `suf[2j]` = Σy, `suf[2j + 1]` = Σy² from index j on. */
  private suf: Float64Array;

  /** Creates an empty window of `period` values. */
  constructor(period: number) {
    this.period = checkPeriod(period, "window period");
    this.invN = 1 / period;
    this.cur = new Float64Array(period);
    this.prev = new Float64Array(period);
    this.suf = new Float64Array(2 * period + 2);
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
    const p = this.pos + 1;
    const y = x - this.ref;
    this.cur[p - 1] = x;
    this.count++;
    if (p === this.period) this.closeBlock();
    else {
      this.pos = p;
      this.s1 += y;
      this.s2 += y * y;
    }
  }

  /** Mean of the window; NaN until `period` values have been pushed. */
  mean(): number {
    if (this.count < this.period) return NaN;
    return this.ref + (this.suf[2 * this.pos] + this.s1) * this.invN;
  }

  /** Population variance of the window around `mean` (pass {@link mean}'s result); NaN in warm-up. */
  variance(mean: number): number {
    if (this.count < this.period) return NaN;
    const p = this.pos;
    const n = this.period;
    const d = mean - this.ref;
    const v = (this.suf[2 * p + 1] + this.s2 - d * (2 * (this.suf[2 * p] + this.s1) - n * d)) *
      this.invN;
    return v > 0 ? v : 0;
  }

  /** Mean computed by the last {@link moments} or {@link pushMoments} call. */
  lastMean = NaN;
  /** Population variance computed by the last {@link moments} or {@link pushMoments} call. */
  lastVariance = NaN;

  /**
   * Computes the mean and population variance together into `lastMean` / `lastVariance` (NaN in
   * warm-up). The mean is exactly {@link mean}'s; the variance is Σ(y − ȳ)² taken as Σy² − Σy·ȳ, equal
   * to {@link variance}(mean) up to rounding (a shorter dependency chain: the Bollinger hot path).
   */
  moments(): void {
    const p = this.pos;
    const suf = this.suf;
    const t1 = suf[2 * p] + this.s1;
    const scale = this.scale;
    const shift = t1 * scale;
    this.lastMean = this.ref + shift;
    this.lastVariance = Math.max((suf[2 * p + 1] + this.s2 - t1 * shift) * scale, 0);
  }

  /**
   * {@link push} then {@link moments} in one step (the same numbers, fewer loads and stores): the
   * Bollinger hot path.
   */
  pushMoments(x: number): void {
    const n = this.period;
    let p = this.pos + 1;
    const y = x - this.ref;
    this.cur[p - 1] = x;
    this.count++;
    let s1 = 0;
    let s2 = 0;
    if (p === n) {
      this.closeBlock();
      p = 0;
    } else {
      this.pos = p;
      this.s1 = s1 = this.s1 + y;
      this.s2 = s2 = this.s2 + y * y;
    }
    const suf = this.suf;
    const t1 = suf[2 * p] + s1;
    // Mean = ref + Σy/n; variance = (Σy² − Σy·(Σy/n)) / n: two short independent chains, multiplying by
    // 1/n instead of dividing (the latency of this step is what the Bollinger bands cost).
    const scale = this.scale;
    const shift = t1 * scale;
    this.lastMean = this.ref + shift;
    // Math.max keeps the warm-up NaN (and turns a rounding-negative variance into 0).
    this.lastVariance = Math.max((suf[2 * p + 1] + s2 - t1 * shift) * scale, 0);
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
    this.scale = this.invN;
    this.pos = 0;
    this.s1 = 0;
    this.s2 = 0;
  }

  /** Suffix sums of the previous block from index `from` on, shifted by its last value (the new `ref`). */
  private computeSuffix(from: number): void {
    const n = this.period;
    const prev = this.prev;
    const ref = prev[n - 1];
    this.ref = ref;
    const suf = this.suf;
    let a = 0;
    let b = 0;
    suf[2 * n] = 0;
    suf[2 * n + 1] = 0;
    for (let j = n - 1; j >= from; j--) {
      const y = prev[j] - ref;
      a += y;
      b += y * y;
      suf[2 * j] = a;
      suf[2 * j + 1] = b;
    }
  }

  /** Rebuilds the internal sums from the window values with the same arithmetic as {@link push}. */
  private restore(count: number, values: number[]): void {
    const n = this.period;
    const p = count % n;
    this.count = count;
    let k = 0;
    this.ref = 0;
    if (count >= n) {
      for (let j = p; j < n; j++) this.prev[j] = values[k++];
      this.computeSuffix(p);
      this.scale = this.invN;
    }
    const ref = this.ref;
    this.s1 = 0;
    this.s2 = 0;
    for (let j = 0; j < p; j++) {
      const x = values[k++];
      const y = x - ref;
      this.s1 += y;
      this.s2 += y * y;
      this.cur[j] = x;
    }
    this.pos = p;
  }
}

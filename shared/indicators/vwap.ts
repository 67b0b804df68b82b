/** Session VWAP (session = UTC day), streaming and batch. */

import { decodeNumber, encodeNumber, type StateNumber, stateObject } from "./state_codec.ts";

const DAY_MS = 86_400_000;

/** JSON state of a {@link Vwap}. */
export interface VwapState {
  /** UTC day number (openTime / 86 400 000, floored) of the current session; null before any bar. */
  day: StateNumber;
  /** Σ (high + low + close) × volume in the session (3 × typical price × volume). */
  pv3: StateNumber;
  /** Σ volume in the session. */
  volume: StateNumber;
  value: StateNumber;
}

/**
 * Streaming volume-weighted average price over a session of one UTC day: it resets on the first bar
 * whose open time falls on a new UTC day (00:00 UTC). Each bar contributes its typical price
 * (high + low + close) / 3 weighted by its volume; the value is Σ(h+l+c)·v / (3·Σv). While the
 * session's volume is still 0, the value is the latest bar's typical price. No warm-up.
 */
export class Vwap {
  private day = NaN;
  private dayStart = Infinity;
  private dayEnd = -Infinity;
  private pv3 = 0;
  private volume = 0;
  private value = NaN;

  /** True once a bar has been added. */
  get ready(): boolean {
    return this.day === this.day;
  }

  /** Adds a bar and returns the session VWAP. */
  update(openTime: number, high: number, low: number, close: number, volume: number): number {
    if (openTime >= this.dayEnd || openTime < this.dayStart) this.newSession(openTime);
    const hlc = high + low + close;
    const pv3 = this.pv3 += hlc * volume;
    const vol = this.volume += volume;
    return this.value = vol > 0 ? pv3 / (3 * vol) : hlc / 3;
  }

  /** Starts the session (UTC day) holding `openTime`. */
  private newSession(openTime: number): void {
    this.setDay(Math.floor(openTime / DAY_MS));
    this.pv3 = 0;
    this.volume = 0;
  }

  private setDay(day: number): void {
    this.day = day;
    this.dayStart = day === day ? day * DAY_MS : Infinity;
    this.dayEnd = day === day ? this.dayStart + DAY_MS : -Infinity;
  }

  /** Compact JSON state. */
  toState(): VwapState {
    return {
      day: encodeNumber(this.day),
      pv3: encodeNumber(this.pv3),
      volume: encodeNumber(this.volume),
      value: encodeNumber(this.value),
    };
  }

  /** Restores a VWAP saved with {@link toState}. */
  static fromState(state: unknown): Vwap {
    const s = stateObject(state, "VWAP");
    const v = new Vwap();
    v.setDay(decodeNumber(s.day, "VWAP day"));
    v.pv3 = decodeNumber(s.pv3, "VWAP pv3");
    v.volume = decodeNumber(s.volume, "VWAP volume");
    v.value = decodeNumber(s.value, "VWAP value");
    return v;
  }
}

/** Batch session VWAP: the same numbers as feeding {@link Vwap} one bar at a time. */
export function vwap(
  openTime: Float64Array,
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  volume: Float64Array,
): Float64Array {
  const n = openTime.length;
  if (high.length !== n || low.length !== n || close.length !== n || volume.length !== n) {
    throw new Error("vwap: openTime, high, low, close and volume must have the same length");
  }
  const v = new Vwap();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = v.update(openTime[i], high[i], low[i], close[i], volume[i]);
  return out;
}

/**
 * Streaming detector of confirmed swing highs/lows (pivots): ATR-scaled zigzag or fractal window.
 * Pure (no I/O). No look-ahead: a pivot enters the list at the bar that confirms it (`confirmedAt`).
 */

import type { Pivot } from "./types.ts";

/** Options of {@link PivotDetector}. */
export interface PivotOptions {
  /** "zigzag": ATR-scaled reversal; "fractal": highest high / lowest low of a bar window. */
  mode: "zigzag" | "fractal";
  /** Zigzag: a leg's extreme becomes a pivot once price reverses from it by this many ATRs. */
  zigzagAtr: number;
  /** Fractal: bars on each side of a swing bar (a fractal pivot is confirmed this many bars later). */
  fractalWindow: number;
  /** Most recent pivots kept (older ones are dropped from the front). */
  maxPivots: number;
}

/** Defaults: zigzag with a 2.5 × ATR reversal, fractal window 5, the last 16 pivots kept. */
export const DEFAULT_PIVOT_OPTIONS: Readonly<PivotOptions> = Object.freeze({
  mode: "zigzag",
  zigzagAtr: 2.5,
  fractalWindow: 5,
  maxPivots: 16,
});

/** Pivot as stored in {@link PivotState}: [kind (1 high, 0 low), index, confirmedAt, price, time]. */
export type PivotTuple = [number, number, number, number, number];

/** One point of a zigzag tracker in {@link PivotState}: [price, index, time], or null when unset. */
export type PointTuple = [number, number, number] | null;

/** A zigzag leg in {@link PivotState}: [dir (1 up, -1 down), then its 4 levels (extreme first)]. */
export type LegTuple = [number, ...PointTuple[]];

/** Compact JSON snapshot of a {@link PivotDetector} (bounded: maxPivots + 2k+1 bars at most). */
export interface PivotState {
  /** Format version. */
  v: 1;
  /** Detector mode the state belongs to (must match the options it is restored with). */
  mode: "zigzag" | "fractal";
  /** Confirmed pivots, oldest first. */
  pivots: PivotTuple[];
  /** Zigzag: the active leg, or the two candidate legs before the first pivot. */
  legs?: LegTuple[];
  /** Fractal: bars seen so far. */
  seen?: number;
  /** Fractal: the last ≤ 2k+1 bars, oldest first, as [index, time, high, low]. */
  bars?: [number, number, number, number][];
}

/** Throws a one-line error when an option is out of range; returns complete options. */
export function resolvePivotOptions(partial: Partial<PivotOptions> = {}): PivotOptions {
  const o: PivotOptions = { ...DEFAULT_PIVOT_OPTIONS, ...partial };
  if (o.mode !== "zigzag" && o.mode !== "fractal") {
    throw new Error(`invalid pivot option mode: expected "zigzag" or "fractal", got ${o.mode}`);
  }
  if (!(o.zigzagAtr > 0) || !Number.isFinite(o.zigzagAtr)) {
    throw new Error(`invalid pivot option zigzagAtr: expected a number > 0, got ${o.zigzagAtr}`);
  }
  if (!Number.isInteger(o.fractalWindow) || o.fractalWindow < 1) {
    throw new Error(
      `invalid pivot option fractalWindow: expected an integer >= 1, got ${o.fractalWindow}`,
    );
  }
  if (!Number.isInteger(o.maxPivots) || o.maxPivots < 2) {
    throw new Error(`invalid pivot option maxPivots: expected an integer >= 2, got ${o.maxPivots}`);
  }
  return o;
}

/** Depth of a zigzag leg's memory: E and three alternating extremes after it. */
const LEG_DEPTH = 4;

/**
 * A zigzag leg being followed, as alternating running extremes: level 0 is the leg's extreme E
 * (highest high of an up leg), level 1 the opposite extreme R since E, level 2 the extreme since R,
 * and so on. A bar only feeds the first level it improves (a level is set from bars strictly after
 * the previous level's bar, since the order of high and low inside a bar is unknown).
 */
class Leg {
  /** +1: following a rising leg (E is a high); -1: a falling leg (E is a low). */
  dir: number;
  readonly price = new Float64Array(LEG_DEPTH);
  /** Bar index per level; -1 when the level is unset. */
  readonly index = new Float64Array(LEG_DEPTH).fill(-1);
  readonly time = new Float64Array(LEG_DEPTH);

  constructor(dir: number) {
    this.dir = dir;
  }

  /** Whether level j tracks a maximum (a high) rather than a minimum. */
  isMax(j: number): boolean {
    return (j % 2 === 0) === (this.dir > 0);
  }

  /** Feeds one bar; returns the level it set (deeper levels are cleared) or -1 if none. */
  step(index: number, time: number, high: number, low: number): number {
    for (let j = 0; j < LEG_DEPTH; j++) {
      const max = this.isMax(j);
      const v = max ? high : low;
      if (this.index[j] < 0 || (max ? v > this.price[j] : v < this.price[j])) {
        this.set(j, v, index, time);
        for (let m = j + 1; m < LEG_DEPTH; m++) this.index[m] = -1;
        return j;
      }
    }
    return -1;
  }

  /** Size of the reversal from E (0 when there is none yet). */
  reversal(): number {
    if (this.index[1] < 0) return 0;
    return this.dir > 0 ? this.price[0] - this.price[1] : this.price[1] - this.price[0];
  }

  /** Turns this leg into the opposite one that starts at R (every level moves up by one). */
  flip(): void {
    this.dir = -this.dir;
    for (let j = 0; j + 1 < LEG_DEPTH; j++) {
      this.set(j, this.price[j + 1], this.index[j + 1], this.time[j + 1]);
    }
    this.index[LEG_DEPTH - 1] = -1;
  }

  /** After a flip: puts a bar that set no level before the flip into the (new) deepest level. */
  feedDeepest(index: number, time: number, high: number, low: number): void {
    const j = LEG_DEPTH - 1;
    if (this.index[j - 1] < 0 || this.index[j - 1] >= index) return;
    this.set(j, this.isMax(j) ? high : low, index, time);
  }

  set(j: number, price: number, index: number, time: number): void {
    this.price[j] = price;
    this.index[j] = index;
    this.time[j] = time;
  }

  toTuple(): LegTuple {
    const t: LegTuple = [this.dir];
    for (let j = 0; j < LEG_DEPTH; j++) {
      t.push(this.index[j] < 0 ? null : [this.price[j], this.index[j], this.time[j]]);
    }
    return t;
  }

  static fromTuple(t: LegTuple): Leg {
    if (!Array.isArray(t) || t.length !== LEG_DEPTH + 1 || (t[0] !== 1 && t[0] !== -1)) {
      throw new Error("invalid pivot state: malformed zigzag leg");
    }
    const leg = new Leg(t[0]);
    for (let j = 0; j < LEG_DEPTH; j++) {
      const p = t[j + 1];
      if (p === null) continue;
      if (!Array.isArray(p) || p.length !== 3 || p.some((x) => typeof x !== "number")) {
        throw new Error("invalid pivot state: malformed zigzag point");
      }
      leg.set(j, p[0], p[1], p[2]);
    }
    return leg;
  }
}

/**
 * Streaming pivot detector. Call {@link PivotDetector.update} once per closed bar, in order.
 *
 * Zigzag: follows the current leg's extreme; when price has come back from it by ≥ zigzagAtr × ATR
 * (ATR of the current bar; bars with a non-finite ATR are ignored), the extreme becomes a pivot
 * confirmed at the current bar and the detector follows the opposite leg from the most extreme
 * price reached since. The extreme is also confirmed when price comes back beyond the previous
 * pivot (possible when ATR grew): that move is larger than the reversal which confirmed that pivot. A bar that makes a new extreme does not also count as the reversal (the
 * order of high and low inside a bar is unknown). Before the first pivot, an up and a down leg are
 * followed side by side; the first to reverse wins (the one with the earlier extreme on a tie).
 * A leg remembers its extreme E, the opposite extreme R since E, the extreme since R and one more
 * level; on a reversal the new leg starts from R with the levels moved up. Only when reversals
 * come in quick succession with a shrinking ATR can the deepest level miss some bars (rare).
 *
 * Fractal: bar i is a swing high when its high is strictly above the highs of the k bars before it
 * and ≥ the highs of the k bars after it (so in a run of equal highs the first one is the swing),
 * mirrored for lows; it is confirmed at bar i + k. A bar that is both a swing high and a swing low
 * yields only the kind that alternates with the last pivot (a high when there is none). Two
 * same-kind pivots in a row: at the second one's confirmation bar the more extreme of the two is
 * kept (the earlier one on a tie): the new one replaces the last pivot, or is dropped.
 *
 * Bars with a non-finite high/low or high < low are ignored (as if they did not exist).
 *
 * Per-bar work is O(1) (O(k) for fractal) and allocation-free unless the pivot list changes; each
 * change publishes a new array, so a list returned by {@link PivotDetector.pivots} never mutates.
 */
export class PivotDetector {
  /** The complete, validated options in use. */
  readonly opts: PivotOptions;
  #list: readonly Pivot[] = [];
  // zigzag
  #leg: Leg | null = null;
  #up: Leg | null = null;
  #down: Leg | null = null;
  // fractal ring buffer of the last 2k+1 bars
  #seen = 0;
  #rIndex: Float64Array;
  #rTime: Float64Array;
  #rHigh: Float64Array;
  #rLow: Float64Array;

  /** Creates a detector; missing options take {@link DEFAULT_PIVOT_OPTIONS}. */
  constructor(opts: Partial<PivotOptions> = {}) {
    this.opts = resolvePivotOptions(opts);
    const n = this.opts.mode === "fractal" ? 2 * this.opts.fractalWindow + 1 : 0;
    this.#rIndex = new Float64Array(n);
    this.#rTime = new Float64Array(n);
    this.#rHigh = new Float64Array(n);
    this.#rLow = new Float64Array(n);
    if (this.opts.mode === "zigzag") {
      this.#up = new Leg(1);
      this.#down = new Leg(-1);
    }
  }

  /** Confirmed pivots, oldest first (at most maxPivots). The array is never mutated afterwards. */
  get pivots(): readonly Pivot[] {
    return this.#list;
  }

  /** Feeds one closed bar; returns true when the pivot list changed at this bar. */
  update(index: number, time: number, high: number, low: number, atr: number): boolean {
    if (!(high >= low) || !Number.isFinite(high) || !Number.isFinite(low)) return false;
    return this.opts.mode === "zigzag"
      ? this.#zigzag(index, time, high, low, atr)
      : this.#fractal(index, time, high, low);
  }

  #zigzag(index: number, time: number, high: number, low: number, atr: number): boolean {
    if (!(atr > 0) || !Number.isFinite(atr)) return false;
    const th = this.opts.zigzagAtr * atr;
    let leg = this.#leg;
    let level: number;
    if (leg === null) {
      const up = this.#up!, down = this.#down!;
      const upLevel = up.step(index, time, high, low);
      const downLevel = down.step(index, time, high, low);
      const upHit = up.reversal() >= th, downHit = down.reversal() >= th;
      if (!upHit && !downHit) return false;
      const useUp = upHit && (!downHit || up.index[0] <= down.index[0]);
      leg = useUp ? up : down;
      level = useUp ? upLevel : downLevel;
      this.#leg = leg;
      this.#up = this.#down = null;
    } else {
      level = leg.step(index, time, high, low);
      if (leg.reversal() < th && !this.#passesLastPivot(leg)) return false;
    }
    this.#push({
      kind: leg.dir > 0 ? "high" : "low",
      index: leg.index[0],
      confirmedAt: index,
      price: leg.price[0],
      time: leg.time[0],
    });
    leg.flip();
    if (level < 0) leg.feedDeepest(index, time, high, low);
    return true;
  }

  /** True when the leg's reversal price went beyond the last pivot (the swing is then certain). */
  #passesLastPivot(leg: Leg): boolean {
    const list = this.#list;
    if (leg.index[1] < 0 || list.length === 0) return false;
    const last = list[list.length - 1].price;
    return leg.dir > 0 ? leg.price[1] < last : leg.price[1] > last;
  }

  #fractal(index: number, time: number, high: number, low: number): boolean {
    const k = this.opts.fractalWindow, n = 2 * k + 1;
    const slot = this.#seen % n;
    this.#rIndex[slot] = index;
    this.#rTime[slot] = time;
    this.#rHigh[slot] = high;
    this.#rLow[slot] = low;
    this.#seen++;
    if (this.#seen < n) return false;
    // Oldest slot in the ring is (seen % n); the candidate sits k slots after it.
    const first = this.#seen % n;
    const c = (first + k) % n;
    const ch = this.#rHigh[c], cl = this.#rLow[c];
    let isHigh = true, isLow = true;
    for (let j = 0, s = first; j < n && (isHigh || isLow); j++, s = s + 1 === n ? 0 : s + 1) {
      if (j === k) continue;
      const h = this.#rHigh[s], l = this.#rLow[s];
      if (j < k) {
        if (h >= ch) isHigh = false;
        if (l <= cl) isLow = false;
      } else {
        if (h > ch) isHigh = false;
        if (l < cl) isLow = false;
      }
    }
    if (!isHigh && !isLow) return false;
    const last = this.#list.length > 0 ? this.#list[this.#list.length - 1] : null;
    let kind: "high" | "low";
    if (isHigh && isLow) kind = last !== null && last.kind === "high" ? "low" : "high";
    else kind = isHigh ? "high" : "low";
    const p: Pivot = {
      kind,
      index: this.#rIndex[c],
      confirmedAt: index,
      price: kind === "high" ? ch : cl,
      time: this.#rTime[c],
    };
    if (last === null || last.kind !== kind) {
      this.#push(p);
      return true;
    }
    const moreExtreme = kind === "high" ? p.price > last.price : p.price < last.price;
    if (!moreExtreme) return false;
    const next = this.#list.slice();
    next[next.length - 1] = p;
    this.#list = next;
    return true;
  }

  #push(p: Pivot): void {
    const list = this.#list;
    const drop = list.length + 1 > this.opts.maxPivots ? list.length + 1 - this.opts.maxPivots : 0;
    const next = list.slice(drop);
    next.push(p);
    this.#list = next;
  }

  /** Compact JSON snapshot (NaN/unset → null, bounded size) for {@link PivotDetector.fromState}. */
  toState(): PivotState {
    const pivots: PivotTuple[] = this.#list.map((
      p,
    ) => [p.kind === "high" ? 1 : 0, p.index, p.confirmedAt, p.price, p.time]);
    if (this.opts.mode === "zigzag") {
      const legs = this.#leg !== null ? [this.#leg] : [this.#up!, this.#down!];
      return { v: 1, mode: "zigzag", pivots, legs: legs.map((l) => l.toTuple()) };
    }
    const n = 2 * this.opts.fractalWindow + 1;
    const count = Math.min(this.#seen, n);
    const bars: [number, number, number, number][] = [];
    for (let j = count; j > 0; j--) {
      const s = (((this.#seen - j) % n) + n) % n;
      bars.push([this.#rIndex[s], this.#rTime[s], this.#rHigh[s], this.#rLow[s]]);
    }
    return { v: 1, mode: "fractal", pivots, seen: this.#seen, bars };
  }

  /** Restores a detector from {@link PivotDetector.toState} output; throws a one-line error if invalid. */
  static fromState(s: PivotState, opts: Partial<PivotOptions> = {}): PivotDetector {
    const d = new PivotDetector(opts);
    if (s === null || typeof s !== "object" || s.v !== 1) {
      throw new Error("invalid pivot state: expected an object with v = 1");
    }
    if (s.mode !== d.opts.mode) {
      throw new Error(
        `invalid pivot state: mode ${s.mode} does not match options (${d.opts.mode})`,
      );
    }
    if (!Array.isArray(s.pivots)) throw new Error("invalid pivot state: pivots is not an array");
    const list: Pivot[] = s.pivots.slice(-d.opts.maxPivots).map((t) => {
      if (!Array.isArray(t) || t.length !== 5 || t.some((x) => typeof x !== "number")) {
        throw new Error("invalid pivot state: malformed pivot");
      }
      return {
        kind: t[0] === 1 ? "high" : "low",
        index: t[1],
        confirmedAt: t[2],
        price: t[3],
        time: t[4],
      };
    });
    d.#list = list;
    if (d.opts.mode === "zigzag") {
      const legs = s.legs;
      if (!Array.isArray(legs) || (legs.length !== 1 && legs.length !== 2)) {
        throw new Error("invalid pivot state: zigzag needs 1 or 2 legs");
      }
      if (legs.length === 1) {
        d.#leg = Leg.fromTuple(legs[0]);
        d.#up = d.#down = null;
      } else {
        d.#up = Leg.fromTuple(legs[0]);
        d.#down = Leg.fromTuple(legs[1]);
      }
      return d;
    }
    const n = 2 * d.opts.fractalWindow + 1;
    const seen = s.seen, bars = s.bars;
    if (typeof seen !== "number" || !Number.isInteger(seen) || seen < 0 || !Array.isArray(bars)) {
      throw new Error("invalid pivot state: fractal needs seen and bars");
    }
    if (bars.length !== Math.min(seen, n)) {
      throw new Error(
        `invalid pivot state: ${bars.length} bars do not fit window ${d.opts.fractalWindow}`,
      );
    }
    d.#seen = seen;
    for (let j = 0; j < bars.length; j++) {
      const b = bars[j];
      if (!Array.isArray(b) || b.length !== 4 || b.some((x) => typeof x !== "number")) {
        throw new Error("invalid pivot state: malformed bar");
      }
      const slot = (((seen - bars.length + j) % n) + n) % n;
      [d.#rIndex[slot], d.#rTime[slot], d.#rHigh[slot], d.#rLow[slot]] = b;
    }
    return d;
  }
}

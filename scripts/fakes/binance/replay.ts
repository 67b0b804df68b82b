/**
 * The fake's virtual clock and the replay schedule: recorded candles of several series become, in
 * virtual-time order, `updatesPerCandle` non-final updates inside each candle and one final update
 * at its close instant (close time + 1 ms), the way Binance's kline streams send them.
 */

import type { KlineRow } from "./wire.ts";

/** Replay speed: virtual ms per real ms, or "max" (jump from event to event as fast as possible). */
export type ReplaySpeed = number | "max";

/**
 * A virtual clock in ms. At speed N it advances N virtual ms per real ms while playing; at "max" it
 * only moves when the replay jumps it to the next event. Paused, it stands still.
 */
export class ReplayClock {
  #virtual: number;
  #anchor = 0;
  #speed: ReplaySpeed;
  #playing = false;

  constructor(start: number, speed: ReplaySpeed) {
    this.#virtual = start;
    this.#speed = checkSpeed(speed);
  }

  /** Current virtual time (ms since the epoch). */
  now(): number {
    if (!this.#playing || this.#speed === "max") return this.#virtual;
    return Math.floor(this.#virtual + (performance.now() - this.#anchor) * this.#speed);
  }

  /** True while the clock runs. */
  get playing(): boolean {
    return this.#playing;
  }

  /** The current speed. */
  get speed(): ReplaySpeed {
    return this.#speed;
  }

  /** Starts (or resumes) the clock. */
  play(): void {
    if (this.#playing) return;
    this.#anchor = performance.now();
    this.#playing = true;
  }

  /** Stops the clock where it is. */
  pause(): void {
    if (!this.#playing) return;
    this.#virtual = this.now();
    this.#playing = false;
  }

  /** Changes the speed without a jump in virtual time. */
  setSpeed(speed: ReplaySpeed): void {
    const now = this.now();
    this.#speed = checkSpeed(speed);
    this.#virtual = now;
    this.#anchor = performance.now();
  }

  /** Moves the clock forward to `t` (never backwards). */
  advanceTo(t: number): void {
    const now = this.now();
    this.#virtual = Math.max(now, t);
    this.#anchor = performance.now();
  }
}

function checkSpeed(speed: ReplaySpeed): ReplaySpeed {
  if (speed !== "max" && !(Number.isFinite(speed) && speed > 0)) {
    throw new RangeError(`replay speed must be a positive number or "max", got ${speed}`);
  }
  return speed;
}

/**
 * One series to replay: a symbol at an interval and its recorded rows, oldest first. Rows may have
 * gaps: a halted symbol (Binance status BREAK) has no candle then, on the stream or over REST.
 */
export interface ReplaySeries {
  /** Binance symbol, upper case (e.g. BTCUSDT). */
  symbol: string;
  /** Binance interval name (e.g. 1h). */
  interval: string;
  rows: KlineRow[];
}

/** One scheduled kline update. */
export interface ReplayEvent {
  series: ReplaySeries;
  /** Index of the row in `series.rows`. */
  index: number;
  final: boolean;
  /** Virtual time at which it is sent (ms). */
  time: number;
}

interface Cursor {
  series: ReplaySeries;
  index: number;
  /** 0..updates-1: non-final updates; updates: the final one. */
  step: number;
  time: number;
  /** Position of the series in the input (ties in time go in this order). */
  order: number;
}

/**
 * Yields the events of all series in virtual-time order (ties: series order), starting with the
 * first event after `from`. A binary heap of one cursor per series keeps it O(log series) per event.
 */
export class ReplaySchedule {
  readonly #heap: Cursor[] = [];
  readonly #updates: number;

  constructor(series: readonly ReplaySeries[], updatesPerCandle: number, from: number) {
    if (!Number.isInteger(updatesPerCandle) || updatesPerCandle < 0) {
      throw new RangeError(`updatesPerCandle must be a whole number >= 0, got ${updatesPerCandle}`);
    }
    this.#updates = updatesPerCandle;
    series.forEach((s, order) => {
      const c: Cursor = { series: s, index: 0, step: 0, time: 0, order };
      // Skip candles that closed before `from`, then steps already past inside the current one.
      let lo = 0;
      let hi = s.rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (s.rows[mid][6] + 1 <= from) lo = mid + 1;
        else hi = mid;
      }
      c.index = lo;
      if (c.index >= s.rows.length) return;
      c.time = this.#stepTime(c);
      while (c.time <= from && c.step < this.#updates) {
        c.step++;
        c.time = this.#stepTime(c);
      }
      this.#push(c);
    });
  }

  /** Time of the next event, or null when the replay is over. */
  peekTime(): number | null {
    return this.#heap.length ? this.#heap[0].time : null;
  }

  /** Removes and returns the next event (null when over). */
  next(): ReplayEvent | null {
    if (this.#heap.length === 0) return null;
    const c = this.#pop();
    const ev: ReplayEvent = {
      series: c.series,
      index: c.index,
      final: c.step === this.#updates,
      time: c.time,
    };
    if (ev.final) {
      c.index++;
      c.step = 0;
    } else c.step++;
    if (c.index < c.series.rows.length) {
      c.time = this.#stepTime(c);
      this.#push(c);
    }
    return ev;
  }

  #stepTime(c: Cursor): number {
    const row = c.series.rows[c.index];
    const end = row[6] + 1;
    if (c.step === this.#updates) return end;
    return row[0] + Math.floor(((end - row[0]) * (c.step + 1)) / (this.#updates + 1));
  }

  #less(a: Cursor, b: Cursor): boolean {
    if (a.time !== b.time) return a.time < b.time;
    return a.order < b.order;
  }

  #pop(): Cursor {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop() as Cursor;
    if (h.length) {
      h[0] = last;
      this.#down(0);
    }
    return top;
  }

  #push(c: Cursor): void {
    this.#heap.push(c);
    let i = this.#heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(this.#heap[i], this.#heap[p])) break;
      [this.#heap[i], this.#heap[p]] = [this.#heap[p], this.#heap[i]];
      i = p;
    }
  }

  #down(i: number): void {
    const h = this.#heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l], h[m])) m = l;
      if (r < h.length && this.#less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

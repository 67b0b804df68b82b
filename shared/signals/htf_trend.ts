/**
 * The trend of a higher timeframe, aggregated from the series itself (no second feed, no
 * look-ahead). Bars are grouped into UTC-aligned buckets of `factor` bars (e.g. 1h bars into 6h
 * buckets; 4h into 1d); the bar length is the smallest open-time step seen so far, so gaps do not
 * change it. A bucket's close is the close of its last bar. The trend at a bar is the sign of
 * EMA(fast) − EMA(slow) of the completed buckets' closes, each stepped once more with the current
 * bar's close as the developing bucket's close (what a chart of the higher timeframe shows at that
 * moment). EMAs follow TA-Lib's seeding (shared/indicators/ema.ts). O(1) per bar.
 */

import { Ema, emaStep } from "../indicators/ema.ts";
import {
  decodeNumber,
  encodeNumber,
  type StateNumber,
  stateObject,
} from "../indicators/state_codec.ts";

/** Options of {@link HtfTrend}. */
export interface HtfTrendOptions {
  /** Bars per higher-timeframe bucket (≥ 2). */
  factor: number;
  /** Fast and slow EMA periods on the buckets' closes (fast < slow). */
  fast: number;
  slow: number;
}

/** JSON state of an {@link HtfTrend}. */
export interface HtfTrendState {
  /** Smallest positive open-time step seen (ms), 0 before the second bar. */
  barMs: number;
  /** Open time of the last bar, or null. */
  lastTime: StateNumber;
  /** Bucket number of the developing bucket, or null. */
  bucket: StateNumber;
  /** Close of the last bar (the developing bucket's close). */
  close: StateNumber;
  fast: ReturnType<Ema["toState"]>;
  slow: ReturnType<Ema["toState"]>;
}

/** Streaming higher-timeframe trend: `update` returns +1 (up), −1 (down) or 0 (unknown yet). */
export class HtfTrend {
  readonly #factor: number;
  #fast: Ema;
  #slow: Ema;
  #barMs = 0;
  #lastTime = NaN;
  #bucket = NaN;
  /** Open time at which the next bucket starts (Infinity until the bar length is known). */
  #next = Infinity;
  #close = NaN;

  /** A tracker with `opts`; throws RangeError for a factor < 2 or fast ≥ slow. */
  constructor(opts: HtfTrendOptions) {
    if (!Number.isInteger(opts.factor) || opts.factor < 2) {
      throw new RangeError(`HTF factor must be an integer >= 2, got ${opts.factor}`);
    }
    if (!(opts.fast < opts.slow)) throw new RangeError("HTF fast EMA must be shorter than slow");
    this.#factor = opts.factor;
    this.#fast = new Ema(opts.fast);
    this.#slow = new Ema(opts.slow);
  }

  /** Feeds one closed bar (open time in ms, close price). O(1); the trend is read by {@link trend}. */
  update(time: number, close: number): void {
    const prev = this.#lastTime;
    this.#lastTime = time;
    const d = time - prev; // NaN on the first bar
    if (d > 0 && (d < this.#barMs || this.#barMs === 0)) {
      this.#barMs = d;
      this.#bucket = Math.floor(prev / (this.#factor * d)); // the previous bar's bucket
      this.#next = (this.#bucket + 1) * this.#factor * d;
    }
    if (time >= this.#next) { // a new bucket: the previous one is complete (false before 2 bars)
      this.#fast.update(this.#close);
      this.#slow.update(this.#close);
      const span = this.#factor * this.#barMs;
      this.#bucket = Math.floor(time / span);
      this.#next = (this.#bucket + 1) * span;
    }
    this.#close = close;
  }

  /** The trend after the last bar: sign of the developing fast − slow EMA, 0 during warm-up. */
  trend(): -1 | 0 | 1 {
    const f = this.#fast;
    const s = this.#slow;
    if (!f.ready || !s.ready) return 0;
    const d = emaStep(f.current, this.#close, f.k) - emaStep(s.current, this.#close, s.k);
    return d > 0 ? 1 : d < 0 ? -1 : 0;
  }

  /** Compact JSON state; {@link HtfTrend.fromState} continues exactly. */
  toState(): HtfTrendState {
    return {
      barMs: this.#barMs,
      lastTime: encodeNumber(this.#lastTime),
      bucket: encodeNumber(this.#bucket),
      close: encodeNumber(this.#close),
      fast: this.#fast.toState(),
      slow: this.#slow.toState(),
    };
  }

  /** Restores a tracker saved with {@link toState}; throws Error on a malformed state. */
  static fromState(state: unknown, opts: HtfTrendOptions): HtfTrend {
    const s = stateObject(state, "HTF trend");
    const t = new HtfTrend(opts);
    if (typeof s.barMs !== "number" || !(s.barMs >= 0)) {
      throw new Error("invalid HTF trend state: barMs");
    }
    t.#barMs = s.barMs;
    t.#lastTime = decodeNumber(s.lastTime, "HTF lastTime");
    t.#bucket = decodeNumber(s.bucket, "HTF bucket");
    if (t.#barMs > 0 && Number.isFinite(t.#bucket)) {
      t.#next = (t.#bucket + 1) * t.#factor * t.#barMs;
    }
    t.#close = decodeNumber(s.close, "HTF close");
    t.#fast = Ema.fromState(s.fast);
    t.#slow = Ema.fromState(s.slow);
    if (t.#fast.period !== opts.fast || t.#slow.period !== opts.slow) {
      throw new Error("invalid HTF trend state: EMA periods differ from the settings");
    }
    return t;
  }
}

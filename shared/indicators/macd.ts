/** MACD (TA-Lib MACD: line, signal, histogram), streaming and batch. */

import { Ema, type EmaState, emaStep } from "./ema.ts";
import { checkPeriod, encodeNumber, stateCount, stateObject } from "./state_codec.ts";

/** JSON state of a {@link Macd}. */
export interface MacdState {
  /** Bars seen, capped at `slow − fast`. */
  count: number;
  fast: EmaState;
  slow: EmaState;
  signal: EmaState;
}

/** The three MACD outputs at one bar (NaN during warm-up). */
export interface MacdValue {
  macd: number;
  signal: number;
  histogram: number;
}

/**
 * Streaming MACD seeded exactly as TA-Lib: both EMAs produce their first value on bar `slow − 1`
 * (the slow EMA seeded with the mean of bars 0..slow−1, the fast EMA with the mean of the `fast`
 * bars ending there), the line is fast − slow, the signal is an EMA of the line (seeded with the mean
 * of its first `signal` values) and histogram = line − signal. All three are NaN until bar
 * `slow + signal − 2` (TA-Lib's lookback, 33 for 12/26/9).
 */
export class Macd {
  /** Fast EMA period. */
  readonly fastPeriod: number;
  /** Slow EMA period. */
  readonly slowPeriod: number;
  /** Signal EMA period. */
  readonly signalPeriod: number;
  private count = 0;
  /** True once the signal EMA has its first value (every output defined from then on). */
  private isReady = false;
  private fast: Ema;
  private slow: Ema;
  private sig: Ema;
  private readonly out: MacdValue = { macd: NaN, signal: NaN, histogram: NaN };
  // Once ready, the three EMA values live here and step with `emaStep` (the same arithmetic as
  // `Ema.update`): a smaller hot path that inlines into callers. The Ema objects keep their frozen
  // seed state for `toState`.
  private fastK: number;
  private slowK: number;
  private sigK: number;
  private fastValue = 0;
  private slowValue = 0;
  private sigValue = 0;

  /** Creates a MACD(fast, slow, signal); fast must be shorter than slow. */
  constructor(fast = 12, slow = 26, signal = 9) {
    checkPeriod(fast, "MACD fast period", 2);
    checkPeriod(signal, "MACD signal period", 1);
    if (!Number.isSafeInteger(slow) || slow <= fast) {
      throw new Error(`MACD slow period must be an integer > fast period (${fast}), got ${slow}`);
    }
    this.fastPeriod = fast;
    this.slowPeriod = slow;
    this.signalPeriod = signal;
    this.fast = new Ema(fast);
    this.slow = new Ema(slow);
    this.sig = new Ema(signal);
    this.fastK = this.fast.k;
    this.slowK = this.slow.k;
    this.sigK = this.sig.k;
  }

  /** True once all three outputs have values. */
  get ready(): boolean {
    return this.isReady;
  }

  /**
   * Adds a close and returns the current outputs. The returned object is reused by every call
   * (copy its fields if you keep them).
   */
  update(x: number): Readonly<MacdValue> {
    if (this.isReady) {
      const line = (this.fastValue = emaStep(this.fastValue, x, this.fastK)) -
        (this.slowValue = emaStep(this.slowValue, x, this.slowK));
      const signal = this.sigValue = emaStep(this.sigValue, line, this.sigK);
      const out = this.out;
      out.macd = line;
      out.signal = signal;
      out.histogram = line - signal;
      return out;
    }
    return this.warm(x);
  }

  /** Warm-up step, kept out of {@link update} so the hot path stays small enough to inline. */
  private warm(x: number): Readonly<MacdValue> {
    const s = this.slow.update(x);
    let f = NaN;
    if (this.count === this.slowPeriod - this.fastPeriod) f = this.fast.update(x);
    else this.count++;
    const out = this.out;
    if (s !== s) return out; // slow EMA still warming up
    const line = f - s;
    const signal = this.sig.update(line);
    if (signal === signal) {
      this.goReady();
      out.macd = line;
      out.signal = signal;
      out.histogram = line - signal;
    }
    return out;
  }

  /** Switches to the hot path: the EMAs' values move into this object's fields. */
  private goReady(): void {
    this.fastValue = this.fast.current;
    this.slowValue = this.slow.current;
    this.sigValue = this.sig.current;
    this.isReady = true;
  }

  /** Compact JSON state. */
  toState(): MacdState {
    const fast = this.fast.toState();
    const slow = this.slow.toState();
    const signal = this.sig.toState();
    if (this.isReady) {
      fast.value = encodeNumber(this.fastValue);
      slow.value = encodeNumber(this.slowValue);
      signal.value = encodeNumber(this.sigValue);
    }
    return { count: this.count, fast, slow, signal };
  }

  /** Restores a MACD saved with {@link toState}. */
  static fromState(state: unknown): Macd {
    const s = stateObject(state, "MACD");
    const fast = Ema.fromState(s.fast);
    const slow = Ema.fromState(s.slow);
    const sig = Ema.fromState(s.signal);
    const m = new Macd(fast.period, slow.period, sig.period);
    m.count = Math.min(stateCount(s.count, "MACD count"), slow.period - fast.period);
    m.fast = fast;
    m.slow = slow;
    m.sig = sig;
    const signal = sig.current;
    if (signal === signal) {
      m.goReady();
      const line = fast.current - slow.current;
      m.out.macd = line;
      m.out.signal = signal;
      m.out.histogram = line - signal;
    }
    return m;
  }
}

/** Batch MACD outputs, one array per output. */
export interface MacdSeries {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/** Batch MACD over closes: the same numbers as feeding {@link Macd} one close at a time. */
export function macd(values: Float64Array, fast = 12, slow = 26, signal = 9): MacdSeries {
  const m = new Macd(fast, slow, signal);
  const n = values.length;
  const res: MacdSeries = {
    macd: new Float64Array(n),
    signal: new Float64Array(n),
    histogram: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const v = m.update(values[i]);
    res.macd[i] = v.macd;
    res.signal[i] = v.signal;
    res.histogram[i] = v.histogram;
  }
  return res;
}

/** The analyzer's standard indicator set, streaming (one frame per bar) and batch over a candle series. */

import type { CandleSeries } from "../candles/types.ts";
import { Atr, type AtrState } from "./atr.ts";
import { Bollinger, type BollingerState } from "./bollinger.ts";
import { Ema, type EmaState } from "./ema.ts";
import { Macd, type MacdState } from "./macd.ts";
import { Rsi, type RsiState } from "./rsi.ts";
import { stateObject } from "./state_codec.ts";
import { VolumeAverage, type VolumeAverageState } from "./volume_average.ts";
import { Vwap, type VwapState } from "./vwap.ts";

/** Every indicator of the set at one bar; NaN while an indicator is warming up. */
export interface IndicatorFrame {
  rsi14: number;
  ema20: number;
  ema50: number;
  ema200: number;
  /** MACD(12,26,9) line. */
  macd: number;
  macdSignal: number;
  macdHist: number;
  atr14: number;
  /** Bollinger(20, 2) bands. */
  bbUpper: number;
  bbMiddle: number;
  bbLower: number;
  /** Session VWAP, session = UTC day. */
  vwap: number;
  /** SMA of volume over 20 bars. */
  volumeAvg20: number;
}

/** Names of the frame's fields, in display order. */
export const INDICATOR_FIELDS: readonly (keyof IndicatorFrame)[] = [
  "rsi14",
  "ema20",
  "ema50",
  "ema200",
  "macd",
  "macdSignal",
  "macdHist",
  "atr14",
  "bbUpper",
  "bbMiddle",
  "bbLower",
  "vwap",
  "volumeAvg20",
];

/** Warm-up of each field in bars: the first bar index with a value (TA-Lib lookbacks). */
export const INDICATOR_LOOKBACK: Readonly<Record<keyof IndicatorFrame, number>> = {
  rsi14: 14,
  ema20: 19,
  ema50: 49,
  ema200: 199,
  macd: 33,
  macdSignal: 33,
  macdHist: 33,
  atr14: 14,
  bbUpper: 19,
  bbMiddle: 19,
  bbLower: 19,
  vwap: 0,
  volumeAvg20: 19,
};

/** JSON state of an {@link IndicatorSet}. */
export interface IndicatorSetState {
  v: 1;
  rsi14: RsiState;
  ema20: EmaState;
  ema50: EmaState;
  ema200: EmaState;
  macd: MacdState;
  atr14: AtrState;
  bollinger: BollingerState;
  vwap: VwapState;
  volumeAvg20: VolumeAverageState;
}

/** A frame with every field NaN. */
export function emptyFrame(): IndicatorFrame {
  return {
    rsi14: NaN,
    ema20: NaN,
    ema50: NaN,
    ema200: NaN,
    macd: NaN,
    macdSignal: NaN,
    macdHist: NaN,
    atr14: NaN,
    bbUpper: NaN,
    bbMiddle: NaN,
    bbLower: NaN,
    vwap: NaN,
    volumeAvg20: NaN,
  };
}

/**
 * Streaming indicator set: feed closed candles in order with {@link update}; O(1) and allocation-free
 * per bar. Snapshot with {@link toState} (JSON-safe) and continue later with {@link fromState}: the
 * continued values are bit-identical to an uninterrupted run.
 */
export class IndicatorSet {
  private rsi14 = new Rsi(14);
  private ema20 = new Ema(20);
  private ema50 = new Ema(50);
  private ema200 = new Ema(200);
  private macd = new Macd(12, 26, 9);
  private atr14 = new Atr(14);
  private bollinger = new Bollinger(20, 2);
  private vwap = new Vwap();
  private volumeAvg20 = new VolumeAverage(20);
  private readonly frame: IndicatorFrame = emptyFrame();

  /**
   * Adds one closed candle and returns the indicators at it. The SAME frame object is returned and
   * overwritten by every call (no allocation on the hot path): copy the fields you want to keep.
   */
  update(
    openTime: number,
    high: number,
    low: number,
    close: number,
    volume: number,
  ): IndicatorFrame {
    const f = this.frame;
    f.rsi14 = this.rsi14.update(close);
    f.ema20 = this.ema20.update(close);
    f.ema50 = this.ema50.update(close);
    f.ema200 = this.ema200.update(close);
    const m = this.macd.update(close);
    f.macd = m.macd;
    f.macdSignal = m.signal;
    f.macdHist = m.histogram;
    f.atr14 = this.atr14.update(high, low, close);
    const b = this.bollinger.update(close);
    f.bbUpper = b.upper;
    f.bbMiddle = b.middle;
    f.bbLower = b.lower;
    f.vwap = this.vwap.update(openTime, high, low, close, volume);
    f.volumeAvg20 = this.volumeAvg20.update(volume);
    return f;
  }

  /** Compact JSON-serialisable snapshot (NaN stored as null; numbers survive a JSON round-trip). */
  toState(): IndicatorSetState {
    return {
      v: 1,
      rsi14: this.rsi14.toState(),
      ema20: this.ema20.toState(),
      ema50: this.ema50.toState(),
      ema200: this.ema200.toState(),
      macd: this.macd.toState(),
      atr14: this.atr14.toState(),
      bollinger: this.bollinger.toState(),
      vwap: this.vwap.toState(),
      volumeAvg20: this.volumeAvg20.toState(),
    };
  }

  /** Restores a set saved with {@link toState}; throws a one-line Error on a malformed state. */
  static fromState(state: unknown): IndicatorSet {
    const s = stateObject(state, "indicator set");
    if (s.v !== 1) throw new Error(`invalid indicator state: unsupported version ${String(s.v)}`);
    const set = new IndicatorSet();
    set.rsi14 = Rsi.fromState(s.rsi14);
    set.ema20 = Ema.fromState(s.ema20);
    set.ema50 = Ema.fromState(s.ema50);
    set.ema200 = Ema.fromState(s.ema200);
    set.macd = Macd.fromState(s.macd);
    set.atr14 = Atr.fromState(s.atr14);
    set.bollinger = Bollinger.fromState(s.bollinger);
    set.vwap = Vwap.fromState(s.vwap);
    set.volumeAvg20 = VolumeAverage.fromState(s.volumeAvg20);
    const periods: [string, number, number][] = [
      ["rsi14", set.rsi14.period, 14],
      ["ema20", set.ema20.period, 20],
      ["ema50", set.ema50.period, 50],
      ["ema200", set.ema200.period, 200],
      ["macd fast", set.macd.fastPeriod, 12],
      ["macd slow", set.macd.slowPeriod, 26],
      ["macd signal", set.macd.signalPeriod, 9],
      ["atr14", set.atr14.period, 14],
      ["bollinger", set.bollinger.period, 20],
      ["volumeAvg20", set.volumeAvg20.period, 20],
    ];
    for (const [name, got, want] of periods) {
      if (got !== want) {
        throw new Error(`invalid indicator state: ${name} period is ${got}, expected ${want}`);
      }
    }
    if (set.bollinger.k !== 2) throw new Error("invalid indicator state: bollinger k must be 2");
    return set;
  }
}

/** Batch indicator set over a series: one array per frame field, identical to the streaming values. */
export function computeIndicators(
  series: CandleSeries,
): Record<keyof IndicatorFrame, Float64Array> {
  const n = series.length;
  const out = {} as Record<keyof IndicatorFrame, Float64Array>;
  for (const k of INDICATOR_FIELDS) out[k] = new Float64Array(n);
  const { openTime, high, low, close, volume } = series;
  const set = new IndicatorSet();
  const rsi14 = out.rsi14, ema20 = out.ema20, ema50 = out.ema50, ema200 = out.ema200;
  const macd = out.macd, macdSignal = out.macdSignal, macdHist = out.macdHist, atr14 = out.atr14;
  const bbUpper = out.bbUpper, bbMiddle = out.bbMiddle, bbLower = out.bbLower;
  const vwap = out.vwap, volumeAvg20 = out.volumeAvg20;
  for (let i = 0; i < n; i++) {
    const f = set.update(openTime[i], high[i], low[i], close[i], volume[i]);
    rsi14[i] = f.rsi14;
    ema20[i] = f.ema20;
    ema50[i] = f.ema50;
    ema200[i] = f.ema200;
    macd[i] = f.macd;
    macdSignal[i] = f.macdSignal;
    macdHist[i] = f.macdHist;
    atr14[i] = f.atr14;
    bbUpper[i] = f.bbUpper;
    bbMiddle[i] = f.bbMiddle;
    bbLower[i] = f.bbLower;
    vwap[i] = f.vwap;
    volumeAvg20[i] = f.volumeAvg20;
  }
  return out;
}

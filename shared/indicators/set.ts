/** The analyzer's standard indicator set, streaming (one frame per bar) and batch over a candle series. */

import type { CandleSeries } from "../candles/types.ts";
import { Atr, type AtrState, trueRange } from "./atr.ts";
import { Bollinger, type BollingerState } from "./bollinger.ts";
import { Ema, type EmaState, emaStep } from "./ema.ts";
import { Macd, type MacdState } from "./macd.ts";
import { Rsi, rsiFromAverages, type RsiState } from "./rsi.ts";
import { RollingWindow } from "./rolling_window.ts";
import { wilderStep } from "./wilder.ts";
import { encodeNumber, stateObject } from "./state_codec.ts";
import type { VolumeAverageState } from "./volume_average.ts";
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

const K20 = 2 / 21;
const K50 = 2 / 51;
const K200 = 2 / 201;
const K12 = 2 / 13;
const K26 = 2 / 27;
const K9 = 2 / 10;

/**
 * Streaming indicator set: feed closed candles in order (inputs are not validated here) with
 * {@link update}; O(1) and allocation-free per bar. Snapshot with {@link toState} (JSON-safe; the same
 * shape as the individual indicators' states) and continue later with {@link fromState}: the continued
 * values are bit-identical to an uninterrupted run.
 *
 * Until every indicator has warmed up (200 bars, EMA200's lookback) the set runs the individual
 * indicator classes; then it moves their state into its own fields and runs one fused step per bar
 * with the same arithmetic (the shared step functions `emaStep`, `wilderStep`, `rsiFromAverages`,
 * `trueRange`) and no per-class dispatch. Tests check both give identical numbers.
 */
export class IndicatorSet {
  private rsi14: Rsi | null = new Rsi(14);
  private ema20: Ema | null = new Ema(20);
  private ema50: Ema | null = new Ema(50);
  private ema200: Ema | null = new Ema(200);
  private macd: Macd | null = new Macd(12, 26, 9);
  private atr14: Atr | null = new Atr(14);
  private vwap: Vwap = new Vwap();
  /** Window of the Bollinger(20, 2) bands (same arithmetic as {@link Bollinger}, without the object). */
  private bbWindow: RollingWindow = new RollingWindow(20);
  private volumeAvg20: RollingWindow = new RollingWindow(20);
  private readonly frame: IndicatorFrame = emptyFrame();

  // Fused state, valid once `hot` (the warm-up objects above are then dropped).
  private hot = false;
  private rsiPrev = 0;
  private rsiGain = 0;
  private rsiLoss = 0;
  private e20 = 0;
  private e50 = 0;
  private e200 = 0;
  private macdFast = 0;
  private macdSlow = 0;
  private macdSignal = 0;
  private atrPrevClose = 0;
  private atr = 0;
  /** The parts of the warm-up states that no longer change (seed sums), kept for {@link toState}. */
  private frozen: IndicatorSetState | null = null;

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
    if (!this.hot) return this.warmUpdate(openTime, high, low, close, volume);
    const f = this.frame;

    const d = close - this.rsiPrev;
    this.rsiPrev = close;
    const ad = Math.abs(d); // branchless up/down move, as in Rsi.update
    const gain = this.rsiGain = wilderStep(this.rsiGain, (ad + d) * 0.5, 14);
    const loss = this.rsiLoss = wilderStep(this.rsiLoss, (ad - d) * 0.5, 14);
    f.rsi14 = rsiFromAverages(gain, loss);

    f.ema20 = this.e20 = emaStep(this.e20, close, K20);
    f.ema50 = this.e50 = emaStep(this.e50, close, K50);
    f.ema200 = this.e200 = emaStep(this.e200, close, K200);

    const line = (this.macdFast = emaStep(this.macdFast, close, K12)) -
      (this.macdSlow = emaStep(this.macdSlow, close, K26));
    const signal = this.macdSignal = emaStep(this.macdSignal, line, K9);
    f.macd = line;
    f.macdSignal = signal;
    f.macdHist = line - signal;

    const tr = trueRange(high, low, this.atrPrevClose);
    this.atrPrevClose = close;
    f.atr14 = this.atr = wilderStep(this.atr, tr, 14);

    this.bandsStep(close);

    f.vwap = this.vwap.update(openTime, high, low, close, volume);

    const va = this.volumeAvg20;
    va.push(volume);
    f.volumeAvg20 = va.mean();
    return f;
  }

  /** Bollinger(20, 2) step: the same arithmetic as {@link Bollinger}, on the set's own window. */
  private bandsStep(close: number): void {
    const bb = this.bbWindow;
    bb.pushMoments(close);
    const mid = bb.lastMean;
    const width = Math.sqrt(bb.lastVariance) * 2;
    const f = this.frame;
    f.bbUpper = mid + width;
    f.bbMiddle = mid;
    f.bbLower = mid - width;
  }

  /** Warm-up step through the individual indicator classes; switches to the fused step when done. */
  private warmUpdate(
    openTime: number,
    high: number,
    low: number,
    close: number,
    volume: number,
  ): IndicatorFrame {
    const f = this.frame;
    f.rsi14 = this.rsi14!.update(close);
    f.ema20 = this.ema20!.update(close);
    f.ema50 = this.ema50!.update(close);
    f.ema200 = this.ema200!.update(close);
    const m = this.macd!.update(close);
    f.macd = m.macd;
    f.macdSignal = m.signal;
    f.macdHist = m.histogram;
    f.atr14 = this.atr14!.update(high, low, close);
    this.bandsStep(close);
    f.vwap = this.vwap.update(openTime, high, low, close, volume);
    this.volumeAvg20.push(volume);
    f.volumeAvg20 = this.volumeAvg20.mean();
    if (f.ema200 === f.ema200) this.goHot();
    return f;
  }

  /** Moves the warmed-up indicators' state into the fused fields (all are warm once EMA200 is). */
  private goHot(): void {
    const s = this.warmState();
    this.frozen = s;
    this.rsiPrev = s.rsi14.prev!;
    this.rsiGain = s.rsi14.gain!;
    this.rsiLoss = s.rsi14.loss!;
    this.e20 = s.ema20.value!;
    this.e50 = s.ema50.value!;
    this.e200 = s.ema200.value!;
    this.macdFast = s.macd.fast.value!;
    this.macdSlow = s.macd.slow.value!;
    this.macdSignal = s.macd.signal.value!;
    this.atrPrevClose = s.atr14.prevClose!;
    this.atr = s.atr14.value!;
    this.rsi14 = null;
    this.ema20 = null;
    this.ema50 = null;
    this.ema200 = null;
    this.macd = null;
    this.atr14 = null;
    this.hot = true;
  }

  /** State while warming up, from the individual indicators. */
  private warmState(): IndicatorSetState {
    return {
      v: 1,
      rsi14: this.rsi14!.toState(),
      ema20: this.ema20!.toState(),
      ema50: this.ema50!.toState(),
      ema200: this.ema200!.toState(),
      macd: this.macd!.toState(),
      atr14: this.atr14!.toState(),
      bollinger: { k: 2, window: this.bbWindow.toState() },
      vwap: this.vwap.toState(),
      volumeAvg20: this.volumeAvg20.toState(),
    };
  }

  /** Compact JSON-serialisable snapshot (NaN stored as null; numbers survive a JSON round-trip). */
  toState(): IndicatorSetState {
    if (!this.hot) return this.warmState();
    const z = this.frozen!;
    const n = encodeNumber;
    const ema = (e: EmaState, value: number): EmaState => ({ ...e, value: n(value) });
    return {
      v: 1,
      rsi14: { ...z.rsi14, prev: n(this.rsiPrev), gain: n(this.rsiGain), loss: n(this.rsiLoss) },
      ema20: ema(z.ema20, this.e20),
      ema50: ema(z.ema50, this.e50),
      ema200: ema(z.ema200, this.e200),
      macd: {
        ...z.macd,
        fast: ema(z.macd.fast, this.macdFast),
        slow: ema(z.macd.slow, this.macdSlow),
        signal: ema(z.macd.signal, this.macdSignal),
      },
      atr14: { ...z.atr14, prevClose: n(this.atrPrevClose), value: n(this.atr) },
      bollinger: { k: 2, window: this.bbWindow.toState() },
      vwap: this.vwap.toState(),
      volumeAvg20: this.volumeAvg20.toState(),
    };
  }

  /** Restores a set saved with {@link toState}; throws a one-line Error on a malformed state. */
  static fromState(state: unknown): IndicatorSet {
    const s = stateObject(state, "indicator set");
    if (s.v !== 1) throw new Error(`invalid indicator state: unsupported version ${String(s.v)}`);
    const set = new IndicatorSet();
    const rsi14 = set.rsi14 = Rsi.fromState(s.rsi14);
    const ema20 = set.ema20 = Ema.fromState(s.ema20);
    const ema50 = set.ema50 = Ema.fromState(s.ema50);
    const ema200 = set.ema200 = Ema.fromState(s.ema200);
    const macd = set.macd = Macd.fromState(s.macd);
    const atr14 = set.atr14 = Atr.fromState(s.atr14);
    const bollinger = Bollinger.fromState(s.bollinger);
    set.bbWindow = RollingWindow.fromState(stateObject(s.bollinger, "Bollinger").window);
    const vwap = set.vwap = Vwap.fromState(s.vwap);
    const volumeAvg20 = set.volumeAvg20 = RollingWindow.fromState(s.volumeAvg20);
    const periods: [string, number, number][] = [
      ["rsi14", rsi14.period, 14],
      ["ema20", ema20.period, 20],
      ["ema50", ema50.period, 50],
      ["ema200", ema200.period, 200],
      ["macd fast", macd.fastPeriod, 12],
      ["macd slow", macd.slowPeriod, 26],
      ["macd signal", macd.signalPeriod, 9],
      ["atr14", atr14.period, 14],
      ["bollinger", bollinger.period, 20],
      ["volumeAvg20", volumeAvg20.period, 20],
    ];
    for (const [name, got, want] of periods) {
      if (got !== want) {
        throw new Error(`invalid indicator state: ${name} period is ${got}, expected ${want}`);
      }
    }
    if (bollinger.k !== 2) throw new Error("invalid indicator state: bollinger k must be 2");
    if (ema200.current === ema200.current) {
      // EMA200 has the longest warm-up: once it is warm, every other indicator must be too.
      const warm = rsi14.ready && ema20.ready && ema50.ready && macd.ready && atr14.ready &&
        bollinger.ready && volumeAvg20.full && vwap.ready;
      if (!warm) {
        throw new Error("invalid indicator state: EMA200 is warm but another indicator is not");
      }
      set.goHot();
    }
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

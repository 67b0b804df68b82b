/**
 * Indicator benchmark: 1,000,000 candles built from real data, the indicator set (RSI14, EMA20/50/200,
 * MACD 12/26/9, ATR14, Bollinger 20/2) computed with our code and with npm `trading-signals` in the
 * same run, plus the full streaming IndicatorSet and the batch computeIndicators. Prints median
 * milliseconds (after warm-up runs) and the speed ratio. Run: `deno run -A scripts/bench/indicators.ts`.
 */

import {
  ATR as TsATR,
  BollingerBands as TsBB,
  EMA as TsEMA,
  MACD as TsMACD,
  RSI as TsRSI,
} from "trading-signals";
import type { CandleSeries } from "../../shared/candles/types.ts";
import {
  Atr,
  Bollinger,
  computeIndicators,
  Ema,
  IndicatorSet,
  Macd,
  Rsi,
} from "../../shared/indicators/mod.ts";

const FIXTURE = new URL("../../tests/fixtures/binance/BTCUSDT-1h-2024.json", import.meta.url);
const HOUR = 3_600_000;

/**
 * `length` hourly candles from the real BTCUSDT 1h 2024 fixture, played forwards then backwards in
 * turn (a backwards copy swaps open and close), so prices stay real and the series is continuous:
 * each copy opens exactly where the previous one closed.
 */
export function pingPongSeries(rows: (string | number)[][], length: number): CandleSeries {
  const n = rows.length;
  const s: CandleSeries = {
    symbol: "BTCUSDT",
    interval: "1h",
    length,
    openTime: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
  const t0 = Number(rows[0][0]);
  for (let i = 0; i < length; i++) {
    const copy = Math.floor(i / n);
    const back = copy % 2 === 1;
    const r = rows[back ? n - 1 - (i % n) : i % n];
    s.openTime[i] = t0 + i * HOUR;
    s.open[i] = Number(back ? r[4] : r[1]);
    s.close[i] = Number(back ? r[1] : r[4]);
    s.high[i] = Number(r[2]);
    s.low[i] = Number(r[3]);
    s.volume[i] = Number(r[5]);
  }
  return s;
}

/** Our streaming classes over the benchmark set; returns the last EMA200 (nothing is optimised away). */
export function ours(s: CandleSeries): number {
  const rsi = new Rsi(14), e20 = new Ema(20), e50 = new Ema(50), e200 = new Ema(200);
  const macd = new Macd(12, 26, 9), atr = new Atr(14), bb = new Bollinger(20, 2);
  const { high, low, close } = s;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = close[i];
    const r = rsi.update(c);
    const a = e20.update(c) + e50.update(c) + e200.update(c);
    const m = macd.update(c);
    const t = atr.update(high[i], low[i], c);
    const b = bb.update(c);
    sum += r + a + m.histogram + t + b.upper;
  }
  return sum !== 0 ? e200.current : NaN;
}

/** Our streaming IndicatorSet (all 13 outputs, also VWAP and volume average), as the analyzer runs it. */
export function oursSet(s: CandleSeries): number {
  const set = new IndicatorSet();
  const { openTime, high, low, close, volume } = s;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const f = set.update(openTime[i], high[i], low[i], close[i], volume[i]);
    sum += f.rsi14 + f.ema200 + f.macdHist + f.atr14 + f.bbUpper + f.vwap + f.volumeAvg20;
  }
  return sum;
}

/** The same set with npm trading-signals (its EMA, Wilder RSI/ATR, MACD of EMAs, Bollinger). */
export function theirs(s: CandleSeries): number {
  const rsi = new TsRSI(14), e20 = new TsEMA(20), e50 = new TsEMA(50), e200 = new TsEMA(200);
  const macd = new TsMACD(new TsEMA(12), new TsEMA(26), new TsEMA(9));
  const atr = new TsATR(14), bb = new TsBB(20, 2);
  const { high, low, close } = s;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = close[i];
    const r = rsi.update(c, false) ?? 0;
    const a = e20.update(c, false) + e50.update(c, false) + e200.update(c, false);
    const m = macd.update(c, false);
    const t = atr.update({ high: high[i], low: low[i], close: c }, false) ?? 0;
    const b = bb.update(c, false);
    sum += r + a + (m?.histogram ?? 0) + t + (b?.upper ?? 0);
  }
  return sum !== 0 ? e200.getResultOrThrow() : NaN;
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Wall time of one call in ms. */
function once(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** Median wall time (ms) of `runs` calls after `warm` untimed ones. */
function time(fn: () => unknown, warm: number, runs: number): number {
  for (let i = 0; i < warm; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(once(fn));
  return median(ms);
}

/**
 * Runs the benchmark and returns its figures. Ours and trading-signals run alternately (after
 * warm-up), so both see the same machine load; the speed-up is the median of the per-round ratios.
 */
export async function benchIndicators(
  candles = 1_000_000,
  rounds = 7,
): Promise<Record<string, number | string>> {
  const rows = JSON.parse(await Deno.readTextFile(FIXTURE)) as (string | number)[][];
  const s = pingPongSeries(rows, candles);
  for (let i = 0; i < 3; i++) ours(s);
  theirs(s);
  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = once(() => ours(s));
    const b = once(() => theirs(s));
    oursMs.push(a);
    theirsMs.push(b);
    ratios.push(b / a);
  }
  const setMs = time(() => oursSet(s), 3, rounds);
  const batchMs = time(() => computeIndicators(s), 2, 5);
  // Same work check: after a million bars both EMA200s have forgotten their (different) seeds.
  const ea = ours(s);
  const eb = theirs(s);
  const r = (x: number) => Math.round(x * 10) / 10;
  const ourMedian = median(oursMs);
  return {
    "indicators.candles": candles,
    "indicators.set": "RSI14 EMA20/50/200 MACD(12,26,9) ATR14 BB(20,2)",
    "indicators.ours_ms": r(ourMedian),
    "indicators.ours_min_ms": r(Math.min(...oursMs)),
    "indicators.ours_target_ms": 100,
    "indicators.ours_candles_per_s": Math.round(candles / (ourMedian / 1000)),
    "indicators.trading_signals_ms": r(median(theirsMs)),
    "indicators.speedup_vs_trading_signals": r(median(ratios)),
    "indicators.speedup_target": 20,
    "indicators.indicator_set_stream_ms": r(setMs),
    "indicators.compute_indicators_batch_ms": r(batchMs),
    "indicators.ema200_last_rel_diff": Math.abs(ea - eb) / Math.abs(eb),
  };
}

if (import.meta.main) {
  for (const [k, v] of Object.entries(await benchIndicators())) console.log(`${k}: ${v}`);
}

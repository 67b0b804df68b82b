/** Batch functions give exactly the numbers of the streaming classes (real data, === per value). */

import assert from "node:assert/strict";
import {
  Atr,
  atr,
  Bollinger,
  bollinger,
  computeIndicators,
  Ema,
  ema,
  INDICATOR_FIELDS,
  IndicatorSet,
  Macd,
  macd,
  Rsi,
  rsi,
  Sma,
  sma,
  VolumeAverage,
  volumeAverage,
  Vwap,
  vwap,
} from "../../shared/indicators/mod.ts";
import { readBinanceSeries } from "./fixture_series.ts";

const s = readBinanceSeries("BTCUSDT-1h-2024.json");
const n = s.length;

/** Same number: both NaN, or ===. */
function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function assertSameSeries(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!same(got[i], want[i])) assert.fail(`${what}[${i}]: ${got[i]} !== ${want[i]}`);
  }
}

function stream(step: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = step(i);
  return out;
}

Deno.test("sma, ema, rsi, atr, volumeAverage and vwap batch == streaming for several periods", () => {
  for (const p of [1, 2, 5, 14, 20, 50, 200]) {
    const a = new Sma(p);
    assertSameSeries(sma(s.close, p), stream((i) => a.update(s.close[i])), `sma(${p})`);
    const e = new Ema(p);
    assertSameSeries(ema(s.close, p), stream((i) => e.update(s.close[i])), `ema(${p})`);
    const v = new VolumeAverage(p);
    assertSameSeries(
      volumeAverage(s.volume, p),
      stream((i) => v.update(s.volume[i])),
      `volumeAverage(${p})`,
    );
  }
  for (const p of [2, 9, 14, 30]) {
    const r = new Rsi(p);
    assertSameSeries(rsi(s.close, p), stream((i) => r.update(s.close[i])), `rsi(${p})`);
    const t = new Atr(p);
    assertSameSeries(
      atr(s.high, s.low, s.close, p),
      stream((i) => t.update(s.high[i], s.low[i], s.close[i])),
      `atr(${p})`,
    );
  }
  const w = new Vwap();
  assertSameSeries(
    vwap(s.openTime, s.high, s.low, s.close, s.volume),
    stream((i) => w.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i])),
    "vwap",
  );
});

Deno.test("macd and bollinger batch == streaming for each output", () => {
  for (const [f, sl, sg] of [[12, 26, 9], [5, 35, 5], [3, 4, 1]]) {
    const m = new Macd(f, sl, sg);
    const want = {
      macd: new Float64Array(n),
      signal: new Float64Array(n),
      histogram: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      const v = m.update(s.close[i]);
      want.macd[i] = v.macd;
      want.signal[i] = v.signal;
      want.histogram[i] = v.histogram;
    }
    const got = macd(s.close, f, sl, sg);
    for (const k of ["macd", "signal", "histogram"] as const) {
      assertSameSeries(got[k], want[k], `macd(${f},${sl},${sg}).${k}`);
    }
  }
  for (const [p, k] of [[20, 2], [10, 1.5], [2, 3]]) {
    const b = new Bollinger(p, k);
    const want = {
      upper: new Float64Array(n),
      middle: new Float64Array(n),
      lower: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      const v = b.update(s.close[i]);
      want.upper[i] = v.upper;
      want.middle[i] = v.middle;
      want.lower[i] = v.lower;
    }
    const got = bollinger(s.close, p, k);
    for (const key of ["upper", "middle", "lower"] as const) {
      assertSameSeries(got[key], want[key], `bollinger(${p},${k}).${key}`);
    }
  }
});

Deno.test("computeIndicators == IndicatorSet streaming == the single-indicator batch functions", () => {
  const batch = computeIndicators(s);
  const set = new IndicatorSet();
  const streamed = Object.fromEntries(INDICATOR_FIELDS.map((k) => [k, new Float64Array(n)]));
  for (let i = 0; i < n; i++) {
    const f = set.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    for (const k of INDICATOR_FIELDS) streamed[k][i] = f[k];
  }
  for (const k of INDICATOR_FIELDS) assertSameSeries(batch[k], streamed[k], `set.${k}`);

  const m = macd(s.close, 12, 26, 9);
  const bb = bollinger(s.close, 20, 2);
  const single: Record<string, Float64Array> = {
    rsi14: rsi(s.close, 14),
    ema20: ema(s.close, 20),
    ema50: ema(s.close, 50),
    ema200: ema(s.close, 200),
    macd: m.macd,
    macdSignal: m.signal,
    macdHist: m.histogram,
    atr14: atr(s.high, s.low, s.close, 14),
    bbUpper: bb.upper,
    bbMiddle: bb.middle,
    bbLower: bb.lower,
    vwap: vwap(s.openTime, s.high, s.low, s.close, s.volume),
    volumeAvg20: volumeAverage(s.volume, 20),
  };
  for (const k of INDICATOR_FIELDS) assertSameSeries(batch[k], single[k], `single.${k}`);
});

Deno.test("IndicatorSet.update returns the same mutable frame object every call", () => {
  const set = new IndicatorSet();
  const a = set.update(s.openTime[0], s.high[0], s.low[0], s.close[0], s.volume[0]);
  const vwap0 = a.vwap;
  const b = set.update(s.openTime[1], s.high[1], s.low[1], s.close[1], s.volume[1]);
  assert.equal(a, b);
  assert.notEqual(b.vwap, vwap0);
});

Deno.test("batch functions reject columns of different lengths", () => {
  assert.throws(() => atr(s.high, s.low.subarray(1), s.close), /same length/);
  assert.throws(
    () => vwap(s.openTime, s.high, s.low, s.close, s.volume.subarray(2)),
    /same length/,
  );
});

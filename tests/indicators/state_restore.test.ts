/** Snapshot (toState → JSON → fromState) and continue gives exactly the uninterrupted values. */

import assert from "node:assert/strict";
import {
  Atr,
  Bollinger,
  Ema,
  INDICATOR_FIELDS,
  IndicatorSet,
  Macd,
  RollingWindow,
  Rsi,
  Sma,
  VolumeAverage,
  Vwap,
} from "../../shared/indicators/mod.ts";
import type { CandleSeries } from "../../shared/candles/types.ts";
import { readBinanceSeries } from "./fixture_series.ts";

/** A streaming indicator under test: how to make it, feed bar i, save and restore it. */
interface Subject {
  name: string;
  make(): unknown;
  step(ind: unknown, s: CandleSeries, i: number): number[];
  save(ind: unknown): unknown;
  load(state: unknown): unknown;
}

// deno-lint-ignore no-explicit-any
type Any = any;

function subject(
  name: string,
  make: () => Any,
  step: (ind: Any, s: CandleSeries, i: number) => number[],
  load: (state: unknown) => Any,
): Subject {
  return { name, make, step, save: (ind: Any) => ind.toState(), load };
}

const SUBJECTS: Subject[] = [
  subject("Sma(20)", () => new Sma(20), (x, s, i) => [x.update(s.close[i])], Sma.fromState),
  subject("Sma(7)", () => new Sma(7), (x, s, i) => [x.update(s.close[i])], Sma.fromState),
  subject("Ema(50)", () => new Ema(50), (x, s, i) => [x.update(s.close[i])], Ema.fromState),
  subject("Rsi(14)", () => new Rsi(14), (x, s, i) => [x.update(s.close[i])], Rsi.fromState),
  subject(
    "Atr(14)",
    () => new Atr(14),
    (x, s, i) => [x.update(s.high[i], s.low[i], s.close[i])],
    Atr.fromState,
  ),
  subject("Macd(12,26,9)", () => new Macd(), (x, s, i) => {
    const v = x.update(s.close[i]);
    return [v.macd, v.signal, v.histogram];
  }, Macd.fromState),
  subject("Bollinger(20,2)", () => new Bollinger(), (x, s, i) => {
    const v = x.update(s.close[i]);
    return [v.upper, v.middle, v.lower];
  }, Bollinger.fromState),
  subject("RollingWindow(13)", () => new RollingWindow(13), (x, s, i) => {
    x.push(s.close[i]);
    const m = x.mean();
    return [m, x.variance(m)];
  }, RollingWindow.fromState),
  subject(
    "Vwap",
    () => new Vwap(),
    (x, s, i) => [x.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i])],
    Vwap.fromState,
  ),
  subject(
    "VolumeAverage(20)",
    () => new VolumeAverage(),
    (x, s, i) => [x.update(s.volume[i])],
    VolumeAverage.fromState,
  ),
  subject("IndicatorSet", () => new IndicatorSet(), (x, s, i) => {
    const f = x.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    return INDICATOR_FIELDS.map((k) => f[k]);
  }, IndicatorSet.fromState),
];

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

const series = readBinanceSeries("BTCUSDT-1h-2024.json");

/** Bars at which to snapshot: every warm-up edge plus random bars. */
function snapshotBars(seed: number, n: number): Set<number> {
  const bars = new Set([0, 1, 2, 12, 13, 14, 15, 19, 20, 21, 25, 26, 33, 34, 39, 40, 199, 200]);
  const r = rng(seed);
  for (let k = 0; k < 40; k++) bars.add(Math.floor(r() * n));
  return bars;
}

for (const sub of SUBJECTS) {
  Deno.test(`${sub.name}: restoring a JSON snapshot at any bar continues bit-identically`, () => {
    const n = series.length;
    const ref = sub.make();
    const want: number[][] = [];
    for (let i = 0; i < n; i++) want.push(sub.step(ref, series, i));

    // One run that is saved, JSON round-tripped and restored at every snapshot bar.
    const bars = snapshotBars(0xC0FFEE + sub.name.length, n);
    let ind = sub.make();
    for (let i = 0; i < n; i++) {
      if (bars.has(i)) {
        const json = JSON.stringify(sub.save(ind));
        assert.ok(!json.includes("NaN"), "state JSON holds no NaN");
        ind = sub.load(JSON.parse(json));
        assert.equal(
          JSON.stringify(sub.save(ind)),
          json,
          `${sub.name}: state at bar ${i} survives`,
        );
      }
      const got = sub.step(ind, series, i);
      for (let k = 0; k < got.length; k++) {
        if (!same(got[k], want[i][k])) {
          assert.fail(`${sub.name} output ${k} at bar ${i}: ${got[k]} !== ${want[i][k]}`);
        }
      }
    }
  });
}

Deno.test("restored state from a different history but the same window continues identically", () => {
  // The rolling window depends only on its last `period` values and the bar index mod period,
  // not on older values: two windows with different pasts agree once they share the last 20 values.
  const a = new RollingWindow(20);
  const b = new RollingWindow(20);
  for (let i = 0; i < 1000; i++) a.push(1e9 + i * 1e5); // huge, drifting values
  for (let i = 0; i < 40; i++) b.push(i % 3);
  for (let i = 0; i < 20; i++) {
    a.push(series.close[i]);
    b.push(series.close[i]);
  }
  for (let i = 20; i < 500; i++) {
    a.push(series.close[i]);
    b.push(series.close[i]);
    const ma = a.mean();
    assert.equal(ma, b.mean(), `mean at ${i}`);
    assert.equal(a.variance(ma), b.variance(ma), `variance at ${i}`);
  }
});

Deno.test("IndicatorSet state equals the states of the individual indicators fed the same bars", () => {
  // The set switches to a fused step after warm-up; its snapshot must still be the classes' state.
  const set = new IndicatorSet();
  const rsi = new Rsi(14), e20 = new Ema(20), e50 = new Ema(50), e200 = new Ema(200);
  const macd = new Macd(12, 26, 9), atr = new Atr(14), bb = new Bollinger(20, 2);
  const vwap = new Vwap(), vol = new VolumeAverage(20);
  const s = series;
  for (let i = 0; i < 3000; i++) {
    set.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    rsi.update(s.close[i]);
    e20.update(s.close[i]);
    e50.update(s.close[i]);
    e200.update(s.close[i]);
    macd.update(s.close[i]);
    atr.update(s.high[i], s.low[i], s.close[i]);
    bb.update(s.close[i]);
    vwap.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    vol.update(s.volume[i]);
    if (i === 10 || i === 198 || i === 199 || i === 200 || i === 2999) {
      assert.deepEqual(set.toState(), {
        v: 1,
        rsi14: rsi.toState(),
        ema20: e20.toState(),
        ema50: e50.toState(),
        ema200: e200.toState(),
        macd: macd.toState(),
        atr14: atr.toState(),
        bollinger: bb.toState(),
        vwap: vwap.toState(),
        volumeAvg20: vol.toState(),
      }, `bar ${i}`);
    }
  }
});

Deno.test("fromState rejects a set whose EMA200 is warm while another indicator is not", () => {
  const set = new IndicatorSet();
  const s = series;
  for (let i = 0; i < 250; i++) {
    set.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
  }
  const state = set.toState();
  state.rsi14 = new Rsi(14).toState();
  assert.throws(() => IndicatorSet.fromState(state), /EMA200 is warm but another indicator is not/);
});

Deno.test("fromState rejects malformed states with a one-line message", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => Ema.fromState(null), /invalid indicator state: EMA must be an object/],
    [() => Ema.fromState({ period: 0, count: 0, sum: 0, value: null }), /EMA period/],
    [() => Rsi.fromState({ period: 14, count: -1, prev: 1, gain: 0, loss: 0 }), /RSI count/],
    [
      () => Atr.fromState({ period: 14, count: 3, prevClose: "x", sum: 0, value: null }),
      /prevClose/,
    ],
    [() => Sma.fromState({ period: 3, count: 5, window: [1, 2] }), /does not match its count/],
    [() => Bollinger.fromState({ k: 2, window: "nope" }), /rolling window must be an object/],
    [() => IndicatorSet.fromState({ v: 2 }), /unsupported version 2/],
    [() => IndicatorSet.fromState([]), /indicator set must be an object/],
  ];
  for (const [fn, re] of cases) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  }
  const s = new IndicatorSet().toState();
  s.ema20 = new Ema(21).toState();
  assert.throws(() => IndicatorSet.fromState(s), /ema20 period is 21, expected 20/);
});

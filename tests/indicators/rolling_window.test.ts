/** Rolling mean/variance: exact to rounding, no drift, and TA-Lib-consistent Bollinger/SMA on real data. */

import assert from "node:assert/strict";
import { bollinger, RollingWindow, sma } from "../../shared/indicators/mod.ts";
import { readBinanceSeries } from "./fixture_series.ts";

const SCALE = 2 ** 60;

/**
 * Exact mean and population variance of the given doubles (each is an integer multiple of 2^-60 when
 * ≥ 1/256, so scaling by 2^60 makes them exact BigInts), each rounded to double at the end.
 */
function exactStats(xs: ArrayLike<number>): { mean: number; variance: number } {
  const n = BigInt(xs.length);
  let s = 0n;
  let q = 0n;
  for (let i = 0; i < xs.length; i++) {
    const x = BigInt(xs[i] * SCALE);
    s += x;
    q += x * x;
  }
  return {
    mean: Number(s) / Number(n) / SCALE,
    variance: Number(n * q - s * s) / Number(n * n) / SCALE / SCALE,
  };
}

Deno.test("a value far larger than the rest leaves no trace once it is out of the window", () => {
  const w = new RollingWindow(20);
  const vals: number[] = [];
  for (let i = 0; i < 200; i++) {
    const x = i === 57 ? 1e15 : 1.25 + (i % 7) * 0.01;
    vals.push(x);
    w.push(x);
    if (i >= 57 + 20) {
      const win = vals.slice(-20);
      const mean = win.reduce((a, b) => a + b, 0) / 20;
      const m = w.mean();
      assert.ok(Math.abs(m - mean) <= 1e-15 * 4, `mean at ${i}: ${m} vs ${mean}`);
      const v = win.reduce((a, b) => a + (b - mean) ** 2, 0) / 20;
      assert.ok(Math.abs(w.variance(m) - v) <= 1e-15, `variance at ${i}`);
    }
  }
});

Deno.test("after a million values the window is as exact as after a hundred (no drift)", () => {
  const w = new RollingWindow(20);
  const win: number[] = [];
  let k = 4_200_000; // price in cents, random-walk-like but deterministic
  let worstMean = 0;
  let worstVar = 0;
  for (let i = 0; i < 1_000_000; i++) {
    k += ((i * 7919) % 201) - 100;
    w.push(k / 100);
    if (i >= 999_000 || (i >= 19 && i < 1019)) {
      win.push(k / 100);
      if (win.length > 20) win.shift();
      if (win.length === 20) {
        const ex = exactStats(win);
        const m = w.mean();
        worstMean = Math.max(worstMean, Math.abs(m - ex.mean) / ex.mean);
        worstVar = Math.max(worstVar, Math.abs(w.variance(m) - ex.variance) / ex.variance);
      }
    } else win.length = 0;
  }
  assert.ok(worstMean <= 4e-16, `mean relative error ${worstMean}`);
  assert.ok(worstVar <= 1e-14, `variance relative error ${worstVar}`);
});

Deno.test("SMA, variance and Bollinger bands on real data match exact arithmetic to a few ulps", () => {
  const s = readBinanceSeries("BTCUSDT-1h-2024.json");
  const mid = sma(s.close, 20);
  const bb = bollinger(s.close, 20, 2);
  const w = new RollingWindow(20);
  let worstMean = 0;
  let worstVar = 0;
  let worstBand = 0;
  for (let i = 0; i < s.length; i++) {
    w.push(s.close[i]);
    if (i < 19) continue;
    const ex = exactStats(s.close.subarray(i - 19, i + 1));
    worstMean = Math.max(worstMean, Math.abs(mid[i] - ex.mean) / ex.mean);
    worstVar = Math.max(worstVar, Math.abs(w.variance(w.mean()) - ex.variance) / ex.variance);
    const upper = ex.mean + 2 * Math.sqrt(ex.variance);
    worstBand = Math.max(worstBand, Math.abs(bb.upper[i] - upper) / upper);
  }
  assert.ok(worstMean <= 4e-16, `SMA relative error ${worstMean}`);
  assert.ok(worstVar <= 1e-14, `variance relative error ${worstVar}`);
  assert.ok(worstBand <= 8e-16, `upper band relative error ${worstBand}`);
});

Deno.test("a window of period 1 is the latest value with variance 0", () => {
  const w = new RollingWindow(1);
  for (const x of [3, 1e10, -2.5]) {
    w.push(x);
    assert.equal(w.mean(), x);
    assert.equal(w.variance(x), 0);
  }
});

Deno.test("constructors reject bad periods with a clear message", () => {
  assert.throws(() => new RollingWindow(0), /window period must be an integer ≥ 1, got 0/);
  assert.throws(() => sma(new Float64Array(3), 2.5), /must be an integer/);
});

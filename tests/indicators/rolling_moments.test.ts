/** Rolling window fused steps: pushMoments equals push + moments, NaN in warm-up, exact on real data. */

import assert from "node:assert/strict";
import { Macd, RollingWindow, Rsi } from "../../shared/indicators/mod.ts";
import { readBinanceSeries } from "./fixture_series.ts";

const series = readBinanceSeries("BTCUSDT-1h-2024.json");

Deno.test("pushMoments gives the same numbers as push then moments, NaN until the window is full", () => {
  for (const period of [1, 2, 20, 37]) {
    const fused = new RollingWindow(period);
    const split = new RollingWindow(period);
    for (let i = 0; i < 2000; i++) {
      const x = series.close[i];
      fused.pushMoments(x);
      split.push(x);
      split.moments();
      assert.ok(Object.is(fused.lastMean, split.lastMean), `period ${period} mean at ${i}`);
      assert.ok(Object.is(fused.lastVariance, split.lastVariance), `period ${period} var at ${i}`);
      if (i < period - 1) {
        assert.ok(Number.isNaN(fused.lastMean) && Number.isNaN(fused.lastVariance), `warm-up ${i}`);
      } else {
        assert.equal(fused.lastMean, split.mean(), `period ${period} mean() at ${i}`);
        const v = split.variance(split.mean());
        assert.ok(Math.abs(fused.lastVariance - v) <= 1e-12 * v + 1e-300, `variance at ${i}`);
      }
    }
  }
});

Deno.test("a restored window continues pushMoments bit-identically", () => {
  const a = new RollingWindow(20);
  for (let i = 0; i < 333; i++) a.pushMoments(series.close[i]);
  const b = RollingWindow.fromState(JSON.parse(JSON.stringify(a.toState())));
  for (let i = 333; i < 1000; i++) {
    a.pushMoments(series.close[i]);
    b.pushMoments(series.close[i]);
    assert.ok(
      Object.is(a.lastMean, b.lastMean) && Object.is(a.lastVariance, b.lastVariance),
      `${i}`,
    );
  }
});

Deno.test("RSI and MACD restored after warm-up continue with the same numbers as an uninterrupted run", () => {
  const r = new Rsi(14);
  const m = new Macd(12, 26, 9);
  for (let i = 0; i < 500; i++) {
    r.update(series.close[i]);
    m.update(series.close[i]);
  }
  const r2 = Rsi.fromState(JSON.parse(JSON.stringify(r.toState())));
  const m2 = Macd.fromState(JSON.parse(JSON.stringify(m.toState())));
  for (let i = 500; i < 1500; i++) {
    const x = series.close[i];
    assert.ok(Object.is(r.update(x), r2.update(x)), `rsi at ${i}`);
    const a = m.update(x);
    const b = m2.update(x);
    assert.ok(
      Object.is(a.macd, b.macd) && Object.is(a.signal, b.signal) &&
        Object.is(a.histogram, b.histogram),
      `macd at ${i}`,
    );
  }
});

/**
 * The higher-timeframe trend: on real 1h data it equals an independent roll-up to 4h buckets
 * (shared/backtest/resample.ts) with EMA 20/50 of their closes, each stepped with the current close;
 * restoring its state mid-stream continues exactly.
 */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { resampleSeries } from "../../shared/backtest/resample.ts";
import { ema, emaStep } from "../../shared/indicators/ema.ts";
import { HtfTrend } from "../../shared/signals/htf_trend.ts";
import { fixtureSeries } from "../support/fixtures.ts";

const series = { ...fixtureSeries("BTCUSDT-1h-2024.json"), interval: "1h" as const };
const OPTS = { factor: 4, fast: 20, slow: 50 };

Deno.test("HTF trend equals EMA 20/50 of 4h roll-ups, stepped with the developing close", () => {
  const h4 = resampleSeries(series, "4h");
  const fast = ema(h4.close, 20);
  const slow = ema(h4.close, 50);
  const bucketOf = new Map<number, number>();
  for (let k = 0; k < h4.length; k++) bucketOf.set(h4.openTime[k], k);
  const t = new HtfTrend(OPTS);
  let ups = 0;
  let downs = 0;
  for (let i = 0; i < series.length; i++) {
    t.update(series.openTime[i], series.close[i]);
    const got = t.trend();
    const k = bucketOf.get(Math.floor(series.openTime[i] / 14_400_000) * 14_400_000);
    assert(k !== undefined, `bar ${i} has no bucket`);
    // Completed buckets are 0..k-1; the developing one is k.
    let want = 0;
    if (k >= 50) {
      const f = emaStep(fast[k - 1], series.close[i], 2 / 21);
      const s = emaStep(slow[k - 1], series.close[i], 2 / 51);
      want = f > s ? 1 : f < s ? -1 : 0;
    }
    assertEquals(got, want, `bar ${i}`);
    if (got > 0) ups++;
    if (got < 0) downs++;
  }
  assert(ups > 1000 && downs > 1000, `${ups} up, ${downs} down`);
});

Deno.test("HTF trend: state saved mid-stream restores and continues identically", () => {
  const a = new HtfTrend(OPTS);
  const full: number[] = [];
  const step = (h: HtfTrend, i: number) => {
    h.update(series.openTime[i], series.close[i]);
    return h.trend();
  };
  for (let i = 0; i < series.length; i++) full.push(step(a, i));
  for (const cut of [1, 2, 333, 4001]) {
    const b = new HtfTrend(OPTS);
    const out: number[] = [];
    for (let i = 0; i < cut; i++) out.push(step(b, i));
    const c = HtfTrend.fromState(JSON.parse(JSON.stringify(b.toState())), OPTS);
    for (let i = cut; i < series.length; i++) out.push(step(c, i));
    assertEquals(out, full, `cut at ${cut}`);
  }
});

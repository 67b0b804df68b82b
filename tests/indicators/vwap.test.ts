/** Session VWAP: typical price weighted by volume, reset at 00:00 UTC (hand-checked). */

import assert from "node:assert/strict";
import { Vwap, vwap } from "../../shared/indicators/mod.ts";
import { readBinanceSeries } from "./fixture_series.ts";

const H = 3_600_000;
const MIDNIGHT = Date.UTC(2024, 0, 2); // 2024-01-02T00:00Z

Deno.test("VWAP accumulates typical price × volume within a UTC day and resets at midnight", () => {
  const v = new Vwap();
  // 22:00 and 23:00 on Jan 1: typical prices 10 and 20 (h+l+c)/3, volumes 1 and 3.
  assert.equal(v.update(MIDNIGHT - 2 * H, 12, 8, 10, 1), 10);
  assert.equal(v.update(MIDNIGHT - H, 21, 18, 21, 3), (10 * 1 + 20 * 3) / 4); // 17.5
  // 00:00 on Jan 2 starts a new session: only this bar counts.
  assert.equal(v.update(MIDNIGHT, 33, 27, 30, 2), 30);
  // 01:00: (30·2 + 40·2) / 4 = 35.
  assert.equal(v.update(MIDNIGHT + H, 42, 39, 39, 2), 35);
});

Deno.test("VWAP of a session with no volume yet is the latest typical price", () => {
  const v = new Vwap();
  assert.equal(v.update(MIDNIGHT, 12, 6, 9, 0), 9);
  assert.equal(v.update(MIDNIGHT + H, 15, 9, 12, 0), 12);
  assert.equal(v.update(MIDNIGHT + 2 * H, 30, 30, 30, 5), 30);
  assert.equal(v.update(MIDNIGHT + 3 * H, 0, 0, 0, 0), 30, "a zero-volume bar does not move VWAP");
});

Deno.test("VWAP on real 1h data equals a per-day recomputation and resets on every 00:00 bar", () => {
  const s = readBinanceSeries("BTCUSDT-1h-2024.json");
  const got = vwap(s.openTime, s.high, s.low, s.close, s.volume);
  let resets = 0;
  for (let i = 0; i < s.length; i++) {
    const dayStart = Math.floor(s.openTime[i] / 86_400_000) * 86_400_000;
    if (s.openTime[i] === dayStart) {
      resets++;
      const tp = (s.high[i] + s.low[i] + s.close[i]) / 3;
      assert.ok(
        Math.abs(got[i] - tp) <= 1e-15 * tp,
        `first bar of day at ${i}: ${got[i]} vs ${tp}`,
      );
    }
    let pv = 0;
    let vol = 0;
    for (let j = i; j >= 0 && s.openTime[j] >= dayStart; j--) {
      pv += ((s.high[j] + s.low[j] + s.close[j]) / 3) * s.volume[j];
      vol += s.volume[j];
    }
    assert.ok(Math.abs(got[i] - pv / vol) <= 1e-12 * got[i], `bar ${i}`);
  }
  assert.equal(resets, 366);
});

/**
 * Every Wyckoff event carries the trading range it was measured against: the range active when its
 * bar arrived, with the event's level on the matching side (support for spring/SOW, resistance for
 * upthrust/SOS) and its first pivot before the event. Real data: BTCUSDT 1h 2024.
 */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { IndicatorSet } from "../../shared/indicators/set.ts";
import { PivotDetector } from "../../shared/patterns/pivots.ts";
import { WyckoffTracker } from "../../shared/patterns/wyckoff.ts";
import { fixtureSeries } from "../support/fixtures.ts";

Deno.test("Wyckoff events carry the range active at their bar", () => {
  const s = fixtureSeries("BTCUSDT-1h-2024.json");
  const ind = new IndicatorSet();
  const pivots = new PivotDetector();
  const tracker = new WyckoffTracker();
  let events = 0;
  for (let i = 0; i < s.length; i++) {
    const f = ind.update(s.openTime[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    const changed = pivots.update(i, s.openTime[i], s.high[i], s.low[i], f.atr14);
    const before = tracker.range ? { ...tracker.range } : null;
    const fresh = tracker.update(
      {
        index: i,
        time: s.openTime[i],
        open: s.open[i],
        high: s.high[i],
        low: s.low[i],
        close: s.close[i],
        volume: s.volume[i],
        atr: f.atr14,
        volumeAvg: f.volumeAvg20,
        emaFast: f.ema50,
        emaSlow: f.ema200,
      },
      pivots.pivots,
      changed,
    );
    for (const e of fresh) {
      events++;
      assert(before !== null && e.range !== undefined, `event at bar ${i} without a range`);
      assertEquals({ ...e.range }, before);
      const side = e.kind === "spring" || e.kind === "sow" ? before.support : before.resistance;
      assertEquals(e.level, side);
      assert(e.range.startIndex < e.index);
    }
  }
  assert(events > 50, `only ${events} events`);
});

/**
 * The single-trade path used by the random-entry baseline follows exactly the engine's fill rules:
 * on real data, every signal traded alone by `simulate` gives the same R and targets as
 * `tradeOutcome`, under several exit settings.
 */

import { assert, assertAlmostEquals, assertEquals } from "../backtest/assert.ts";
import { parseBacktestSettings } from "../../shared/backtest/settings.ts";
import { simulate, type TradableSignal } from "../../shared/backtest/simulate.ts";
import { tradeOutcome } from "../../shared/backtest/trade_outcome.ts";
import { atr14Of } from "../../shared/backtest/classic_baselines.ts";
import { SeededRandom } from "../../shared/backtest/prng.ts";
import { fixtureSeries } from "../support/fixtures.ts";
import { bars, long, noCosts } from "../backtest/bars.ts";

const series = fixtureSeries("BTCUSDT-1h-2024.json");
const atr = atr14Of(series);

/** 300 random signals with random ATR geometry, long and short. */
function randomSignals(seed: number): TradableSignal[] {
  const rng = new SeededRandom(seed);
  const out: TradableSignal[] = [];
  while (out.length < 300) {
    const i = 20 + rng.int(series.length - 30);
    const side = rng.next() < 0.5 ? 1 : -1;
    const stop = 0.5 + 3 * rng.next();
    const t1 = 0.3 + 3 * rng.next();
    const e = series.close[i];
    const a = atr[i];
    out.push({
      index: i,
      time: series.openTime[i],
      direction: side === 1 ? "long" : "short",
      entry: e,
      stopLoss: e - side * stop * a,
      takeProfits: [e + side * t1 * a, e + side * (t1 + 1) * a, e + side * (t1 + 3) * a],
      confidence: 0.5,
    });
  }
  return out;
}

for (
  const [label, over] of [
    ["default costs and exits", {}],
    ["no break-even, scale-out 0.5/0.5/0", { breakEvenAfterTp1: false, scaleOut: [0.5, 0.5, 0] }],
    ["time stop after 12 bars, all at TP1", { timeStopBars: 12, scaleOut: [1, 0, 0] }],
    ["high costs", { feeRate: 0.005, slippageBps: 30 }],
  ] as const
) {
  Deno.test(`tradeOutcome equals the engine trading the signal alone (${label})`, () => {
    const settings = parseBacktestSettings(over);
    let compared = 0;
    let skipped = 0;
    for (const s of randomSignals(7)) {
      const end = Math.min(series.length, s.index + 400);
      const sim = simulate(series, [s], settings, { start: s.index, end });
      const o = tradeOutcome(series, s, s.index + 1, end, settings);
      if (sim.trades.length === 0) {
        assertEquals(o, null, `bar ${s.index}: engine skipped (${sim.skipped[0]?.reason})`);
        skipped++;
        continue;
      }
      assert(o !== null, `bar ${s.index}: engine traded, tradeOutcome skipped`);
      const t = sim.trades[0];
      assertAlmostEquals(o.r, t.r, 1e-9);
      assertEquals([o.targetsHit, o.exitIndex], [t.targetsHit, t.exitIndex], `bar ${s.index}`);
      compared++;
    }
    assert(compared > 250, `only ${compared} trades compared (${skipped} skipped)`);
  });
}

Deno.test("tradeOutcome skips an entry that gaps beyond the stop or TP1, like the engine", () => {
  const s = bars([[100, 101, 99, 100], [94, 95, 93, 94], [94, 95, 93, 94]]);
  assertEquals(tradeOutcome(s, long(0), 1, 3, noCosts()), null);
  const g = bars([[100, 101, 99, 100], [111, 112, 110, 111], [111, 112, 110, 111]]);
  assertEquals(tradeOutcome(g, long(0), 1, 3, noCosts()), null);
});

/** Each metric's formula on small hand-checked equity series and trade lists. */

import { calibrationTable } from "../../shared/backtest/calibration.ts";
import { maxDrawdown } from "../../shared/backtest/drawdown.ts";
import {
  computeMetrics,
  median,
  sharpeSortino,
  tradeStats,
} from "../../shared/backtest/metrics.ts";
import type { SimulationResult, Trade } from "../../shared/backtest/types.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";

/** A trade with only the fields the statistics read. */
function trade(r: number, over: Partial<Trade> = {}): Trade {
  return {
    direction: "long",
    signalIndex: 0,
    signalTime: 0,
    confidence: 0.7,
    entryIndex: 1,
    entryTime: 0,
    entryPrice: 100,
    stopLoss: 90,
    takeProfits: [120, 130, 140],
    quantity: 10,
    riskPerUnit: 10,
    riskAmount: 100,
    equityBefore: 10_000,
    fills: [],
    exitIndex: 2,
    exitTime: 0,
    exitReason: "stop",
    targetsHit: 0,
    grossPnl: r * 100 + 1,
    fees: 1,
    netPnl: r * 100,
    r,
    barsHeld: 4,
    ...over,
  };
}

Deno.test("trade statistics: win rate, average and median R, profit factor, losing streak", () => {
  const list = [trade(2), trade(-1), trade(-1), trade(0.5), trade(-1, { direction: "short" })];
  const s = tradeStats(list);
  assertEquals([s.trades, s.wins, s.losses], [5, 2, 3]);
  assertAlmostEquals(s.winRate!, 0.4);
  assertAlmostEquals(s.avgR!, -0.1);
  assertAlmostEquals(s.expectancyR!, 0.4 * 1.25 - 0.6 * 1); // winRate·avgWin − lossRate·avgLoss
  assertEquals(s.medianR, -1);
  assertAlmostEquals(s.profitFactor!, 250 / 300);
  assertEquals(s.longestLosingStreak, 2);
  assertAlmostEquals(s.netPnl, -50);
  assertAlmostEquals(s.fees, 5);
  assertEquals(s.avgHoldingBars, 4);
  assertEquals(tradeStats(list, "short").trades, 1);
  assertEquals(tradeStats(list, "long").longestLosingStreak, 2);
});

Deno.test("profit factor is null without losing trades and stats are null without trades", () => {
  assertEquals(tradeStats([trade(1)]).profitFactor, null);
  const none = tradeStats([]);
  assertEquals([none.winRate, none.avgR, none.medianR, none.profitFactor], [
    null,
    null,
    null,
    null,
  ]);
});

Deno.test("median of an even count is the mean of the two middle values", () => {
  assertEquals(median([4, 1, 3, 2]), 2.5);
  assertEquals(median([5, 1, 3]), 3);
  assertEquals(median([]), null);
});

Deno.test("Sharpe and Sortino annualise the per-bar equity returns", () => {
  // returns +10 %, −10 %, +10 %: mean 1/30, sample stdev √(0.02/1.5), downside dev √(0.01/3)
  const { sharpe, sortino } = sharpeSortino([110, 99, 108.9], 100, 4);
  const mean = 0.1 / 3;
  assertAlmostEquals(sharpe!, (mean / Math.sqrt((2 * (0.2 / 3) ** 2 + (0.4 / 3) ** 2) / 2)) * 2);
  assertAlmostEquals(sharpe!, 0.5773502691896258);
  assertAlmostEquals(sortino!, (mean / Math.sqrt(0.01 / 3)) * 2);
  assertAlmostEquals(sortino!, 1.1547005383792515);
});

Deno.test("Sharpe is null for flat equity and Sortino is null without down bars", () => {
  assertEquals(sharpeSortino([100, 100, 100], 100, 365).sharpe, null);
  assertEquals(sharpeSortino([101, 102, 104], 100, 365).sortino, null);
});

Deno.test("max drawdown reports the deepest fall with its peak, trough and recovery dates", () => {
  const dd = maxDrawdown([100, 120, 90, 110, 125, 100], [1, 2, 3, 4, 5, 6], 100, 0);
  assertAlmostEquals(dd.maxDrawdownPct, 25);
  assertEquals([dd.peakTime, dd.troughTime, dd.recoveryTime], [2, 3, 5]);
});

Deno.test("a drawdown that never recovers has no recovery date; a rising curve has none", () => {
  const dd = maxDrawdown([95, 90, 92], [1, 2, 3], 100, 0);
  assertAlmostEquals(dd.maxDrawdownPct, 10);
  assertEquals([dd.peakTime, dd.troughTime, dd.recoveryTime], [0, 2, null]);
  assertEquals(maxDrawdown([101, 102], [1, 2], 100, 0).maxDrawdownPct, 0);
});

Deno.test("calibration buckets trades by confidence with TP1 hit rate and average R", () => {
  const rows = calibrationTable([
    trade(2, { confidence: 0.55, targetsHit: 1 }),
    trade(-1, { confidence: 0.58 }),
    trade(1, { confidence: 0.75, targetsHit: 2 }),
    trade(3, { confidence: 1, targetsHit: 3 }),
  ], [0.5, 0.6, 0.7, 0.8, 0.9]);
  assertEquals(rows.map((r) => [r.from, r.to, r.trades]), [
    [0, 0.5, 0],
    [0.5, 0.6, 2],
    [0.6, 0.7, 0],
    [0.7, 0.8, 1],
    [0.8, 0.9, 0],
    [0.9, 1, 1],
  ]);
  assertEquals([rows[1].tp1HitRate, rows[1].avgR], [0.5, 0.5]);
  assertEquals([rows[3].tp1HitRate, rows[3].avgR], [1, 1]);
  assertEquals([rows[0].tp1HitRate, rows[0].avgR], [null, null]);
});

Deno.test("run metrics: return, CAGR, exposure, buy-and-hold, signals per month, fees", () => {
  const DAY = 86_400_000;
  const n = 731; // about two years of daily bars
  const candles = Array.from({ length: n }, (_, i) => ({
    openTime: i * DAY,
    open: 100 + i,
    high: 101 + i,
    low: 99 + i,
    close: 100.5 + i,
    volume: 1,
  }));
  const series = seriesFromCandles(candles, { interval: "1d" });
  const equity = new Float64Array(n).fill(10_000);
  equity[n - 1] = 40_000;
  const sim: SimulationResult = {
    start: 0,
    end: n,
    initialEquity: 10_000,
    finalEquity: 40_000,
    equity,
    exposedBars: 73,
    signalCount: 24,
    trades: [trade(3, { netPnl: 30_000, fees: 12 })],
    skipped: [{ signalIndex: 5, time: 5 * DAY, direction: "long", reason: "same-direction" }],
    feesPaid: 12,
  };
  const m = computeMetrics(series, sim, { calibrationEdges: [0.5] });
  assertAlmostEquals(m.totalReturnPct, 300);
  const years = (n * DAY) / (365.25 * DAY);
  assertAlmostEquals(m.cagrPct!, (4 ** (1 / years) - 1) * 100);
  assert(Math.abs(m.cagrPct! - 100) < 0.2); // ×4 over ≈2 years ≈ 100 % a year
  assertAlmostEquals(m.exposurePct, (73 / 731) * 100);
  assertAlmostEquals(m.buyAndHoldReturnPct, ((100.5 + 730) / 100 - 1) * 100);
  assertAlmostEquals(m.signalsPerMonth, 24 / ((n * DAY) / (365.25 * DAY / 12)));
  assertEquals(m.feesPaid, 12);
  assertEquals(m.skipped, { "same-direction": 1 });
  assertEquals(m.from, 0);
  assertEquals(m.to, n * DAY);
  assertEquals(m.avgHoldingHours, 4 * 24);
  assertEquals(m.calibration.length, 2);
});

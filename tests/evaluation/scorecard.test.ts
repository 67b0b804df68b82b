/**
 * The scorecard's figures: deciles, drawdown in R, pooling, the classical entry rules, and a random
 * baseline that tells timing from luck (on real data, entries chosen with hindsight rank at the top
 * of the random replications, entries chosen against hindsight at the bottom).
 */

import { assert, assertAlmostEquals, assertEquals } from "../backtest/assert.ts";
import {
  atr14Of,
  donchianSignals,
  emaCrossSignals,
} from "../../shared/backtest/classic_baselines.ts";
import { ema } from "../../shared/indicators/ema.ts";
import {
  calibratedDecileCheck,
  decileTable,
  maxDrawdownR,
  samplePeriod,
  scorecard,
  type ScoredTrade,
  type ScoreOptions,
} from "../../shared/backtest/scorecard.ts";
import { parseBacktestSettings } from "../../shared/backtest/settings.ts";
import type { TradableSignal } from "../../shared/backtest/simulate.ts";
import { fixtureSeries } from "../support/fixtures.ts";
import { bars } from "../backtest/bars.ts";

const trade = (r: number, exitTime: number, confidence = 0.5, hit: 0 | 1 = 0): ScoredTrade => ({
  r,
  hit,
  confidence,
  exitTime,
});

Deno.test("deciles cut the trades sorted by confidence into ten equal groups", () => {
  const trades = Array.from(
    { length: 100 },
    (_, i) => trade(i % 2 ? 1 : -1, i, (i + 1) / 100, i >= 50 ? 1 : 0),
  );
  const rows = decileTable(trades.slice().reverse());
  assertEquals(rows.length, 10);
  assert(rows.every((r) => r.trades === 10));
  assertAlmostEquals(rows[0].meanConfidence, 0.055);
  assertEquals([rows[0].confidenceFrom, rows[0].confidenceTo], [0.01, 0.1]);
  assertEquals(rows.map((r) => r.tp1Rate), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  assertEquals(decileTable([trade(1, 0, 0.3)]).length, 1);
});

Deno.test("the decile check's own noise: how often exact probabilities pass it", () => {
  // 1,000 trades at 0.5: deciles of 100, each within ±10 points with P(40 ≤ hits ≤ 60) ≈ 0.965,
  // so all ten pass about 0.965^10 ≈ 70 % of the time.
  const half = Array.from({ length: 1000 }, () => 0.5);
  const r = calibratedDecileCheck(half, 0.1, 2000, 3)!;
  assert(r.passRate > 0.64 && r.passRate < 0.76, `pass rate ${r.passRate}`);
  assert(r.medianGap > 0.04 && r.medianGap < 0.1, `median gap ${r.medianGap}`);
  assertEquals(calibratedDecileCheck(half, 0.1, 2000, 3), r);
  // Deciles of 50 pass far less often: the same forecast fails the check most of the time.
  const small = calibratedDecileCheck(half.slice(0, 500), 0.1, 2000, 3)!;
  assert(small.passRate < 0.45, `pass rate ${small.passRate}`);
  // Certain outcomes never miss; no decile of 30 trades gives null.
  assertEquals(
    calibratedDecileCheck([...Array(300).fill(0), ...Array(300).fill(1)], 0.1, 50, 1),
    { passRate: 1, medianGap: 0 },
  );
  assertEquals(calibratedDecileCheck(half.slice(0, 290), 0.1, 100, 1), null);
});

Deno.test("drawdown in R follows cumulative R in exit order", () => {
  const t = [trade(3, 50), trade(1, 10), trade(-2, 20), trade(0.5, 30), trade(-1, 40)];
  // Exit order: +1, -2, +0.5, -1, +3 → cumulative 1, -1, -0.5, -1.5, 1.5: peak 1, trough -1.5.
  assertAlmostEquals(maxDrawdownR(t), 2.5);
  assertEquals(maxDrawdownR([trade(1, 0), trade(2, 1)]), 0);
});

const series = fixtureSeries("BTCUSDT-1h-2024.json");
const atr = atr14Of(series);
const settings = parseBacktestSettings({});
const opts: ScoreOptions = {
  settings,
  exits: { stopAtr: 2, takeProfitAtr: [4, 6, 8] },
  replications: 1000,
  seed: 5,
};

/** Signals every 40 bars, long when the next 30 closes rise (hindsight) or fall (`against`). */
function hindsight(against: boolean): TradableSignal[] {
  const out: TradableSignal[] = [];
  for (let i = 250; i + 31 < series.length; i += 40) {
    const up = series.close[i + 30] > series.close[i];
    const side = up !== against ? 1 : -1;
    const e = series.close[i];
    const a = atr[i];
    out.push({
      index: i,
      time: series.openTime[i],
      direction: side === 1 ? "long" : "short",
      entry: e,
      stopLoss: e - side * 2 * a,
      takeProfits: [e + side * 4 * a, e + side * 6 * a, e + side * 8 * a],
      confidence: 0.5,
    });
  }
  return out;
}

Deno.test("the random baseline ranks hindsight entries at the top and anti-hindsight at the bottom", () => {
  const window = { start: 200, end: series.length };
  const good = scorecard(samplePeriod(series, window, hindsight(false), opts, "x"), opts, "x");
  const bad = scorecard(samplePeriod(series, window, hindsight(true), opts, "x"), opts, "x");
  assert(good.trades > 150 && bad.trades > 150, `${good.trades} / ${bad.trades} trades`);
  assert(good.randomPercentile! > 99, `hindsight at ${good.randomPercentile}`);
  assert(bad.randomPercentile! < 1, `anti-hindsight at ${bad.randomPercentile}`);
  assert(good.ciLow! > 0 && bad.ciHigh! < 0);
  // Replications keep the trades' shapes: same count per replication as traded.
  assert(Math.abs(good.randomMeanR!) < 0.3, `random mean ${good.randomMeanR}`);
});

Deno.test("a pool of one period has that period's figures; pooling concatenates trades", () => {
  const w1 = { start: 200, end: 4000 };
  const w2 = { start: 4000, end: series.length };
  const sig = hindsight(false);
  const a = samplePeriod(series, w1, sig, opts, "a");
  const b = samplePeriod(series, w2, sig, opts, "b");
  const one = scorecard(a, opts, "a");
  const same = scorecard([a], opts, "a");
  assertEquals(one, same);
  const pool = scorecard([a, b], opts, "pool");
  assertEquals(pool.trades, a.trades.length + b.trades.length);
  const both = [...a.trades, ...b.trades];
  assertAlmostEquals(pool.expectancyR!, both.reduce((s, t) => s + t.r, 0) / both.length);
  assertEquals(pool.ema.trades, a.ema.length + b.ema.length);
  assertAlmostEquals(pool.returnPct, (a.returnPct + b.returnPct) / 2);
  // Replication k of the pool is replication k of both periods together.
  let sum = 0;
  for (let k = 0; k < opts.replications; k++) {
    sum += (a.random.sumR[k] + b.random.sumR[k]) / (a.random.trades[k] + b.random.trades[k]);
  }
  assertAlmostEquals(pool.randomMeanR!, sum / opts.replications, 1e-12);
  assertEquals(a.random.trades[0], a.trades.length);
});

Deno.test("EMA 20/50 cross signals sit exactly on the bars where the EMAs change order", () => {
  const exits = { stopAtr: 2, takeProfitAtr: [4, 6, 8] as const };
  const sig = emaCrossSignals(series, 0, series.length, exits, atr);
  const fast = ema(series.close, 20);
  const slow = ema(series.close, 50);
  const crosses: number[] = [];
  for (let i = 50; i < series.length; i++) {
    if (Math.sign(fast[i] - slow[i]) !== Math.sign(fast[i - 1] - slow[i - 1])) crosses.push(i);
  }
  assertEquals(sig.map((s) => s.index), crosses);
  assert(sig.length > 50);
  for (const s of sig) {
    const side = s.direction === "long" ? 1 : -1;
    assertEquals(side, Math.sign(fast[s.index] - slow[s.index]));
    assertAlmostEquals(s.entry - s.stopLoss, side * 2 * atr[s.index]);
    assertAlmostEquals(s.takeProfits[2] - s.entry, side * 8 * atr[s.index]);
  }
});

Deno.test("Donchian breakouts signal closes beyond the previous 20 bars' extremes", () => {
  const rows: [number, number, number, number][] = [];
  for (let i = 0; i < 25; i++) rows.push([100, 101, 99, 100]);
  rows.push([100, 103, 99, 102]); // 25: close above 101 → long
  rows.push([102, 102.5, 101, 102]); // 26: 102 < 103 (bar 25's high) → nothing
  for (let i = 0; i < 3; i++) rows.push([100, 101, 99, 100]);
  rows.push([100, 100, 97, 98]); // 30: close below 99 → short
  const s = bars(rows);
  const got = donchianSignals(s, 0, s.length, { stopAtr: 2, takeProfitAtr: [4, 6, 8] });
  assertEquals(got.map((x) => [x.index, x.direction]), [[25, "long"], [30, "short"]]);
  assertEquals(
    donchianSignals(s, 26, s.length, { stopAtr: 2, takeProfitAtr: [4, 6, 8] }).length,
    1,
  );
});

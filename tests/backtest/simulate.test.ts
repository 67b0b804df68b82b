/** Fill rules of the engine, each on a hand-computed scenario. */

import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { simulate } from "../../shared/backtest/simulate.ts";
import { parseBacktestSettings } from "../../shared/backtest/settings.ts";
import { bars, long, noCosts, short } from "./bars.ts";

const FLAT: [number, number, number, number] = [102, 103, 101, 102];

Deno.test("entry fills at the next bar's open, and 1 R is measured from that fill to the stop", () => {
  const s = bars([[100, 101, 99, 100], [102, 103, 101, 102], FLAT, [102, 104, 101, 103]]);
  const r = simulate(s, [long(0)], noCosts());
  assertEquals(r.trades.length, 1);
  const t = r.trades[0];
  assertEquals(t.entryIndex, 1);
  assertEquals(t.entryPrice, 102);
  assertEquals(t.riskPerUnit, 7);
  assertAlmostEquals(t.riskAmount, 100); // 1 % of 10,000
  assertAlmostEquals(t.quantity, 100 / 7);
  assertEquals(t.exitReason, "end");
  assertEquals(t.exitIndex, 3);
  assertAlmostEquals(t.r, 1 / 7); // closed at 103 at the end of the data
});

Deno.test("when stop and targets fall inside one bar the stop is assumed hit first", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 125, 94, 100], FLAT]);
  const t = simulate(s, [long(0)], noCosts()).trades[0];
  assertEquals(t.exitReason, "stop");
  assertEquals(t.exitIndex, 2);
  assertEquals(t.targetsHit, 0);
  assertEquals(t.fills.length, 2);
  assertAlmostEquals(t.r, -1);
});

Deno.test("a short's stop is also checked first inside a bar", () => {
  const s = bars([[100, 101, 99, 100], [100, 101, 99, 100], [100, 116, 85, 100], FLAT]);
  const t = simulate(s, [short(0)], noCosts()).trades[0];
  assertEquals(t.direction, "short");
  assertEquals(t.exitReason, "stop");
  assertAlmostEquals(t.r, -1); // entry 100, stop 115: risk 15, lost 15
});

Deno.test("a bar opening beyond the stop fills the stop at that open (gap loss beyond 1 R)", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [90, 91, 89, 90], FLAT]);
  const t = simulate(s, [long(0)], noCosts()).trades[0];
  assertEquals(t.fills[1].price, 90);
  assertAlmostEquals(t.r, -12 / 7);
});

Deno.test("the position scales out a third at each of TP1, TP2 and TP3", () => {
  const s = bars([
    [100, 101, 99, 100],
    FLAT,
    [102, 111, 101, 109],
    [109, 121, 108, 119],
    [119, 131, 118, 125],
    [125, 126, 124, 125],
  ]);
  const t = simulate(s, [long(0)], noCosts()).trades[0];
  assertEquals(t.fills.map((f) => f.reason), ["entry", "tp1", "tp2", "tp3"]);
  assertEquals(t.fills.map((f) => f.index), [1, 2, 3, 4]);
  for (const f of t.fills.slice(1)) assertAlmostEquals(f.quantity, t.quantity / 3);
  assertEquals(t.exitReason, "tp3");
  assertEquals(t.targetsHit, 3);
  assertAlmostEquals(t.r, (8 + 18 + 28) / 3 / 7);
});

Deno.test("a custom scale-out closes everything at TP2 when TP3's share is zero", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 121, 101, 119], FLAT]);
  const t = simulate(s, [long(0)], noCosts({ scaleOut: [0.5, 0.5, 0] })).trades[0];
  assertEquals(t.exitReason, "tp2");
  assertAlmostEquals(t.r, (0.5 * 8 + 0.5 * 18) / 7);
});

Deno.test("after TP1 the stop moves to the entry fill from the next bar", () => {
  const s = bars([
    [100, 101, 99, 100],
    FLAT,
    [102, 111, 100, 108], // TP1; the low under entry does not stop out on this bar
    [108, 109, 101, 104], // back under entry: break-even exit at 102
    FLAT,
  ]);
  const t = simulate(s, [long(0)], noCosts()).trades[0];
  assertEquals(t.fills.map((f) => f.reason), ["entry", "tp1", "break-even"]);
  assertEquals(t.exitIndex, 3);
  assertEquals(t.fills[2].price, 102);
  assertAlmostEquals(t.r, (8 / 3) / 7);
});

Deno.test("without the break-even move the position keeps its original stop after TP1", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 111, 100, 108], [108, 109, 101, 104], FLAT]);
  const t = simulate(s, [long(0)], noCosts({ breakEvenAfterTp1: false })).trades[0];
  assertEquals(t.exitReason, "end");
  assertEquals(t.exitIndex, 4);
});

Deno.test("the time stop closes at the close of the N-th bar held", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 104, 101, 103.5], FLAT, FLAT]);
  const t = simulate(s, [long(0)], noCosts({ timeStopBars: 2 })).trades[0];
  assertEquals(t.exitReason, "time");
  assertEquals(t.exitIndex, 2);
  assertEquals(t.barsHeld, 2);
  assertAlmostEquals(t.r, 1.5 / 7);
});

Deno.test("fees per side and slippage in bps are charged on every fill, against the trader", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 103, 94, 96], FLAT]);
  const settings = parseBacktestSettings({ feeRate: 0.001, slippageBps: 10 });
  const r = simulate(s, [long(0)], settings);
  const t = r.trades[0];
  const entry = 102 * 1.001; // buy 10 bps above the open
  const exit = 95 * 0.999; // sell 10 bps below the stop
  const risk = entry - 95;
  const qty = 100 / risk; // 1 % of 10,000 over the risk per unit
  const fees = entry * qty * 0.001 + exit * qty * 0.001;
  assertAlmostEquals(t.entryPrice, entry, 1e-9);
  assertAlmostEquals(t.fills[1].price, exit, 1e-9);
  assertAlmostEquals(t.fees, fees, 1e-9);
  assertAlmostEquals(t.netPnl, (exit - entry) * qty - fees, 1e-9);
  assertAlmostEquals(t.r, ((exit - entry) * qty - fees) / 100, 1e-12);
  assert(t.r < -1);
  assertAlmostEquals(r.feesPaid, fees, 1e-9);
  assertAlmostEquals(r.finalEquity, 10_000 + t.netPnl, 1e-9);
});

Deno.test("an opposite signal closes the position at the next open and opens the new one", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 104, 101, 104], [104, 105, 103, 104], FLAT]);
  const r = simulate(s, [long(0), short(2, 115, [90, 80, 70])], noCosts());
  assertEquals(r.trades.length, 2);
  const [a, b] = r.trades;
  assertEquals([a.direction, a.exitReason, a.exitIndex, a.fills[1].price], [
    "long",
    "reverse",
    3,
    104,
  ]);
  assertAlmostEquals(a.r, 2 / 7);
  assertEquals([b.direction, b.entryIndex, b.entryPrice, b.riskPerUnit], ["short", 3, 104, 11]);
  assertEquals(b.exitReason, "end");
});

Deno.test("a same-direction signal while in a position is ignored", () => {
  const s = bars([[100, 101, 99, 100], FLAT, FLAT, FLAT, FLAT]);
  const r = simulate(s, [long(0), long(2)], noCosts());
  assertEquals(r.trades.length, 1);
  assertEquals(r.skipped, [{
    signalIndex: 2,
    time: long(2).time,
    direction: "long",
    reason: "same-direction",
  }]);
});

Deno.test("a signal whose next open is already beyond its stop is skipped", () => {
  const s = bars([[100, 101, 99, 100], [94, 95, 93, 94], FLAT]);
  const r = simulate(s, [long(0)], noCosts());
  assertEquals(r.trades.length, 0);
  assertEquals(r.skipped[0].reason, "gap-beyond-stop");
  assertEquals(r.finalEquity, 10_000);
});

Deno.test("a signal on the last bar has no next open and is skipped", () => {
  const s = bars([[100, 101, 99, 100], FLAT]);
  const r = simulate(s, [long(1)], noCosts());
  assertEquals(r.trades.length, 0);
  assertEquals(r.skipped[0].reason, "no-next-bar");
});

Deno.test("position size is capped by the leverage limit when the stop is very tight", () => {
  const s = bars([[100, 101, 99, 100], [102, 102.5, 101.95, 102], FLAT]);
  const t = simulate(s, [long(0, 101.9, [103, 104, 105])], noCosts()).trades[0];
  assertAlmostEquals(t.quantity, 10_000 / 102);
  assertAlmostEquals(t.riskAmount, (10_000 / 102) * 0.1);
});

Deno.test("equity is marked to market at each close and exposure counts bars in a position", () => {
  const s = bars([[100, 101, 99, 100], [102, 103, 101, 104], [104, 105, 103, 101], [
    101,
    101,
    99,
    100,
  ]]);
  const r = simulate(s, [long(0)], noCosts());
  const q = 100 / 7;
  assertEquals(r.equity.length, 4);
  assertEquals(r.equity[0], 10_000);
  assertAlmostEquals(r.equity[1], 10_000 + 2 * q);
  assertAlmostEquals(r.equity[2], 10_000 - 1 * q);
  assertAlmostEquals(r.equity[3], 10_000 - 2 * q);
  assertAlmostEquals(r.finalEquity, r.equity[3]);
  assertEquals(r.exposedBars, 3);
});

Deno.test("a window trades only its own bars and closes what is open at its last bar", () => {
  const s = bars([[100, 101, 99, 100], FLAT, FLAT, [102, 103, 101, 103], FLAT, FLAT]);
  const r = simulate(s, [long(0), long(3)], noCosts(), { start: 1, end: 4 });
  assertEquals(r.signalCount, 1);
  assertEquals(r.skipped[0].reason, "no-next-bar");
  assertEquals(r.trades.length, 0);
  assertEquals(r.equity.length, 3);
});

Deno.test("the same inputs give byte-identical results", () => {
  const s = bars([[100, 101, 99, 100], FLAT, [102, 111, 100, 108], [108, 121, 101, 104], FLAT]);
  const sig = [long(0), short(3, 120, [95, 90, 85])];
  const settings = parseBacktestSettings({});
  const a = simulate(s, sig, settings);
  const b = simulate(s, sig, settings);
  assertEquals(
    JSON.stringify({ ...a, equity: [...a.equity] }),
    JSON.stringify({ ...b, equity: [...b.equity] }),
  );
});

/**
 * WyckoffTracker on real data (BTCUSDT 1h 2024): no look-ahead (prefix invariance), exact state round
 * trip through JSON, and sane events. Indicators and pivots are computed simply inside this file
 * (TA-Lib-style ATR(14), EMA(50/200), SMA(20) of volume; a zigzag over closes) so the test depends on
 * nothing but the tracker.
 */

import assert from "node:assert/strict";
import { type WyckoffBar, WyckoffTracker } from "../../shared/patterns/wyckoff.ts";
import { PivotDetector } from "../../shared/patterns/pivots.ts";
import type {
  Pivot,
  TradingRange,
  WyckoffEvent,
  WyckoffPhase,
} from "../../shared/patterns/types.ts";

type Row = [number, string, string, string, string, string, ...unknown[]];
const rows: Row[] = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/binance/BTCUSDT-1h-2024.json", import.meta.url)),
);

/** Bars with indicators for the first `n` rows; every value at bar t uses rows ≤ t only. */
function barsOf(n: number): WyckoffBar[] {
  const out: WyckoffBar[] = [];
  let prevClose = NaN, trSum = 0, atr = NaN;
  let volSum = 0;
  const ema = [NaN, NaN], emaSum = [0, 0];
  const emaLen = [50, 200];
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const [open, high, low, close, volume] = [+r[1], +r[2], +r[3], +r[4], +r[5]];
    if (i > 0) {
      const tr = Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));
      if (i <= 14) {
        trSum += tr;
        if (i === 14) atr = trSum / 14;
      } else atr = (atr * 13 + tr) / 14;
    }
    prevClose = close;
    volSum += volume;
    if (i >= 20) volSum -= +rows[i - 20][5];
    for (let k = 0; k < 2; k++) {
      const len = emaLen[k];
      if (i < len) {
        emaSum[k] += close;
        if (i === len - 1) ema[k] = emaSum[k] / len;
      } else ema[k] += (2 / (len + 1)) * (close - ema[k]);
    }
    out.push({
      index: i,
      time: r[0],
      open,
      high,
      low,
      close,
      volume,
      atr,
      volumeAvg: i >= 19 ? volSum / 20 : NaN,
      emaFast: ema[0],
      emaSlow: ema[1],
    });
  }
  return out;
}

/**
 * Zigzag over closes: a swing ends when the close moves `pct` against the running extreme; the
 * pivot sits on the extreme bar (price = its high or low) and is confirmed at the reversing bar.
 */
function zigzag(bars: readonly WyckoffBar[], pct = 0.015): Pivot[] {
  const out: Pivot[] = [];
  let dir = 0; // 1: looking for a high, -1: looking for a low, 0: undecided
  let hi = 0, lo = 0;
  for (let i = 0; i < bars.length; i++) {
    const c = bars[i].close;
    if (i === 0 || c > bars[hi].close) hi = i;
    if (i === 0 || c < bars[lo].close) lo = i;
    if (dir >= 0 && c <= bars[hi].close * (1 - pct) && (dir === 1 || hi > lo)) {
      const b = bars[hi];
      out.push({ kind: "high", index: hi, confirmedAt: i, price: b.high, time: b.time });
      dir = -1;
      lo = i;
    } else if (dir <= 0 && c >= bars[lo].close * (1 + pct) && (dir === -1 || lo > hi)) {
      const b = bars[lo];
      out.push({ kind: "low", index: lo, confirmedAt: i, price: b.low, time: b.time });
      dir = 1;
      hi = i;
    }
  }
  return out;
}

interface Step {
  events: readonly WyckoffEvent[];
  phase: WyckoffPhase;
  range: TradingRange | null;
}

/** Runs a tracker over bars[from..) feeding pivots as they become confirmed. */
function runFrom(
  tracker: WyckoffTracker,
  bars: readonly WyckoffBar[],
  pivots: readonly Pivot[],
  from = 0,
  to = bars.length,
): Step[] {
  const known: Pivot[] = [];
  let next = 0;
  while (next < pivots.length && pivots[next].confirmedAt < from) known.push(pivots[next++]);
  const steps: Step[] = [];
  for (let i = from; i < to; i++) {
    let changed = false;
    while (next < pivots.length && pivots[next].confirmedAt <= i) {
      known.push(pivots[next++]);
      changed = true;
    }
    const events = tracker.update(bars[i], known, changed);
    steps.push({ events, phase: tracker.phase, range: tracker.range });
  }
  return steps;
}

const allBars = barsOf(rows.length);
const allPivots = zigzag(allBars);
const full = runFrom(new WyckoffTracker(), allBars, allPivots);
const fullEvents = full.flatMap((s) => s.events);

Deno.test("real BTCUSDT 1h 2024 yields every kind of Wyckoff event with sane fields", () => {
  assert.equal(allBars.length, 8784);
  const kinds = new Set(fullEvents.map((e) => e.kind));
  assert.deepEqual([...kinds].sort(), ["sos", "sow", "spring", "upthrust"]);
  for (const e of fullEvents) {
    assert.ok(e.strength >= 0 && e.strength <= 1, `strength ${e.strength}`);
    assert.ok(Number.isFinite(e.volumeRatio) && e.volumeRatio >= 0);
    assert.equal(e.direction, e.kind === "spring" || e.kind === "sos" ? "long" : "short");
    const bar = allBars[e.index];
    assert.equal(e.time, bar.time);
    if (e.kind === "spring") assert.ok(bar.low < e.level && bar.close > e.level);
    if (e.kind === "upthrust") assert.ok(bar.high > e.level && bar.close < e.level);
    if (e.kind === "sos") assert.ok(bar.close > e.level && e.volumeRatio > 1.5);
    if (e.kind === "sow") assert.ok(bar.close < e.level && e.volumeRatio > 1.5);
  }
  const phases = new Set(full.map((s) => s.phase));
  for (const p of ["accumulation", "markup", "distribution", "markdown"]) {
    assert.ok(phases.has(p as WyckoffPhase), `phase ${p} never seen`);
  }
});

Deno.test("events at bar t are the same when only candles up to t exist (prefix invariance)", () => {
  const eventBars = [...new Set(fullEvents.map((e) => e.index))];
  const cuts = new Set<number>([250, 1000, 4321, 8783]);
  for (let k = 0; k < eventBars.length; k += Math.max(1, Math.floor(eventBars.length / 15))) {
    cuts.add(eventBars[k]);
    cuts.add(eventBars[k] - 1);
  }
  for (const t of cuts) {
    const bars = barsOf(t + 1);
    const steps = runFrom(new WyckoffTracker(), bars, zigzag(bars));
    const last = steps[t];
    assert.deepEqual(last.events, full[t].events, `events differ at bar ${t}`);
    assert.equal(last.phase, full[t].phase, `phase differs at bar ${t}`);
    assert.deepEqual(last.range, full[t].range, `range differs at bar ${t}`);
  }
});

Deno.test("toState → JSON → fromState at any bar continues exactly like an uninterrupted run", () => {
  const midRange = full.findIndex((s, i) => i > 3000 && s.range !== null);
  assert.ok(midRange > 0);
  for (const cut of [1, 199, midRange, 5000, 8000]) {
    const first = new WyckoffTracker();
    const head = runFrom(first, allBars, allPivots, 0, cut);
    const json = JSON.stringify(first.toState());
    assert.ok(json.length < 400, `state is ${json.length} chars`);
    const resumed = WyckoffTracker.fromState(JSON.parse(json));
    assert.deepEqual(resumed.toState(), first.toState());
    const tail = runFrom(resumed, allBars, allPivots, cut);
    assert.deepEqual([...head, ...tail], full, `run resumed at bar ${cut} differs`);
  }
});

/** Runs the tracker with the project's PivotDetector (as the analyzer does) over bars[0..n). */
function runWithDetector(bars: readonly WyckoffBar[], n = bars.length): Step[] {
  const detector = new PivotDetector();
  const tracker = new WyckoffTracker();
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) {
    const b = bars[i];
    const changed = detector.update(b.index, b.time, b.high, b.low, b.atr);
    const events = tracker.update(b, detector.pivots, changed);
    steps.push({ events, phase: tracker.phase, range: tracker.range });
  }
  return steps;
}

Deno.test("with the project's PivotDetector, events are found and do not depend on later candles", () => {
  const withDetector = runWithDetector(allBars);
  const events = withDetector.flatMap((s) => s.events);
  assert.deepEqual([...new Set(events.map((e) => e.kind))].sort(), [
    "sos",
    "sow",
    "spring",
    "upthrust",
  ]);
  for (const t of [events[0].index, events[20].index, events[events.length - 1].index, 6000]) {
    const prefix = runWithDetector(barsOf(t + 1));
    assert.deepEqual(prefix[t], withDetector[t], `bar ${t} differs`);
  }
});

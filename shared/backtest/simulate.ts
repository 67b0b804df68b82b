/**
 * The backtest engine: trades a list of signals over a candle series, bar by bar. Pure and
 * deterministic. Fill rules (all documented in the README):
 * - entry at the open of the bar after the signal bar, slippage against the trader, fee per side;
 * - R = distance from the entry fill to the signal's stop; a fill at or beyond the stop (or already
 *   past TP1) is skipped;
 * - inside a bar the stop is checked first: if stop and a target are both touched, the stop wins;
 *   a bar opening beyond the stop fills at its open, targets fill at their level;
 * - scale-out of the initial quantity over TP1–TP3 (`scaleOut`); the last target closes the rest;
 * - optional stop to break-even (entry fill) after TP1, effective from the next bar;
 * - optional time stop at the close of the N-th bar held;
 * - one position at a time; an opposite signal closes it at the next open and opens the new one;
 *   a same-direction signal while in a position is ignored;
 * - an open position is closed at the close of the window's last bar.
 */

import type { CandleSeries } from "../candles/types.ts";
import type { Signal } from "../signals/types.ts";
import type { BacktestSettings } from "./settings.ts";
import type { Fill, FillReason, SimulationResult, SkippedSignal, Trade } from "./types.ts";

/** The fields of a {@link Signal} the engine uses. */
export type TradableSignal = Pick<
  Signal,
  "index" | "time" | "direction" | "entry" | "stopLoss" | "takeProfits" | "confidence"
>;

/** A bar window `[start, end)` of a series. */
export interface BarWindow {
  start: number;
  end: number;
}

interface Position {
  trade: Trade;
  /** +1 long, −1 short. */
  side: 1 | -1;
  remaining: number;
  stop: number;
  nextTarget: number;
  armBreakEven: boolean;
  breakEvenActive: boolean;
}

/**
 * Simulates `signals` on `series` within `window` (default: the whole series), starting from
 * `initialEquity` (default: `settings.initialEquity`). Signals must be sorted by index.
 */
export function simulate(
  series: CandleSeries,
  signals: readonly TradableSignal[],
  settings: BacktestSettings,
  window: BarWindow = { start: 0, end: series.length },
  initialEquity: number = settings.initialEquity,
): SimulationResult {
  const start = Math.max(0, window.start);
  const end = Math.min(series.length, window.end);
  const { open: O, high: H, low: L, close: C, openTime: T } = series;
  const slip = settings.slippageBps / 10_000;
  const feeRate = settings.feeRate;
  const scale = settings.scaleOut;
  const timeStop = settings.timeStopBars;

  const equity = new Float64Array(Math.max(0, end - start));
  const trades: Trade[] = [];
  const skipped: SkippedSignal[] = [];
  let cash = initialEquity;
  let feesPaid = 0;
  let exposedBars = 0;
  let signalCount = 0;
  let pos: Position | null = null;
  let pending: TradableSignal | null = null;

  // First signal inside the window.
  let si = 0;
  while (si < signals.length && signals[si].index < start) si++;

  const skip = (s: TradableSignal, reason: SkippedSignal["reason"]) => {
    skipped.push({ signalIndex: s.index, time: s.time, direction: s.direction, reason });
  };

  /** Executes `qty` of the open position at raw price `raw` (slippage and fee applied). */
  const exit = (p: Position, j: number, raw: number, qty: number, reason: FillReason) => {
    const price = p.side === 1 ? raw * (1 - slip) : raw * (1 + slip);
    const fee = price * qty * feeRate;
    const t = p.trade;
    const pnl = p.side * (price - t.entryPrice) * qty;
    t.fills.push({ index: j, time: T[j], reason, price, quantity: qty, fee });
    t.grossPnl += pnl;
    t.fees += fee;
    cash += pnl - fee;
    feesPaid += fee;
    p.remaining -= qty;
    if (p.remaining <= t.quantity * 1e-12) {
      p.remaining = 0;
      t.exitIndex = j;
      t.exitTime = T[j];
      t.exitReason = reason;
      t.netPnl = t.grossPnl - t.fees;
      t.r = t.netPnl / t.riskAmount;
      t.barsHeld = j - t.entryIndex + 1;
      trades.push(t);
      pos = null;
    }
  };

  const enter = (s: TradableSignal, j: number): Position | null => {
    const side: 1 | -1 = s.direction === "long" ? 1 : -1;
    const price = side === 1 ? O[j] * (1 + slip) : O[j] * (1 - slip);
    const risk = side * (price - s.stopLoss);
    if (!(risk > 0)) {
      skip(s, "gap-beyond-stop");
      return null;
    }
    if (side * (s.takeProfits[0] - price) <= 0) {
      skip(s, "gap-beyond-tp1");
      return null;
    }
    if (!(cash > 0)) {
      skip(s, "no-equity");
      return null;
    }
    const quantity = Math.min(
      (cash * settings.riskFraction) / risk,
      (cash * settings.maxLeverage) / price,
    );
    const fee = price * quantity * feeRate;
    const fill: Fill = { index: j, time: T[j], reason: "entry", price, quantity, fee };
    const trade: Trade = {
      direction: s.direction,
      signalIndex: s.index,
      signalTime: s.time,
      confidence: s.confidence,
      entryIndex: j,
      entryTime: T[j],
      entryPrice: price,
      stopLoss: s.stopLoss,
      takeProfits: [s.takeProfits[0], s.takeProfits[1], s.takeProfits[2]],
      quantity,
      riskPerUnit: risk,
      riskAmount: risk * quantity,
      equityBefore: cash,
      fills: [fill],
      exitIndex: -1,
      exitTime: -1,
      exitReason: "entry",
      targetsHit: 0,
      grossPnl: 0,
      fees: fee,
      netPnl: 0,
      r: 0,
      barsHeld: 0,
    };
    cash -= fee;
    feesPaid += fee;
    return {
      trade,
      side,
      remaining: quantity,
      stop: s.stopLoss,
      nextTarget: 0,
      armBreakEven: false,
      breakEvenActive: false,
    };
  };

  for (let j = start; j < end; j++) {
    let exposed = false;
    // 1. At the open: act on the previous bar's signal.
    if (pending !== null) {
      const s: TradableSignal = pending;
      pending = null;
      const cur = pos as Position | null;
      if (cur !== null && cur.trade.direction === s.direction) {
        skip(s, "same-direction");
      } else {
        if (cur !== null) {
          exposed = true;
          exit(cur, j, O[j], cur.remaining, "reverse");
        }
        pos = enter(s, j);
      }
    }
    // 2. Inside the bar: stop first, then targets in order.
    let p = pos as Position | null;
    if (p !== null) {
      exposed = true;
      const side = p.side;
      if (side === 1 ? L[j] <= p.stop : H[j] >= p.stop) {
        const raw = side === 1 ? Math.min(O[j], p.stop) : Math.max(O[j], p.stop);
        exit(p, j, raw, p.remaining, p.breakEvenActive ? "break-even" : "stop");
      } else {
        const t = p.trade;
        const reach = side === 1 ? H[j] : L[j];
        while (
          p !== null && p.nextTarget < 3 && side * (reach - t.takeProfits[p.nextTarget]) >= 0
        ) {
          const k = p.nextTarget;
          p.nextTarget++;
          t.targetsHit++;
          if (k === 0) p.armBreakEven = settings.breakEvenAfterTp1;
          const qty = k === 2 ? p.remaining : Math.min(p.remaining, scale[k] * t.quantity);
          if (qty > 0) {
            exit(p, j, t.takeProfits[k], qty, k === 0 ? "tp1" : k === 1 ? "tp2" : "tp3");
          }
          p = pos as Position | null;
        }
      }
    }
    // 3. At the close: time stop, end of window, break-even arming.
    p = pos as Position | null;
    if (p !== null) {
      if (timeStop > 0 && j - p.trade.entryIndex + 1 >= timeStop) {
        exit(p, j, C[j], p.remaining, "time");
      } else if (j === end - 1) {
        exit(p, j, C[j], p.remaining, "end");
      } else if (p.armBreakEven && !p.breakEvenActive) {
        p.breakEvenActive = true;
        p.stop = p.side === 1
          ? Math.max(p.stop, p.trade.entryPrice)
          : Math.min(p.stop, p.trade.entryPrice);
      }
    }
    if (exposed) exposedBars++;
    p = pos as Position | null;
    equity[j - start] = p === null
      ? cash
      : cash + p.side * (C[j] - p.trade.entryPrice) * p.remaining;
    // 4. Signals known at this bar's close.
    while (si < signals.length && signals[si].index === j) {
      const s = signals[si++];
      signalCount++;
      if (pending !== null) skip(s, "same-bar");
      else if (j === end - 1) skip(s, "no-next-bar");
      else pending = s;
    }
    while (si < signals.length && signals[si].index < j) si++;
  }
  return {
    start,
    end,
    initialEquity,
    finalEquity: cash,
    equity,
    exposedBars,
    signalCount,
    trades,
    skipped,
    feesPaid,
  };
}

/**
 * One trade on its own, with exactly the engine's fill rules (see simulate.ts): entry at the open of
 * `entryBar` with slippage, 1 R = entry fill to stop, stop first inside a bar, scale-out over TP1–TP3,
 * stop to break-even after TP1 (from the next bar), optional time stop, exit at the close of the
 * window's last bar. Used where many independent trades are needed (random-entry baselines); the
 * result equals what `simulate` reports for the same signal when no other signal interferes (a test
 * checks it). R is scale-free, so the trade is sized at one unit.
 */

import type { CandleSeries } from "../candles/types.ts";
import type { Direction } from "../patterns/types.ts";
import type { BacktestSettings } from "./settings.ts";

/** Levels of one trade, in price. */
export interface TradeLevels {
  direction: Direction;
  stopLoss: number;
  takeProfits: readonly [number, number, number];
}

/** What happened to a trade. */
export interface TradeOutcome {
  /** Net result after fees and slippage, in R. */
  r: number;
  /** Take-profits reached (0–3). */
  targetsHit: number;
  /** Bar of the last exit fill. */
  exitIndex: number;
}

/**
 * Trades `levels` entering at the open of `entryBar` and closing at the latest at the close of bar
 * `end − 1`. Returns null when the engine would skip the signal: the entry fill is at or beyond the
 * stop, or already at or past TP1. Throws RangeError when `entryBar` is not in [0, end).
 */
export function tradeOutcome(
  series: CandleSeries,
  levels: TradeLevels,
  entryBar: number,
  end: number,
  settings: Pick<
    BacktestSettings,
    "feeRate" | "slippageBps" | "scaleOut" | "breakEvenAfterTp1" | "timeStopBars"
  >,
): TradeOutcome | null {
  const last = Math.min(end, series.length);
  if (!(entryBar >= 0 && entryBar < last)) {
    throw new RangeError(`entry bar ${entryBar} is outside [0, ${last})`);
  }
  const { open: O, high: H, low: L, close: C } = series;
  const side = levels.direction === "long" ? 1 : -1;
  const slip = settings.slippageBps / 10_000;
  const fee = settings.feeRate;
  const tp = levels.takeProfits;
  const entry = side === 1 ? O[entryBar] * (1 + slip) : O[entryBar] * (1 - slip);
  const risk = side * (entry - levels.stopLoss);
  if (!(risk > 0) || side * (tp[0] - entry) <= 0) return null;

  let remaining = 1;
  let pnl = -entry * fee;
  let stop = levels.stopLoss;
  let next = 0;
  let arm = false;
  let active = false;
  const fill = (raw: number, qty: number) => {
    const price = side === 1 ? raw * (1 - slip) : raw * (1 + slip);
    pnl += side * (price - entry) * qty - price * qty * fee;
    remaining -= qty;
    if (remaining <= 1e-12) remaining = 0;
  };
  for (let j = entryBar; j < last; j++) {
    if (side === 1 ? L[j] <= stop : H[j] >= stop) {
      fill(side === 1 ? Math.min(O[j], stop) : Math.max(O[j], stop), remaining);
      return { r: pnl / risk, targetsHit: next, exitIndex: j };
    }
    const reach = side === 1 ? H[j] : L[j];
    while (remaining > 0 && next < 3 && side * (reach - tp[next]) >= 0) {
      const k = next++;
      if (k === 0) arm = settings.breakEvenAfterTp1;
      const qty = k === 2 ? remaining : Math.min(remaining, settings.scaleOut[k]);
      if (qty > 0) fill(tp[k], qty);
    }
    if (remaining === 0) return { r: pnl / risk, targetsHit: next, exitIndex: j };
    const timeUp = settings.timeStopBars > 0 && j - entryBar + 1 >= settings.timeStopBars;
    if (timeUp || j === last - 1) {
      fill(C[j], remaining);
      return { r: pnl / risk, targetsHit: next, exitIndex: j };
    }
    if (arm && !active) {
      active = true;
      stop = side === 1 ? Math.max(stop, entry) : Math.min(stop, entry);
    }
  }
  throw new RangeError("unreachable: the loop always exits at the window's last bar");
}

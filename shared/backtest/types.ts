/** Result types of the backtest engine. Pure data, JSON-serialisable (equity as a Float64Array). */

import type { Direction } from "../signals/types.ts";

/** Why a fill happened. */
export type FillReason =
  | "entry"
  | "tp1"
  | "tp2"
  | "tp3"
  | "stop"
  | "break-even"
  | "time"
  | "reverse"
  | "end";

/** One execution: price already includes slippage; fee is the fee paid on this fill. */
export interface Fill {
  /** Bar index of the fill. */
  index: number;
  /** Open time (ms) of the fill's bar. */
  time: number;
  reason: FillReason;
  /** Executed price after slippage. */
  price: number;
  /** Units of the base asset. */
  quantity: number;
  /** Fee paid in quote currency. */
  fee: number;
}

/** A closed trade from entry to the last exit fill. */
export interface Trade {
  direction: Direction;
  /** Bar index and time of the signal bar (entry is the next bar's open). */
  signalIndex: number;
  signalTime: number;
  /** Fused confidence of the signal. */
  confidence: number;
  entryIndex: number;
  entryTime: number;
  /** Entry fill price (next bar's open with slippage). */
  entryPrice: number;
  /** Initial stop-loss and take-profits as the signal set them. */
  stopLoss: number;
  takeProfits: [number, number, number];
  quantity: number;
  /** 1 R per unit: distance from the entry fill to the initial stop. */
  riskPerUnit: number;
  /** 1 R in money: quantity × riskPerUnit. */
  riskAmount: number;
  /** Equity before the trade was opened. */
  equityBefore: number;
  fills: Fill[];
  exitIndex: number;
  exitTime: number;
  /** Reason of the last exit fill. */
  exitReason: FillReason;
  /** Number of take-profits reached (0–3). */
  targetsHit: number;
  /** Price P&L before fees (slippage is inside the fill prices). */
  grossPnl: number;
  /** All fees of the trade, entry and exits. */
  fees: number;
  /** grossPnl − fees. */
  netPnl: number;
  /** netPnl / riskAmount: the result in R multiples, after costs. */
  r: number;
  /** Bars from the entry bar to the exit bar, both included. */
  barsHeld: number;
}

/** Why a signal did not become a trade. */
export type SkipReason =
  | "same-direction"
  | "gap-beyond-stop"
  | "gap-beyond-tp1"
  | "no-next-bar"
  | "same-bar"
  | "no-equity";

/** A signal that was not traded, with the reason. */
export interface SkippedSignal {
  signalIndex: number;
  time: number;
  direction: Direction;
  reason: SkipReason;
}

/** Output of one simulation over a window of bars `[start, end)`. */
export interface SimulationResult {
  start: number;
  end: number;
  initialEquity: number;
  finalEquity: number;
  /** Mark-to-market equity at the close of each bar of the window (length end − start). */
  equity: Float64Array;
  /** Number of bars in the window during which a position was open at some point. */
  exposedBars: number;
  /** Signals whose bar lies in the window (traded or not). */
  signalCount: number;
  trades: Trade[];
  skipped: SkippedSignal[];
  feesPaid: number;
}

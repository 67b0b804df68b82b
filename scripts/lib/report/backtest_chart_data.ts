/**
 * The data one dataset's interactive chart draws in the HTML report: candles, the reported equity,
 * buy-and-hold and drawdown curves, train/test parts and trades, all taken from the engine's
 * results (the same ones the CLI prints). Times are Unix seconds (lightweight-charts' UTCTimestamp).
 */

import type { FillReason } from "../../../shared/backtest/types.ts";
import type { Direction } from "../../../shared/signals/types.ts";
import { datasetName, type DatasetReport } from "./backtest_dataset.ts";
import { fmt } from "./backtest_table.ts";

/** One exit of a trade. */
export interface ChartFill {
  /** Bar index in the series. */
  bar: number;
  reason: FillReason;
  /** Executed price (slippage included). */
  price: number;
  /** Share of the trade's initial quantity closed by this fill, in [0, 1]. */
  share: number;
}

/** One trade as the chart shows it. */
export interface ChartTrade {
  direction: Direction;
  confidence: number;
  /** Signal bar (the entry is the next bar's open). */
  signalBar: number;
  entryBar: number;
  /** Entry fill price. */
  entry: number;
  stopLoss: number;
  takeProfits: [number, number, number];
  exitBar: number;
  exitReason: FillReason;
  /** Result in R multiples after costs, and in quote currency. */
  r: number;
  netPnl: number;
  barsHeld: number;
  /** Exit fills in time order. */
  exits: ChartFill[];
}

/** A train or test window, as bar indices `[start, end)`. */
export interface ChartPart {
  kind: "train" | "test" | "full";
  /** 1-based fold number. */
  fold: number;
  start: number;
  end: number;
  /** Short name on the chart (`fold 2 test`). */
  name: string;
  /** The part's result as the parts table prints it (`14 trades, return -3.32%, buy & hold 7.77%`). */
  summary: string;
}

/** Everything one chart draws. Equity-like arrays cover the reported bars `[reportStart, reportEnd)`. */
export interface ChartData {
  name: string;
  mode: "full" | "split" | "walk-forward";
  /** Decimals the prices of this series need (0–8). */
  priceDecimals: number;
  /** Open time of each bar, Unix seconds. */
  time: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  reportStart: number;
  reportEnd: number;
  initialEquity: number;
  /** Mark-to-market equity at each reported bar's close, rounded to 0.01. */
  equity: number[];
  /** Initial equity × close / open of the first reported bar (no costs), rounded to 0.01. */
  buyAndHold: number[];
  /** Percent below the running equity peak (≤ 0; the peak starts at the initial equity). */
  drawdownPct: number[];
  parts: ChartPart[];
  trades: ChartTrade[];
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Decimals needed to show every price of `values` exactly (as stored), up to 8. */
export function priceDecimals(values: ArrayLike<number>): number {
  let need = 0;
  const step = Math.max(1, Math.floor(values.length / 2000));
  for (let i = 0; i < values.length; i += step) {
    const v = values[i];
    while (need < 8 && Math.abs(v * 10 ** need - Math.round(v * 10 ** need)) > 1e-6 * 10 ** need) {
      need++;
    }
  }
  return need;
}

/**
 * Drawdown curve in percent (≤ 0) of `equity`, measured from the running peak that starts at
 * `initialEquity`: the same rule as `maxDrawdown` in shared/backtest/drawdown.ts, so its minimum is
 * minus the reported maximum drawdown.
 */
export function drawdownCurve(equity: ArrayLike<number>, initialEquity: number): number[] {
  const out: number[] = new Array(equity.length);
  let peak = initialEquity;
  for (let i = 0; i < equity.length; i++) {
    peak = Math.max(peak, equity[i]);
    out[i] = peak > 0 ? -((peak - equity[i]) / peak) * 100 : 0;
  }
  return out;
}

/** Builds the chart data of one backtested dataset. */
export function chartData(d: DatasetReport): ChartData {
  const s = d.series;
  const ev = d.evaluation;
  const sim = ev.simulation;
  const n = s.length;
  const prices = new Float64Array(n * 2);
  prices.set(s.open.subarray(0, n), 0);
  prices.set(s.close.subarray(0, n), n);
  const firstOpen = s.open[sim.start];
  return {
    name: datasetName(d),
    mode: ev.mode,
    priceDecimals: priceDecimals(prices),
    time: Array.from(s.openTime.subarray(0, n), (t) => Math.floor(t / 1000)),
    open: Array.from(s.open.subarray(0, n)),
    high: Array.from(s.high.subarray(0, n)),
    low: Array.from(s.low.subarray(0, n)),
    close: Array.from(s.close.subarray(0, n)),
    reportStart: sim.start,
    reportEnd: sim.end,
    initialEquity: sim.initialEquity,
    equity: Array.from(sim.equity, round2),
    buyAndHold: Array.from(
      s.close.subarray(sim.start, sim.end),
      (c) => round2((sim.initialEquity * c) / firstOpen),
    ),
    drawdownPct: drawdownCurve(sim.equity, sim.initialEquity).map((v) => Math.round(v * 1e4) / 1e4),
    parts: ev.parts.map((p) => ({
      kind: p.kind,
      fold: p.fold + 1,
      start: p.window.start,
      end: p.window.end,
      name: ev.mode === "walk-forward" ? `fold ${p.fold + 1} ${p.kind}` : p.kind,
      summary: `${p.metrics.all.trades} trades, return ${fmt(p.metrics.totalReturnPct)}%, ` +
        `buy & hold ${fmt(p.metrics.buyAndHoldReturnPct)}%`,
    })),
    trades: sim.trades.map((t) => ({
      direction: t.direction,
      confidence: t.confidence,
      signalBar: t.signalIndex,
      entryBar: t.entryIndex,
      entry: t.entryPrice,
      stopLoss: t.stopLoss,
      takeProfits: t.takeProfits,
      exitBar: t.exitIndex,
      exitReason: t.exitReason,
      r: t.r,
      netPnl: t.netPnl,
      barsHeld: t.barsHeld,
      exits: t.fills.slice(1).map((f) => ({
        bar: f.index,
        reason: f.reason,
        price: f.price,
        share: t.quantity > 0 ? f.quantity / t.quantity : 0,
      })),
    })),
  };
}

/**
 * Performance metrics of a simulation. Formulas (documented in the README):
 * - R of a trade = net P&L (after fees and slippage) / initial risk (quantity × |entry fill − stop|);
 * - expectancy R = mean R = winRate × avgWinR − lossRate × avgLossR;
 * - profit factor = sum of winning net P&L / |sum of losing net P&L| (null without losses);
 * - per-bar returns r_t = E_t / E_{t−1} − 1 over the window (E_{−1} = initial equity), marked at
 *   each close; Sharpe = mean(r) / stdev(r) × √(bars per year), stdev with n − 1;
 *   Sortino = mean(r) / √(Σ min(r,0)² / n) × √(bars per year); risk-free rate 0; a year = 365.25 days;
 * - CAGR = (final / initial)^(1 / years) − 1 with years = window bars × bar length / 365.25 days;
 * - buy-and-hold = last close / first open − 1 over the same window, without costs.
 */

import type { CandleSeries } from "../candles/types.ts";
import type { Direction } from "../signals/types.ts";
import { barLengthMs } from "./bar_length.ts";
import { type CalibrationRow, calibrationTable } from "./calibration.ts";
import { type Drawdown, maxDrawdown } from "./drawdown.ts";
import type { BacktestSettings } from "./settings.ts";
import type { SimulationResult, SkipReason, Trade } from "./types.ts";

const YEAR_MS = 365.25 * 86_400_000;
const MONTH_MS = YEAR_MS / 12;

/** Trade statistics for one set of trades (all, long or short). */
export interface TradeStats {
  trades: number;
  wins: number;
  losses: number;
  /** wins / trades (a win has net P&L > 0); null without trades. */
  winRate: number | null;
  avgR: number | null;
  medianR: number | null;
  expectancyR: number | null;
  /** null when there is no losing trade. */
  profitFactor: number | null;
  netPnl: number;
  fees: number;
  avgHoldingBars: number | null;
  longestLosingStreak: number;
}

/** Every metric of one simulated window. */
export interface BacktestMetrics {
  /** Open time of the window's first bar and close time (open + bar length) of its last. */
  from: number;
  to: number;
  bars: number;
  all: TradeStats;
  long: TradeStats;
  short: TradeStats;
  initialEquity: number;
  finalEquity: number;
  totalReturnPct: number;
  cagrPct: number | null;
  maxDrawdown: Drawdown;
  sharpe: number | null;
  sortino: number | null;
  exposurePct: number;
  avgHoldingHours: number | null;
  feesPaid: number;
  buyAndHoldReturnPct: number;
  signals: number;
  signalsPerMonth: number;
  skipped: Partial<Record<SkipReason, number>>;
  calibration: CalibrationRow[];
}

/** Median of a numeric list (mean of the two middle values for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Trade statistics of `trades` (optionally only one direction), in trade order. */
export function tradeStats(trades: readonly Trade[], direction?: Direction): TradeStats {
  const list = direction ? trades.filter((t) => t.direction === direction) : trades;
  let wins = 0;
  let sumR = 0;
  let profit = 0;
  let loss = 0;
  let netPnl = 0;
  let fees = 0;
  let bars = 0;
  let streak = 0;
  let longest = 0;
  for (const t of list) {
    sumR += t.r;
    netPnl += t.netPnl;
    fees += t.fees;
    bars += t.barsHeld;
    if (t.netPnl > 0) {
      wins++;
      profit += t.netPnl;
      streak = 0;
    } else {
      loss -= t.netPnl;
      streak++;
      if (streak > longest) longest = streak;
    }
  }
  const n = list.length;
  return {
    trades: n,
    wins,
    losses: n - wins,
    winRate: n ? wins / n : null,
    avgR: n ? sumR / n : null,
    medianR: median(list.map((t) => t.r)),
    expectancyR: n ? sumR / n : null,
    profitFactor: loss > 0 ? profit / loss : null,
    netPnl,
    fees,
    avgHoldingBars: n ? bars / n : null,
    longestLosingStreak: longest,
  };
}

/** Annualised Sharpe and Sortino ratios of per-bar equity returns (risk-free rate 0). */
export function sharpeSortino(
  equity: ArrayLike<number>,
  initialEquity: number,
  barsPerYear: number,
): { sharpe: number | null; sortino: number | null } {
  const n = equity.length;
  if (n < 2) return { sharpe: null, sortino: null };
  let prev = initialEquity;
  let sum = 0;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    r[i] = prev > 0 ? equity[i] / prev - 1 : 0;
    prev = equity[i];
    sum += r[i];
  }
  const mean = sum / n;
  let sq = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    sq += (r[i] - mean) ** 2;
    if (r[i] < 0) down += r[i] ** 2;
  }
  const sd = Math.sqrt(sq / (n - 1));
  const dd = Math.sqrt(down / n);
  const k = Math.sqrt(barsPerYear);
  return { sharpe: sd > 0 ? (mean / sd) * k : null, sortino: dd > 0 ? (mean / dd) * k : null };
}

/** Computes every metric of `result` (a simulation over `series`). */
export function computeMetrics(
  series: CandleSeries,
  result: SimulationResult,
  settings: Pick<BacktestSettings, "calibrationEdges">,
): BacktestMetrics {
  const { start, end, trades } = result;
  const bars = end - start;
  const barMs = barLengthMs(series);
  const from = bars > 0 ? series.openTime[start] : 0;
  const to = bars > 0 ? series.openTime[end - 1] + barMs : 0;
  const spanMs = bars * barMs;
  const years = spanMs / YEAR_MS;
  const growth = result.finalEquity / result.initialEquity;
  const times = series.openTime.subarray(start, end);
  const { sharpe, sortino } = sharpeSortino(result.equity, result.initialEquity, YEAR_MS / barMs);
  const all = tradeStats(trades);
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const s of result.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
  return {
    from,
    to,
    bars,
    all,
    long: tradeStats(trades, "long"),
    short: tradeStats(trades, "short"),
    initialEquity: result.initialEquity,
    finalEquity: result.finalEquity,
    totalReturnPct: (growth - 1) * 100,
    cagrPct: years > 0 ? (growth > 0 ? (growth ** (1 / years) - 1) * 100 : -100) : null,
    maxDrawdown: maxDrawdown(result.equity, times, result.initialEquity, from),
    sharpe,
    sortino,
    exposurePct: bars ? (result.exposedBars / bars) * 100 : 0,
    avgHoldingHours: all.avgHoldingBars === null ? null : (all.avgHoldingBars * barMs) / 3_600_000,
    feesPaid: result.feesPaid,
    buyAndHoldReturnPct: bars ? (series.close[end - 1] / series.open[start] - 1) * 100 : 0,
    signals: result.signalCount,
    signalsPerMonth: spanMs > 0 ? result.signalCount / (spanMs / MONTH_MS) : 0,
    skipped,
    calibration: calibrationTable(trades, settings.calibrationEdges),
  };
}

/** The evaluation report: the JSON document, the plain-text tables and the target checks. */

import type { Scorecard, TradeSetStats } from "../../../shared/backtest/scorecard.ts";
import { DECILE_TOLERANCE, MIN_DECILE_TRADES } from "../../../shared/backtest/scorecard.ts";
import type { BacktestSettings } from "../../../shared/backtest/settings.ts";
import type { BarWindow } from "../../../shared/backtest/simulate.ts";
import type { AnalyzerConfig } from "../../../shared/signals/config.ts";
import type { KlineDataset } from "../klines/kline_datasets.ts";
import { fmt, table } from "./backtest_table.ts";
import { profitFactorText } from "./format.ts";

/** One evaluated dataset. */
export interface EvaluatedDataset {
  dataset: KlineDataset;
  window: BarWindow;
  /** Signals with a bar in the period (traded or not). */
  signals: number;
  card: Scorecard;
}

/** A whole evaluation run, as the CLI prints it. */
export interface EvaluationRun {
  /** Reported period: bars opening in [from, to) (ms), null = unbounded. */
  from: number | null;
  to: number | null;
  analyzer: AnalyzerConfig;
  settings: BacktestSettings;
  replications: number;
  seed: number;
  datasets: EvaluatedDataset[];
  /** Datasets with fewer than 2 bars in the period (left out of the pool). */
  outside: string[];
  pooled: Scorecard;
}

/** One target of issue 10, checked on the figures of this run. */
export interface TargetCheck {
  target: string;
  met: boolean;
  value: string;
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

function barTime(d: EvaluatedDataset, i: number): number {
  return d.dataset.series.openTime[i];
}

/**
 * The targets (issue 10) checked on this run: expectancy > 0 with the CI's lower bound > 0, at or
 * above the 95th percentile of random entries, above both classical baselines, ≥ 30 trades on each
 * 4h dataset, Brier below the base rate's, and every decile with ≥ 30 trades within ±10 points.
 */
export function targetChecks(run: EvaluationRun): TargetCheck[] {
  const p = run.pooled;
  const e = p.expectancyR;
  const four = run.datasets.filter((d) => d.dataset.interval === "4h");
  const fewest = four.length ? Math.min(...four.map((d) => d.card.trades)) : null;
  return [
    {
      target: "pooled expectancy > 0 R, 95% CI above 0",
      met: e !== null && e > 0 && p.ciLow !== null && p.ciLow > 0,
      value: `${fmt(e)} R [${fmt(p.ciLow)}, ${fmt(p.ciHigh)}]`,
    },
    {
      target: "at or above the 95th percentile of random entries",
      met: p.randomPercentile !== null && p.randomPercentile >= 95,
      value: `${fmt(p.randomPercentile, 1)}th`,
    },
    {
      target: "above the EMA 20/50 cross with the same exits",
      met: e !== null && (p.ema.expectancyR === null || e > p.ema.expectancyR),
      value: `${fmt(e)} vs ${fmt(p.ema.expectancyR)} R`,
    },
    {
      target: "above the 20-bar Donchian breakout with the same exits",
      met: e !== null && (p.donchian.expectancyR === null || e > p.donchian.expectancyR),
      value: `${fmt(e)} vs ${fmt(p.donchian.expectancyR)} R`,
    },
    {
      target: ">= 30 trades on each 4h dataset",
      met: fewest !== null && fewest >= 30,
      value: fewest === null ? "no 4h dataset" : `fewest ${fewest}`,
    },
    {
      target: "Brier score below the base rate's",
      met: p.brier !== null && p.baseRateBrier !== null && p.brier < p.baseRateBrier,
      value: brierPair(p.brier, p.baseRateBrier),
    },
    {
      target: `TP1 rate within ±${
        fmt(DECILE_TOLERANCE * 100, 0)
      } points of confidence in deciles with >= ${MIN_DECILE_TRADES}`,
      met: p.calibrationGap !== null && p.calibrationGap <= DECILE_TOLERANCE,
      value: p.calibrationGap === null
        ? "no decile large enough"
        : `largest gap ${fmt(p.calibrationGap * 100, 1)} points` + (p.calibratedPassRate === null
          ? ""
          : `; exact probabilities would pass ${
            fmt(p.calibratedPassRate * 100, 0)
          }% of the time (median gap ${fmt((p.calibratedMedianGap ?? 0) * 100, 1)})`),
    },
  ];
}

/**
 * Two Brier scores to 4 decimals, or to as many more (up to 6) as it takes for unequal scores to
 * print unequal: "0.22898 vs 0.22902" rather than a "met" beside "0.2290 vs 0.2290".
 */
function brierPair(a: number | null, b: number | null): string {
  let d = 4;
  while (d < 6 && a !== null && b !== null && a !== b && fmt(a, d) === fmt(b, d)) d++;
  return `${fmt(a, d)} vs ${fmt(b, d)}`;
}

function statsJson(s: TradeSetStats) {
  return {
    trades: s.trades,
    winRate: s.winRate,
    expectancyR: s.expectancyR,
    ciLow: s.ciLow,
    ciHigh: s.ciHigh,
    profitFactor: s.profitFactor,
    maxDrawdownR: s.maxDrawdownR,
  };
}

function cardJson(c: Scorecard) {
  return {
    ...statsJson(c),
    returnPct: c.returnPct,
    buyAndHoldPct: c.buyAndHoldPct,
    maxDrawdownPct: c.maxDrawdownPct,
    randomPercentile: c.randomPercentile,
    randomMeanR: c.randomMeanR,
    randomP95R: c.randomP95R,
    ema: statsJson(c.ema),
    donchian: statsJson(c.donchian),
    tp1Rate: c.tp1Rate,
    brier: c.brier,
    baseRateBrier: c.baseRateBrier,
    spearman: c.spearman,
    calibrationGap: c.calibrationGap,
    calibratedPassRate: c.calibratedPassRate,
    calibratedMedianGap: c.calibratedMedianGap,
    deciles: c.deciles,
  };
}

/** The JSON document (deterministic: no run time, fixed key order). */
export function evaluationJson(run: EvaluationRun) {
  return {
    period: {
      from: run.from === null ? null : new Date(run.from).toISOString(),
      to: run.to === null ? null : new Date(run.to).toISOString(),
    },
    replications: run.replications,
    seed: run.seed,
    settings: run.settings,
    analyzer: run.analyzer,
    pooled: { datasets: run.datasets.length, ...cardJson(run.pooled) },
    datasets: run.datasets.map((d) => ({
      name: d.dataset.name,
      symbol: d.dataset.symbol,
      interval: d.dataset.interval,
      files: d.dataset.paths.length,
      bars: d.window.end - d.window.start,
      from: new Date(barTime(d, d.window.start)).toISOString(),
      to: new Date(barTime(d, d.window.end - 1)).toISOString(),
      missingCandles: d.dataset.missingCandles,
      signals: d.signals,
      ...cardJson(d.card),
    })),
    outside: run.outside,
    targets: targetChecks(run),
  };
}

const signed = (v: number | null, d = 2) => (v === null ? "-" : `${v >= 0 ? "+" : ""}${fmt(v, d)}`);
const pct = (v: number | null) => (v === null ? "-" : `${fmt(v * 100, 0)}%`);

function row(name: string, period: string, c: Scorecard): string[] {
  return [
    name,
    period,
    String(c.trades),
    pct(c.winRate),
    signed(c.expectancyR),
    c.ciLow === null ? "-" : `[${signed(c.ciLow)}, ${signed(c.ciHigh)}]`,
    profitFactorText(c.profitFactor, (c.winRate ?? 0) > 0),
    fmt(c.maxDrawdownR, 1),
    `${signed(c.returnPct, 1)}%`,
    `${signed(c.buyAndHoldPct, 1)}%`,
    fmt(c.randomPercentile, 0),
    signed(c.ema.expectancyR),
    signed(c.donchian.expectancyR),
    fmt(c.brier, 3),
    fmt(c.baseRateBrier, 3),
    signed(c.spearman),
  ];
}

/** The summary table: one row per dataset, then the pool (first row: the header). */
export function summaryRows(run: EvaluationRun): string[][] {
  const rows: string[][] = [[
    "dataset",
    "period",
    "trades",
    "win",
    "exp R",
    "95% CI",
    "PF",
    "DD R",
    "return",
    "B&H",
    "rand pct",
    "EMA R",
    "Donch R",
    "Brier",
    "base",
    "rho",
  ]];
  for (const d of run.datasets) {
    const period = `${day(barTime(d, d.window.start))} → ${day(barTime(d, d.window.end - 1))}`;
    rows.push(row(d.dataset.name, period, d.card));
  }
  rows.push(row(`pooled (${run.datasets.length})`, "", run.pooled));
  return rows;
}

/** The pool's calibration by confidence decile (first row: the header). */
export function decileRows(c: Scorecard): string[][] {
  const rows: string[][] = [["decile", "trades", "confidence", "mean conf", "TP1 rate", "avg R"]];
  c.deciles.forEach((d, k) =>
    rows.push([
      String(k + 1),
      String(d.trades),
      `${fmt(d.confidenceFrom, 3)}–${fmt(d.confidenceTo, 3)}`,
      fmt(d.meanConfidence, 3),
      fmt(d.tp1Rate, 3),
      signed(d.avgR),
    ])
  );
  return rows;
}

/** The first line of the report: period, costs, replications. */
export function headline(run: EvaluationRun): string {
  const s = run.settings;
  const span = `${run.from === null ? "start" : day(run.from)} → ${
    run.to === null ? "end" : day(run.to - 1)
  }`;
  return `Evaluation of signal bars ${span} (earlier candles are warm-up only); fee ${
    fmt(s.feeRate * 100, 2)
  }%/side, slippage ${
    fmt(s.slippageBps, 1)
  } bps; ${run.replications} random-entry replications, seed ${run.seed}`;
}

/** What the columns mean. */
export function legend(run: EvaluationRun): string {
  return "exp R: mean R per trade after costs; CI: 95% bootstrap over trades; PF and DD in R; " +
    `return: ${fmt(run.settings.riskFraction * 100, 1)}% risk per trade, compounded (pool: mean ` +
    "of datasets); rand pct: percentile of exp R among random entries with the same trades' " +
    "shapes; EMA/Donch: EMA 20/50 cross and 20-bar Donchian breakout with the same exits; Brier of " +
    "confidence as P(TP1) vs the base rate's; rho: Spearman(confidence, R).";
}

/** The plain-text report: datasets and pool, the pool's deciles, and the target checks. */
export function evaluationText(run: EvaluationRun): string[] {
  const lines = [headline(run), "", ...table(summaryRows(run))];
  if (run.outside.length) lines.push(`no bars in the period: ${run.outside.join(", ")}`);
  lines.push("", "Pooled calibration by confidence decile (TP1 reached before the stop):");
  lines.push(...table(decileRows(run.pooled)));
  lines.push("", "Targets (issue 10; they apply to the validation period):");
  for (const t of targetChecks(run)) {
    lines.push(`  ${t.met ? "met   " : "missed"}  ${t.target}: ${t.value}`);
  }
  lines.push(
    "",
    legend(run),
    "Past results do not predict future ones. This is not financial advice.",
  );
  return lines;
}

/**
 * Plain-text reports of `deno task backtest` (one detailed report, or a comparison table) and the
 * table rows the HTML report shares with them, so both print the same figures.
 */

import type { BacktestMetrics, TradeStats } from "../../../shared/backtest/metrics.ts";
import type { Trade } from "../../../shared/backtest/types.ts";
import { datasetName, type DatasetReport, isoMinute } from "./backtest_dataset.ts";
import { alignTable, formatPrice, priceDecimals, profitFactorText } from "./format.ts";

/** Formats a number with `d` decimals, or "-" for null / non-finite. */
export function fmt(v: number | null | undefined, d = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(d);
}

function pct(v: number | null | undefined, d = 1): string {
  return v === null || v === undefined ? "-" : `${fmt(v * 100, d)}%`;
}

function day(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** Left-aligns the first column and right-aligns the rest. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")
      .trimEnd()
  );
}

/** Two columns, both left-aligned. */
function kv(rows: string[][]): string[] {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map((r) => `${r[0].padEnd(w)}  ${r[1]}`);
}

/** One line saying how the result was obtained (in-sample or out-of-sample). */
export function modeLine(d: DatasetReport): string {
  const ev = d.evaluation;
  const grid = ev.gridSize
    ? `, grid of ${ev.gridSize} settings chosen on each train part only`
    : "";
  if (ev.mode === "full") {
    return "Mode: whole file, one run (IN-SAMPLE: use --split or --walk-forward for out-of-sample)";
  }
  const how = ev.mode === "split"
    ? "train/test split"
    : `walk-forward, ${ev.parts.length / 2} folds`;
  return `Mode: ${how}${grid}. Results below are OUT-OF-SAMPLE (test parts only).`;
}

/** One line with the costs and sizing settings. */
export function costsLine(d: DatasetReport): string {
  const s = d.settings;
  return `Costs & sizing: fee ${fmt(s.feeRate * 100, 3)}%/side, slippage ${
    fmt(s.slippageBps, 1)
  } bps, ` +
    `risk ${fmt(s.riskFraction * 100, 2)}% of equity, max leverage ${s.maxLeverage}, scale-out ` +
    `${s.scaleOut.map((x) => Math.round(x * 100)).join("/")}%, break-even after TP1 ` +
    `${s.breakEvenAfterTp1 ? "on" : "off"}, time stop ${
      s.timeStopBars ? `${s.timeStopBars} bars` : "off"
    }`;
}

/** Trade statistics per direction as table rows (header first), shared by the text and HTML reports. */
export function statsRows(all: TradeStats, long: TradeStats, short: TradeStats): string[][] {
  const row = (label: string, f: (s: TradeStats) => string) => [label, f(all), f(long), f(short)];
  return [
    ["", "all", "long", "short"],
    row("trades", (s) => String(s.trades)),
    row("win rate", (s) => pct(s.winRate)),
    row("average R", (s) => fmt(s.avgR)),
    row("median R", (s) => fmt(s.medianR)),
    row("expectancy R", (s) => fmt(s.expectancyR)),
    row("profit factor", (s) => profitFactorText(s.profitFactor, s.wins > 0)),
    row("net P&L", (s) => fmt(s.netPnl)),
    row("fees", (s) => fmt(s.fees)),
    row("avg bars held", (s) => fmt(s.avgHoldingBars, 1)),
    row("longest losing streak", (s) => String(s.longestLosingStreak)),
  ];
}

/** The trade list as table rows (header first), shared by the text and HTML reports. */
export function tradeRows(trades: readonly Trade[]): string[][] {
  const d = priceDecimals(trades.flatMap((t) => [t.entryPrice, t.stopLoss]));
  return [
    ["entry (UTC)", "dir", "conf", "entry", "stop", "exit (UTC)", "exit", "bars", "R", "net P&L"],
    ...trades.map((t) => [
      isoMinute(t.entryTime),
      t.direction,
      fmt(t.confidence),
      formatPrice(t.entryPrice, d),
      formatPrice(t.stopLoss, d),
      isoMinute(t.exitTime),
      t.exitReason,
      String(t.barsHeld),
      fmt(t.r),
      fmt(t.netPnl),
    ]),
  ];
}

/** The train and test parts of a split or walk-forward run as table rows (header first). */
export function partRows(d: DatasetReport): string[][] {
  return [
    [
      "fold",
      "part",
      "period",
      "min conf",
      "stop ATR",
      "TP ATRs",
      "trades",
      "win",
      "avg R",
      "return",
      "buy&hold",
    ],
    ...d.evaluation.parts.map((p) => [
      String(p.fold + 1),
      p.kind,
      `${day(p.metrics.from)} → ${day(p.metrics.to)}`,
      fmt(p.config.minConfidence),
      fmt(p.config.stopAtr, 1),
      p.config.takeProfitAtr.join("/"),
      String(p.metrics.all.trades),
      pct(p.metrics.all.winRate, 0),
      fmt(p.metrics.all.avgR),
      `${fmt(p.metrics.totalReturnPct)}%`,
      `${fmt(p.metrics.buyAndHoldReturnPct)}%`,
    ]),
  ];
}

/** The reported result's headline figures as label/value rows, shared by the text and HTML reports. */
export function keyFigureRows(m: BacktestMetrics): string[][] {
  const dd = m.maxDrawdown;
  const skipped = Object.entries(m.skipped).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  return [
    ["total return", `${fmt(m.totalReturnPct)}%`],
    ["buy & hold (same period, no costs)", `${fmt(m.buyAndHoldReturnPct)}%`],
    ["CAGR", `${fmt(m.cagrPct)}%`],
    ["final equity", fmt(m.finalEquity)],
    [
      "max drawdown",
      `${fmt(dd.maxDrawdownPct)}% (peak ${isoMinute(dd.peakTime)}, trough ${
        isoMinute(dd.troughTime)
      }, recovered ${dd.recoveryTime === null ? "never" : isoMinute(dd.recoveryTime)})`,
    ],
    ["Sharpe / Sortino (annualised)", `${fmt(m.sharpe)} / ${fmt(m.sortino)}`],
    ["exposure", `${fmt(m.exposurePct, 1)}%`],
    ["average holding time", `${fmt(m.avgHoldingHours, 1)} h`],
    ["fees paid", fmt(m.feesPaid)],
    ["signals (per month)", `${m.signals} (${fmt(m.signalsPerMonth, 1)})`],
    ["signals not traded", skipped],
  ];
}

/** Confidence calibration as table rows (header first): does higher confidence pay better? */
export function calibrationRows(m: BacktestMetrics): string[][] {
  return [
    ["confidence", "trades", "TP1 hit", "avg R"],
    ...m.calibration.map((c) => [
      `${fmt(c.from)}–${fmt(c.to)}`,
      String(c.trades),
      pct(c.tp1HitRate, 0),
      fmt(c.avgR),
    ]),
  ];
}

/** One line naming the reported period (out-of-sample or in-sample). */
export function reportedLine(d: DatasetReport): string {
  const m = d.evaluation.metrics;
  return `${d.evaluation.outOfSample ? "Out-of-sample" : "In-sample"} result, ${
    isoMinute(m.from)
  } → ${isoMinute(m.to)} UTC (${m.bars} bars)`;
}

/** The detailed report of one dataset. */
export function detailReport(d: DatasetReport, listTrades = false): string[] {
  const ev = d.evaluation;
  const m = ev.metrics;
  const out: string[] = [];
  const n = d.series.length;
  out.push(
    `${datasetName(d)}  ${d.path}  ${n} bars ${
      n ? `${day(d.series.openTime[0])} → ${day(m.to)}` : ""
    }`,
  );
  out.push(modeLine(d));
  out.push(costsLine(d));
  if (ev.mode !== "full") {
    out.push("", "Parts (train = in-sample, shown for reference only; test = reported)");
    out.push(...table(partRows(d)));
  }
  out.push("", reportedLine(d));
  out.push(...table(statsRows(m.all, m.long, m.short)));
  out.push("", ...kv(keyFigureRows(m)));
  out.push("", "Confidence calibration (does higher confidence mean better outcomes?)");
  out.push(...table(calibrationRows(m)));
  if (listTrades) {
    out.push("", "Trades");
    out.push(...table(tradeRows(ev.simulation.trades)));
  }
  return out;
}

/** One row per dataset (header first): the reported (often out-of-sample) result and buy-and-hold. */
export function comparisonRows(ds: readonly DatasetReport[]): string[][] {
  const rows = [[
    "dataset",
    "period (reported)",
    "mode",
    "trades",
    "win",
    "avg R",
    "PF",
    "return",
    "buy&hold",
    "max DD",
    "Sharpe",
    "fees",
  ]];
  const names = ds.map(datasetName);
  for (const [i, d] of ds.entries()) {
    const m = d.evaluation.metrics;
    const file = (d.path.split("/").pop() ?? d.path).replace(/\.(json|csv)$/i, "");
    rows.push([
      names.indexOf(names[i]) === names.lastIndexOf(names[i]) ? names[i] : `${names[i]} (${file})`,
      `${day(m.from)} → ${day(m.to)}`,
      d.evaluation.outOfSample ? `${d.evaluation.mode} (OOS)` : "full (in-sample)",
      String(m.all.trades),
      pct(m.all.winRate, 0),
      fmt(m.all.avgR),
      profitFactorText(m.all.profitFactor, m.all.wins > 0),
      `${fmt(m.totalReturnPct)}%`,
      `${fmt(m.buyAndHoldReturnPct)}%`,
      `${fmt(m.maxDrawdown.maxDrawdownPct)}%`,
      fmt(m.sharpe),
      fmt(m.feesPaid),
    ]);
  }
  return rows;
}

/** The comparison of several datasets as aligned text lines. */
export function comparisonTable(ds: readonly DatasetReport[]): string[] {
  return alignTable(comparisonRows(ds), "lll"); // dataset, period and mode read left to right
}

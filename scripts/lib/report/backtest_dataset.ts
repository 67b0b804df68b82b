/** One backtested dataset as the CLI reports it, and its JSON form. */

import type { Evaluation } from "../../../shared/backtest/evaluate.ts";
import type { BacktestSettings } from "../../../shared/backtest/settings.ts";
import type { Trade } from "../../../shared/backtest/types.ts";
import type { CandleSeries } from "../../../shared/candles/types.ts";
import type { AnalyzerConfig } from "../../../shared/signals/config.ts";

/** A file's evaluation with what is needed to print it. */
export interface DatasetReport {
  path: string;
  symbol: string | null;
  interval: string | null;
  series: CandleSeries;
  analyzer: AnalyzerConfig;
  settings: BacktestSettings;
  evaluation: Evaluation;
}

/** Short name of a dataset: `SYMBOL interval`, else the file name. */
export function datasetName(d: DatasetReport): string {
  if (d.symbol) return `${d.symbol} ${d.interval ?? "?"}`;
  return d.path.split("/").pop() ?? d.path;
}

/** ISO time without seconds (`2024-03-01 12:00`), or "-" for null. */
export function isoMinute(t: number | null): string {
  return t === null ? "-" : new Date(t).toISOString().slice(0, 16).replace("T", " ");
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function tradeJson(t: Trade) {
  return {
    ...t,
    signalTime: iso(t.signalTime),
    entryTime: iso(t.entryTime),
    exitTime: iso(t.exitTime),
    fills: t.fills.map((f) => ({ ...f, time: iso(f.time) })),
  };
}

/** The JSON document of one dataset (deterministic: no run timestamps, fixed key order). */
export function datasetJson(d: DatasetReport) {
  const ev = d.evaluation;
  const outcome = new Map<number, string>();
  for (const t of ev.simulation.trades) outcome.set(t.signalIndex, "traded");
  for (const s of ev.simulation.skipped) outcome.set(s.signalIndex, s.reason);
  const n = d.series.length;
  return {
    path: d.path,
    symbol: d.symbol,
    interval: d.interval,
    bars: n,
    from: n ? iso(d.series.openTime[0]) : null,
    to: n ? iso(ev.metrics.to) : null,
    mode: ev.mode,
    outOfSample: ev.outOfSample,
    gridSize: ev.gridSize,
    settings: d.settings,
    analyzer: d.analyzer,
    metrics: ev.metrics,
    parts: ev.parts.map((p) => ({
      ...p,
      from: iso(p.metrics.from),
      to: iso(p.metrics.to),
    })),
    signals: ev.signals.map((s) => ({
      time: iso(s.time),
      bar: s.index,
      direction: s.direction,
      entry: s.entry,
      stopLoss: s.stopLoss,
      takeProfits: s.takeProfits,
      confidence: s.confidence,
      outcome: outcome.get(s.index) ?? "outside",
    })),
    trades: ev.simulation.trades.map(tradeJson),
  };
}

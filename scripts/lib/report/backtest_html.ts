/** The self-contained HTML backtest report: inline CSS and SVG charts, no script, no network. */

import type { BacktestMetrics } from "../../../shared/backtest/metrics.ts";
import { datasetName, type DatasetReport, isoMinute } from "./backtest_dataset.ts";
import { esc, lineChart, type Marker } from "./backtest_svg.ts";
import { comparisonTable, costsLine, fmt, modeLine, tradeRows } from "./backtest_table.ts";

const CSS =
  `body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:18px;margin-top:36px;border-bottom:1px solid #ccc}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
.note{color:#555}.oos{color:#060;font-weight:600}.ins{color:#a40;font-weight:600}
svg{width:100%;height:auto;background:#fafafa;border:1px solid #eee}
.grid{stroke:#e4e4e4}.ylab{font-size:11px;text-anchor:end;dominant-baseline:middle;fill:#666}
.xlab{font-size:11px;text-anchor:middle;fill:#666}.legend{font-size:12px;fill:#333}
pre{background:#f6f6f6;padding:8px;overflow:auto}.warn{background:#fff4e5;padding:8px;border:1px solid #f0c36d}`;

function tableHtml(rows: string[][]): string {
  const [head, ...body] = rows;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${
    body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function pct(v: number | null, d = 1): string {
  return v === null ? "-" : `${fmt(v * 100, d)}%`;
}

function summaryRows(m: BacktestMetrics): string[][] {
  const dd = m.maxDrawdown;
  return [
    ["metric", "value"],
    ["trades (long / short)", `${m.all.trades} (${m.long.trades} / ${m.short.trades})`],
    ["win rate", pct(m.all.winRate)],
    ["average / median R", `${fmt(m.all.avgR)} / ${fmt(m.all.medianR)}`],
    ["expectancy R", fmt(m.all.expectancyR)],
    ["profit factor", fmt(m.all.profitFactor)],
    ["total return", `${fmt(m.totalReturnPct)}%`],
    ["buy & hold, same period (no costs)", `${fmt(m.buyAndHoldReturnPct)}%`],
    ["CAGR", `${fmt(m.cagrPct)}%`],
    [
      "max drawdown",
      `${fmt(dd.maxDrawdownPct)}% (peak ${isoMinute(dd.peakTime)}, trough ${
        isoMinute(dd.troughTime)
      }, ` +
      `recovered ${dd.recoveryTime === null ? "never" : isoMinute(dd.recoveryTime)})`,
    ],
    ["Sharpe / Sortino (annualised)", `${fmt(m.sharpe)} / ${fmt(m.sortino)}`],
    ["exposure", `${fmt(m.exposurePct, 1)}%`],
    ["average holding time", `${fmt(m.avgHoldingHours, 1)} h`],
    ["longest losing streak", String(m.all.longestLosingStreak)],
    ["fees paid", fmt(m.feesPaid)],
    ["signals per month", fmt(m.signalsPerMonth, 1)],
  ];
}

function datasetSection(d: DatasetReport): string {
  const ev = d.evaluation;
  const m = ev.metrics;
  const sim = ev.simulation;
  const { start, end } = sim;
  const times = d.series.openTime.subarray(start, end);
  const close = d.series.close.subarray(start, end);
  const firstOpen = d.series.open[start];
  const hold = Float64Array.from(close, (c) => (sim.initialEquity * c) / firstOpen);
  const dd = new Float64Array(sim.equity.length);
  let peak = sim.initialEquity;
  for (let i = 0; i < dd.length; i++) {
    peak = Math.max(peak, sim.equity[i]);
    dd[i] = (sim.equity[i] / peak - 1) * 100;
  }
  const markers: Marker[] = [];
  for (const t of sim.trades) {
    const green = t.direction === "long";
    markers.push({
      time: t.entryTime,
      value: t.entryPrice,
      shape: green ? "up" : "down",
      color: green ? "#1a7f37" : "#c62828",
      title: `${t.direction} entry ${isoMinute(t.entryTime)} at ${t.entryPrice.toPrecision(7)}, ` +
        `stop ${t.stopLoss.toPrecision(7)}, confidence ${fmt(t.confidence)}`,
    });
    for (const f of t.fills.slice(1)) {
      markers.push({
        time: f.time,
        value: f.price,
        shape: "dot",
        color: f.reason === "stop" ? "#c62828" : f.reason.startsWith("tp") ? "#1a7f37" : "#555",
        title: `${f.reason} ${isoMinute(f.time)} at ${f.price.toPrecision(7)} (trade ${
          fmt(t.r)
        } R)`,
      });
    }
  }
  const out: string[] = [];
  out.push(`<h2>${esc(datasetName(d))}</h2>`);
  out.push(`<p class="note">${esc(d.path)}, ${d.series.length} bars</p>`);
  out.push(`<p class="${ev.outOfSample ? "oos" : "ins"}">${esc(modeLine(d))}</p>`);
  out.push(`<p class="note">${esc(costsLine(d))}</p>`);
  out.push(
    `<h3>Reported period ${esc(isoMinute(m.from))} → ${esc(isoMinute(m.to))} UTC</h3>`,
    tableHtml(summaryRows(m)),
  );
  out.push(
    "<h3>Price and trades</h3>",
    `<p class="note">▲ long entry, ▼ short entry, ● exit (green target, red stop, grey other). Hover for details.</p>`,
    lineChart([{ label: "close", color: "#1f5fbf", times, values: close }], markers, 320),
  );
  out.push(
    "<h3>Equity</h3>",
    lineChart([
      { label: "strategy equity", color: "#1a7f37", times, values: sim.equity },
      { label: "buy & hold (no costs)", color: "#999", times, values: hold },
    ]),
  );
  out.push(
    "<h3>Drawdown</h3>",
    lineChart(
      [{ label: "drawdown %", color: "#c62828", times, values: dd, area: true }],
      [],
      180,
      "%",
    ),
  );
  if (ev.mode !== "full") {
    out.push(
      "<h3>Parts (train = in-sample, for reference; test = reported)</h3>",
      tableHtml([
        [
          "fold",
          "part",
          "period",
          "min conf",
          "stop ATR",
          "TP ATR",
          "trades",
          "win",
          "avg R",
          "return",
          "B&H",
        ],
        ...ev.parts.map((p) => [
          String(p.fold + 1),
          p.kind,
          `${isoMinute(p.metrics.from)} → ${isoMinute(p.metrics.to)}`,
          fmt(p.config.minConfidence),
          fmt(p.config.stopAtr, 1),
          p.config.takeProfitAtr.join("/"),
          String(p.metrics.all.trades),
          pct(p.metrics.all.winRate, 0),
          fmt(p.metrics.all.avgR),
          `${fmt(p.metrics.totalReturnPct)}%`,
          `${fmt(p.metrics.buyAndHoldReturnPct)}%`,
        ]),
      ]),
    );
  }
  out.push(
    "<h3>Confidence calibration</h3>",
    tableHtml([
      ["confidence", "trades", "TP1 hit rate", "average R"],
      ...m.calibration.map((c) => [
        `${fmt(c.from)}–${fmt(c.to)}`,
        String(c.trades),
        pct(c.tp1HitRate, 0),
        fmt(c.avgR),
      ]),
    ]),
  );
  out.push(
    "<h3>Per direction</h3>",
    tableHtml([
      ["", "all", "long", "short"],
      ...(["trades", "winRate", "avgR", "medianR", "profitFactor", "netPnl", "fees"] as const).map((
        k,
      ) => [
        k,
        ...[m.all, m.long, m.short].map((s) =>
          k === "trades" ? String(s[k]) : k === "winRate" ? pct(s[k]) : fmt(s[k])
        ),
      ]),
    ]),
  );
  out.push(
    `<h3>Trades (${sim.trades.length})</h3>`,
    tableHtml(tradeRows(sim.trades)),
  );
  return out.join("\n");
}

/** The whole page for one or more datasets. */
export function htmlReport(reports: readonly DatasetReport[]): string {
  const title = `Backtest: ${reports.map(datasetName).join(", ")}`;
  const parts = [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>`,
    `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p class="warn">Past results do not predict future ones. This is not financial advice. Entry at the next bar's open after the signal; stop assumed hit first when stop and target share a bar; fees and slippage charged on every fill.</p>`,
  ];
  if (reports.length > 1) {
    parts.push("<h2>Comparison</h2>", `<pre>${esc(comparisonTable(reports).join("\n"))}</pre>`);
  }
  for (const r of reports) parts.push(datasetSection(r));
  parts.push("</body></html>");
  return parts.join("\n") + "\n";
}

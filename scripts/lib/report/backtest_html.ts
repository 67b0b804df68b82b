/**
 * The HTML backtest report: one self-contained page that opens offline. Tables are rendered here from
 * the same row builders as the text report (identical figures); charts are drawn in the browser by
 * TradingView Lightweight Charts™, inlined from the pinned npm package with its licence and notice
 * (chart_library.ts), from the data of backtest_chart_data.ts by backtest_page.js.
 */

import { chartData } from "./backtest_chart_data.ts";
import { datasetName, type DatasetReport, isoMinute } from "./backtest_dataset.ts";
import {
  calibrationRows,
  comparisonRows,
  costsLine,
  keyFigureRows,
  modeLine,
  partRows,
  reportedLine,
  statsRows,
  tradeRows,
} from "./backtest_table.ts";
import { chartLibrary } from "./chart_library.ts";
import { esc, tableHtml } from "./html.ts";

const PAGE_SCRIPT = new URL("./backtest_page.js", import.meta.url);

const CSS = `
:root{--long:#0072B2;--short:#E69F00;--tp:#009E73;--stop:#D55E00;--other:#6b6b6b}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:20px auto;max-width:1280px;color:#1d1d1d;padding:0 16px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:19px;margin:40px 0 6px;padding-bottom:4px;border-bottom:2px solid #d0d0d0}
h3{font-size:15px;margin:22px 0 6px}
table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums}
td,th{padding:3px 10px;border-bottom:1px solid #ececec;text-align:right;white-space:nowrap}
th{background:#f5f5f5;font-weight:600}td:first-child,th:first-child{text-align:left}
.kv td:first-child{color:#444}.kv td:last-child,.kv th:last-child{text-align:left}
.note{color:#555;margin:2px 0}.oos{color:#05612f;font-weight:600;margin:2px 0}.ins{color:#9a4a00;font-weight:600;margin:2px 0}
.warn{background:#fff6e0;padding:8px 12px;border:1px solid #f0c36d;border-radius:4px}
.cols{display:flex;flex-wrap:wrap;gap:8px 40px;align-items:flex-start}
.toolbar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:10px 0 4px}
.toolbar button{font:inherit;padding:3px 10px;border:1px solid #bbb;background:#fafafa;border-radius:4px;cursor:pointer}
.toolbar button:hover{background:#eee}.toolbar .picked{color:#444;font-weight:600}.hint{color:#666;margin-left:8px}
.key{display:flex;flex-wrap:wrap;gap:4px 16px;color:#333;font-size:13px;margin:4px 0 6px}
.key span{display:inline-flex;align-items:center;gap:5px}.key svg{width:14px;height:14px}
.chart{position:relative;height:760px;border:1px solid #d6d6d6}
.legend{position:absolute;left:8px;z-index:3;pointer-events:none;font-size:12px;background:rgba(255,255,255,.82);padding:1px 6px;border-radius:3px;max-width:calc(100% - 110px)}
.legend b{font-weight:600}
.trade-line{min-height:2.9em;font-size:13px;padding:2px 8px;margin:0 0 4px;background:#f7f9fb;border:1px solid #e1e6eb;border-radius:3px}
.trade-line:empty::before{content:attr(data-empty);color:#777}
.sw-equity{color:var(--long)}.sw-hold{color:var(--other)}.sw-drawdown{color:var(--stop)}
.dir-long{color:var(--long)}.dir-short{color:#a86f00}.lvl-stop{color:var(--stop)}.lvl-tp{color:var(--tp)}
tr[data-trade]{cursor:pointer}tr[data-trade]:hover td{background:#eef5fb}
.fold-test td:first-child{border-left:4px solid rgba(0,114,178,.45)}.fold-train td:first-child{border-left:4px solid rgba(120,120,120,.35)}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
.licence{margin-top:48px;color:#555;font-size:12px;border-top:1px solid #ddd;padding-top:8px}
.licence pre{white-space:pre-wrap;font-size:11px;background:#f7f7f7;padding:8px;max-height:320px;overflow:auto}`;

const ICON = {
  up: (c: string) => `<svg viewBox="0 0 14 14"><path d="M7 1 13 12H1z" fill="${c}"/></svg>`,
  down: (c: string) => `<svg viewBox="0 0 14 14"><path d="M7 13 13 2H1z" fill="${c}"/></svg>`,
  circle: (c: string) =>
    `<svg viewBox="0 0 14 14"><circle cx="7" cy="7" r="5.5" fill="${c}"/></svg>`,
  square: (c: string) =>
    `<svg viewBox="0 0 14 14"><rect x="2" y="2" width="10" height="10" fill="${c}"/></svg>`,
  band: (c: string) =>
    `<svg viewBox="0 0 14 14"><rect x="0" y="0" width="14" height="14" fill="${c}" stroke="#999"/></svg>`,
};

/** The key under the toolbar: what each marker, band and zone means. */
function chartKey(d: DatasetReport): string {
  const items = [
    [ICON.up("var(--long)"), "long entry"],
    [ICON.down("var(--short)"), "short entry"],
    [ICON.circle("var(--tp)"), "take-profit exit (TP1–TP3)"],
    [ICON.square("var(--stop)"), "stop-loss exit (SL)"],
    [ICON.square("var(--other)"), "break-even stop (BE)"],
    [ICON.circle("var(--other)"), "time stop, opposite signal (Rev), end of data"],
    [ICON.band("rgba(213,94,0,.3)"), "risk: entry to stop"],
    [ICON.band("rgba(0,158,115,.3)"), "reward: entry to TP3"],
  ];
  if (d.evaluation.mode !== "full") {
    items.push(
      [ICON.band("rgba(120,120,120,.2)"), "training data (in-sample, not reported)"],
      [
        ICON.band("rgba(0,114,178,.12)"),
        d.evaluation.mode === "split" ? "test part (reported)" : "test folds (reported)",
      ],
    );
  }
  return `<div class="key">${
    items.map(([icon, text]) => `<span>${icon}${esc(text)}</span>`).join("")
  }</div>`;
}

function chartBlock(d: DatasetReport, i: number): string {
  return `<div class="chart-block" id="chart-${i}">
<div class="toolbar"><button data-act="all">Whole file</button><button data-act="reported">Reported period</button><button data-act="prev">◀ Previous trade</button><button data-act="next">Next trade ▶</button><span class="picked"></span><span class="hint">Scroll to zoom, drag to pan, hover a trade to see its entry, stop and targets. Times in UTC.</span></div>
${chartKey(d)}
<div class="trade-line" data-empty="Hover a trade on the chart (or use Previous / Next trade) to see its entry, stop, targets and exits."></div>
<div class="chart"></div>
</div>`;
}

function datasetSection(d: DatasetReport, i: number): string {
  const ev = d.evaluation;
  const m = ev.metrics;
  const n = d.series.length;
  const out: string[] = [];
  out.push(`<section id="dataset-${i}">`, `<h2>${esc(datasetName(d))}</h2>`);
  out.push(
    `<p class="note">${esc(d.path)}, ${n} bars, ${esc(isoMinute(d.series.openTime[0]))} → ${
      esc(isoMinute(d.series.openTime[n - 1]))
    } UTC (bar open times)</p>`,
  );
  out.push(`<p class="${ev.outOfSample ? "oos" : "ins"}">${esc(modeLine(d))}</p>`);
  out.push(`<p class="note">${esc(costsLine(d))}</p>`);
  out.push(chartBlock(d, i));
  out.push(`<h3>${esc(reportedLine(d))}</h3>`);
  out.push(
    `<div class="cols"><div>${tableHtml(statsRows(m.all, m.long, m.short))}</div><div>${
      tableHtml([["figure", "value"], ...keyFigureRows(m)], "kv")
    }</div></div>`,
  );
  if (ev.mode !== "full") {
    out.push(
      "<h3>Parts (train = in-sample, for reference only; test = reported)</h3>",
      tableHtml(partRows(d), "", (r) => ` class="fold-${ev.parts[r].kind}"`),
    );
  }
  out.push(
    "<h3>Confidence calibration (does higher confidence mean better outcomes?)</h3>",
    tableHtml(calibrationRows(m)),
  );
  out.push(
    `<details open><summary>Trades (${ev.simulation.trades.length}): click a row to show it on the chart</summary>`,
    tableHtml(
      tradeRows(ev.simulation.trades).map((row, r) => [r === 0 ? "#" : String(r), ...row]),
      "",
      (r) => ` data-ds="${i}" data-trade="${r}"`,
    ),
    "</details>",
    "</section>",
  );
  return out.join("\n");
}

function comparisonSection(reports: readonly DatasetReport[]): string {
  const rows = comparisonRows(reports);
  const body = rows.slice(1).map((r, i) =>
    `<tr>${
      r.map((c, j) =>
        j === 0 ? `<td><a href="#dataset-${i}">${esc(c)}</a></td>` : `<td>${esc(c)}</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  return `<h2>Comparison</h2>
<p class="note">One row per file: the reported result (out-of-sample when split or walk-forward) beside buy-and-hold over the same bars. Click a name for its chart.</p>
<table><thead><tr>${
    rows[0].map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** JSON for an inline <script>: `<` escaped so no `</script>` or `<!--` can end it early. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** Inline script text: a `</script` inside would end the element early, so it is refused. */
function inlineScript(text: string, what: string): string {
  if (/<\/script/i.test(text)) throw new Error(`${what} contains </script> and cannot be inlined`);
  return text;
}

/**
 * The whole page for one or more datasets (one chart and set of tables each, a comparison table when
 * there are several). Throws an Error when the pinned charting library cannot be read.
 */
export function htmlReport(reports: readonly DatasetReport[]): string {
  const lib = chartLibrary();
  const pageScript = Deno.readTextFileSync(PAGE_SCRIPT);
  const title = `Backtest: ${reports.map(datasetName).join(", ")}`;
  const parts = [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>`,
    `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p class="warn">Past results do not predict future ones. This is not financial advice. Entry at the next bar's open after the signal; stop assumed hit first when stop and target share a bar; fees and slippage charged on every fill.</p>`,
  ];
  if (reports.length > 1) parts.push(comparisonSection(reports));
  reports.forEach((r, i) => parts.push(datasetSection(r, i)));
  parts.push(
    `<footer class="licence"><p>Charts drawn with ${
      esc(lib.notice.split("\n")[0])
    } ${lib.version} by <a href="https://www.tradingview.com/">TradingView</a>, inlined into this file under the Apache License 2.0.</p><pre>${
      esc(lib.notice)
    }</pre><details><summary>Apache License 2.0 (lightweight-charts)</summary><pre>${
      esc(lib.licenseText)
    }</pre></details></footer>`,
    `<script type="application/json" id="report-data">${
      inlineJson({ datasets: reports.map(chartData) })
    }</script>`,
    `<script>${inlineScript(lib.script, "lightweight-charts")}</script>`,
    `<script>${inlineScript(pageScript, "backtest_page.js")}</script>`,
    "</body></html>",
  );
  return parts.join("\n") + "\n";
}

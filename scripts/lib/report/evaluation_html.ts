/** The self-contained HTML evaluation report (inline CSS and SVG, no script, no network). */

import type { Scorecard } from "../../../shared/backtest/scorecard.ts";
import { esc } from "./html.ts";
import { fmt } from "./backtest_table.ts";
import {
  decileRows,
  type EvaluationRun,
  headline,
  legend,
  summaryRows,
  targetChecks,
} from "./evaluation.ts";

const CSS =
  `body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1440px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}
.scroll{overflow-x:auto}
tr:last-child td{font-weight:600}.met{color:#060}.missed{color:#a00}.note{color:#555}
svg{width:420px;height:auto;background:#fafafa;border:1px solid #eee}
.warn{background:#fff4e5;padding:8px;border:1px solid #f0c36d}`;

function tableHtml(rows: string[][]): string {
  const [head, ...body] = rows;
  return `<div class="scroll"><table><thead><tr>${
    head.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table></div>`;
}

/**
 * Reliability diagram of the pool: observed TP1 rate against mean stated confidence per decile (dot
 * area ∝ trades), with the diagonal a calibrated forecast would follow.
 */
function reliabilitySvg(c: Scorecard): string {
  const size = 320;
  const pad = 36;
  const x = (v: number) => pad + v * (size - 2 * pad);
  const y = (v: number) => size - pad - v * (size - 2 * pad);
  const max = Math.max(1, ...c.deciles.map((d) => d.trades));
  const parts = [
    `<svg viewBox="0 0 ${size} ${size}" role="img" xmlns="http://www.w3.org/2000/svg">`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${
      y(1)
    }" stroke="#bbb" stroke-dasharray="4 3"/>`,
    `<rect x="${x(0)}" y="${y(1)}" width="${x(1) - x(0)}" height="${
      y(0) - y(1)
    }" fill="none" stroke="#ccc"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = k / 4;
    parts.push(
      `<text x="${x(v)}" y="${size - pad + 16}" font-size="11" text-anchor="middle">${v}</text>`,
      `<text x="${pad - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text>`,
    );
  }
  parts.push(
    `<text x="${size / 2}" y="${
      size - 4
    }" font-size="12" text-anchor="middle">stated probability (confidence)</text>`,
    `<text x="12" y="${size / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 12 ${
      size / 2
    })">observed TP1 rate</text>`,
  );
  for (const d of c.deciles) {
    const r = 2 + 6 * Math.sqrt(d.trades / max);
    parts.push(
      `<circle cx="${x(d.meanConfidence).toFixed(1)}" cy="${y(d.tp1Rate).toFixed(1)}" r="${
        r.toFixed(1)
      }" fill="#2a6fb0" fill-opacity="0.7"><title>${d.trades} trades: ${
        fmt(d.meanConfidence, 3)
      } stated, ${fmt(d.tp1Rate, 3)} observed</title></circle>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

/** The whole report as one HTML page. */
export function evaluationHtml(run: EvaluationRun): string {
  const title = `Evaluation: ${run.datasets.length} dataset${run.datasets.length === 1 ? "" : "s"}`;
  const p = run.pooled;
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>`,
    `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p class="warn">Past results do not predict future ones. This is not financial advice.</p>`,
    `<p>${esc(headline(run))}</p>`,
    "<h2>Per dataset and pooled</h2>",
    tableHtml(summaryRows(run)),
    run.outside.length
      ? `<p class="note">No bars in the period: ${esc(run.outside.join(", "))}</p>`
      : "",
    `<p class="note">${esc(legend(run))}</p>`,
    "<h2>Targets</h2><ul>",
    ...targetChecks(run).map((t) =>
      `<li class="${t.met ? "met" : "missed"}">${t.met ? "met" : "missed"}: ${esc(t.target)} (${
        esc(t.value)
      })</li>`
    ),
    "</ul>",
    "<h2>Random entries and classical rules (pooled)</h2>",
    tableHtml([
      ["entry rule", "trades", "exp R", "95% CI", "win"],
      ...([["random entries (mean of replications)", null], ["EMA 20/50 cross", p.ema], [
        "Donchian 20 breakout",
        p.donchian,
      ]] as const).map(([name, s]) =>
        s === null
          ? [name, String(p.trades), fmt(p.randomMeanR), `p95 ${fmt(p.randomP95R)}`, "-"]
          : [
            name,
            String(s.trades),
            fmt(s.expectancyR),
            `[${fmt(s.ciLow)}, ${fmt(s.ciHigh)}]`,
            s.winRate === null ? "-" : `${fmt(s.winRate * 100, 0)}%`,
          ]
      ),
      [
        "the method",
        String(p.trades),
        fmt(p.expectancyR),
        `[${fmt(p.ciLow)}, ${fmt(p.ciHigh)}]`,
        p
            .winRate === null
          ? "-"
          : `${fmt(p.winRate * 100, 0)}%`,
      ],
    ]),
    `<p>Our expectancy sits at the ${
      fmt(p.randomPercentile, 1)
    }th percentile of ${run.replications} random-entry replications.</p>`,
    "<h2>Calibration (pooled)</h2>",
    reliabilitySvg(p),
    tableHtml(decileRows(p)),
    `<p>Brier ${fmt(p.brier, 4)} (base rate ${fmt(p.baseRateBrier, 4)}, TP1 rate ${
      fmt(p.tp1Rate, 3)
    }); Spearman(confidence, R) ${fmt(p.spearman)}.</p>`,
    "</body></html>",
  ].join("\n") + "\n";
}

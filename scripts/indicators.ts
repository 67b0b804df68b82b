/**
 * `deno task indicators <file> [--json] [--all] [--last N]`: prints the standard indicator set
 * (RSI14, EMA20/50/200, MACD 12/26/9, ATR14, Bollinger 20/2, session VWAP, volume average 20) for a
 * kline file, as a table of the last bars or one JSON object per bar.
 */

import { parseArgs } from "node:util";
import { computeIndicators } from "../shared/indicators/set.ts";
import { LineWriter, runCli, UsageError } from "./lib/cli/run_cli.ts";
import {
  KLINE_FILE_HELP,
  KLINE_FILE_OPTIONS,
  loadCliKlineFile,
} from "./lib/cli/kline_file_options.ts";

const HELP =
  `usage: deno task indicators <file> [--json] [--all] [--last N] [--symbol S] [--interval I]
Reads a kline file (Binance REST JSON, Binance archive CSV, OHLCV CSV) and prints its indicators.
  --json        one JSON object per bar (null during warm-up), every bar
  --all         table of every bar (default: the last 20)
  --last N      table of the last N bars
${KLINE_FILE_HELP}`;

/** A number for JSON output: null for NaN (warm-up). */
function j(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** A number for the table: 7 significant digits, "-" during warm-up. */
function t(x: number, digits = 7): string {
  return Number.isFinite(x) ? x.toPrecision(digits) : "-";
}

await runCli(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean" },
      all: { type: "boolean" },
      last: { type: "string" },
      ...KLINE_FILE_OPTIONS,
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  let last = 20;
  if (values.last !== undefined) {
    if (!/^[1-9][0-9]*$/.test(values.last)) {
      throw new UsageError(`--last: expected a positive integer, got ${values.last}`);
    }
    last = Number(values.last);
  }
  if (values.json && (values.all || values.last !== undefined)) {
    throw new UsageError("--json prints every bar; it cannot be combined with --all or --last");
  }
  if (values.all && values.last !== undefined) {
    throw new UsageError("--all and --last cannot be combined");
  }
  const loaded = await loadCliKlineFile(positionals, values);
  const s = loaded.series;
  const ind = computeIndicators(s);
  const out = new LineWriter();
  if (values.json) {
    for (let i = 0; i < s.length; i++) {
      out.line(JSON.stringify({
        openTime: s.openTime[i],
        time: new Date(s.openTime[i]).toISOString(),
        rsi14: j(ind.rsi14[i]),
        ema20: j(ind.ema20[i]),
        ema50: j(ind.ema50[i]),
        ema200: j(ind.ema200[i]),
        macd: { line: j(ind.macd[i]), signal: j(ind.macdSignal[i]), histogram: j(ind.macdHist[i]) },
        atr14: j(ind.atr14[i]),
        bollinger: {
          upper: j(ind.bbUpper[i]),
          middle: j(ind.bbMiddle[i]),
          lower: j(ind.bbLower[i]),
        },
        vwap: j(ind.vwap[i]),
        volumeAvg20: j(ind.volumeAvg20[i]),
      }));
    }
    out.flush();
    return;
  }
  const from = values.all ? 0 : Math.max(0, s.length - last);
  const header = [
    "time (UTC)",
    "close",
    "rsi14",
    "ema20",
    "ema50",
    "ema200",
    "macd",
    "signal",
    "hist",
    "atr14",
    "bb.upper",
    "bb.middle",
    "bb.lower",
    "vwap",
    "volAvg20",
  ];
  const rows: string[][] = [header];
  for (let i = from; i < s.length; i++) {
    rows.push([
      new Date(s.openTime[i]).toISOString().slice(0, 16).replace("T", " "),
      t(s.close[i]),
      t(ind.rsi14[i], 4),
      t(ind.ema20[i]),
      t(ind.ema50[i]),
      t(ind.ema200[i]),
      t(ind.macd[i], 5),
      t(ind.macdSignal[i], 5),
      t(ind.macdHist[i], 5),
      t(ind.atr14[i], 5),
      t(ind.bbUpper[i]),
      t(ind.bbMiddle[i]),
      t(ind.bbLower[i]),
      t(ind.vwap[i]),
      t(ind.volumeAvg20[i], 5),
    ]);
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const name = [loaded.symbol ?? "?", loaded.interval ?? "?"].join(" ");
  out.line(`${name}: ${s.length} bars, showing ${s.length - from}`);
  for (const r of rows) {
    out.line(
      r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  "),
    );
  }
  out.flush();
});

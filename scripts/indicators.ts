/**
 * `deno task indicators <file|folder>... [--json] [--all] [--last N]`: prints the standard indicator
 * set (RSI14, EMA20/50/200, MACD 12/26/9, ATR14, Bollinger 20/2, session VWAP, volume average 20) for
 * kline files, as a table of the last bars or one JSON object per bar.
 */

import { computeIndicators } from "../shared/indicators/set.ts";
import { KLINE_INPUT_HELP, KLINE_INPUT_OPTIONS, loadKlineInputs } from "./lib/cli/kline_inputs.ts";
import { positiveInt } from "./lib/cli/numbers.ts";
import { LineWriter, parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { alignTable, formatPrice, priceDecimals } from "./lib/report/format.ts";

const HELP =
  `usage: deno task indicators <file|folder>... [--json] [--all] [--last N] [--symbol S] [--interval I]
Prints the indicators of kline files: a table of the last bars, or one JSON object per bar.
  --json        one JSON object per bar (null during warm-up): every bar, or the last N with --last
  --all         table of every bar (default: the last 20)
  --last N      only the last N bars
${KLINE_INPUT_HELP}`;

/** A number for JSON output: null for NaN (warm-up). */
function j(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Runs `deno task indicators`. */
export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    json: { type: "boolean" },
    all: { type: "boolean" },
    last: { type: "string" },
    ...KLINE_INPUT_OPTIONS,
  });
  const last = values.last === undefined ? 20 : positiveInt("last", values.last);
  if (values.all && values.last !== undefined) {
    throw new UsageError("--all and --last cannot be combined");
  }
  const files = await loadKlineInputs(positionals, values);
  const out = new LineWriter();
  for (const [fileIndex, f] of files.entries()) {
    const s = f.series;
    const ind = computeIndicators(s);
    if (values.json) {
      const from = values.last === undefined ? 0 : Math.max(0, s.length - last);
      for (let i = from; i < s.length; i++) {
        out.line(JSON.stringify({
          symbol: f.symbol,
          interval: f.interval,
          openTime: s.openTime[i],
          time: new Date(s.openTime[i]).toISOString(),
          rsi14: j(ind.rsi14[i]),
          ema20: j(ind.ema20[i]),
          ema50: j(ind.ema50[i]),
          ema200: j(ind.ema200[i]),
          macd: {
            line: j(ind.macd[i]),
            signal: j(ind.macdSignal[i]),
            histogram: j(ind.macdHist[i]),
          },
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
      continue;
    }
    const from = values.all ? 0 : Math.max(0, s.length - last);
    const prices = [ind.ema20, ind.ema50, ind.ema200, ind.bbUpper, ind.bbLower, ind.vwap];
    const d = priceDecimals([
      ...s.close.subarray(from),
      ...prices.flatMap((c) => [...c.subarray(from)]),
    ]);
    const vd = priceDecimals(ind.volumeAvg20.subarray(from));
    const p = (x: number) => formatPrice(x, d);
    const rows: string[][] = [[
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
    ]];
    for (let i = from; i < s.length; i++) {
      rows.push([
        new Date(s.openTime[i]).toISOString().slice(0, 16).replace("T", " "),
        p(s.close[i]),
        formatPrice(ind.rsi14[i], 2),
        p(ind.ema20[i]),
        p(ind.ema50[i]),
        p(ind.ema200[i]),
        p(ind.macd[i]),
        p(ind.macdSignal[i]),
        p(ind.macdHist[i]),
        p(ind.atr14[i]),
        p(ind.bbUpper[i]),
        p(ind.bbMiddle[i]),
        p(ind.bbLower[i]),
        p(ind.vwap[i]),
        formatPrice(ind.volumeAvg20[i], vd),
      ]);
    }
    const name = `${f.symbol ?? "symbol unknown"} ${f.interval ?? "interval unknown"}`;
    const where = files.length > 1 ? `${fileIndex > 0 ? "\n" : ""}${f.path}: ` : "";
    out.line(`${where}${name}: ${s.length} bars, showing ${s.length - from}`);
    for (const l of alignTable(rows)) out.line(l);
  }
  out.flush();
}

if (import.meta.main) await runCli(main);

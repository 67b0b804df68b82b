/**
 * `deno task klines:check <file|folder>... [--json]`: checks kline files and prints one summary line
 * per file (symbol, interval, format, rows, span, gaps, early closes, zero-volume candles). A bad file
 * is one `error: <path>: row N: <rule>` line on stderr; the other files are still checked, and the
 * exit code is 1 when any file was bad.
 */

import { countMissing } from "../shared/candles/gaps.ts";
import { nextOpenTime } from "../shared/candles/intervals.ts";
import {
  expandKlineInputs,
  isoMinute,
  KLINE_INPUT_HELP,
  KLINE_INPUT_OPTIONS,
  klineInputOptions,
  loadKlineInput,
} from "./lib/cli/kline_inputs.ts";
import { oneLine, parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import type { LoadedKlines } from "./lib/klines/load_klines.ts";

const HELP = `usage: deno task klines:check <file|folder>... [--json] [--symbol S] [--interval I]
Checks kline files (README "Input files": prices, high/low, volume, open times on the interval grid
and increasing, close times) and prints one summary line per file. A bad file is one error line on
stderr naming the row and the rule; the other files are still checked; exit code 1 if any was bad.
  --json        one JSON object per file instead of the summary line
${KLINE_INPUT_HELP}`;

/** Counts of a loaded file's candles that closed early or had zero volume. */
function oddities(k: LoadedKlines): { closedEarly: number; zeroVolume: number } {
  let closedEarly = 0;
  let zeroVolume = 0;
  for (const c of k.candles) {
    if (
      k.interval !== null && c.closeTime !== undefined &&
      c.closeTime !== nextOpenTime(c.openTime, k.interval) - 1
    ) closedEarly++;
    if (c.volume === 0) zeroVolume++;
  }
  return { closedEarly, zeroVolume };
}

/** One line describing a loaded file, e.g. `f.json: BTCUSDT 4h rest-json, 540 candles ..., no gaps`. */
export function summarizeKlines(k: LoadedKlines): string {
  const n = k.candles.length;
  const what = `${k.symbol ?? "symbol unknown"} ${k.interval ?? "interval unknown"} ${k.format}`;
  const span = `${isoMinute(k.candles[0].openTime)} .. ${isoMinute(k.candles[n - 1].openTime)}`;
  const gaps = k.interval === null
    ? "gaps unknown (no interval)"
    : k.gaps.length === 0
    ? "no gaps"
    : `${k.gaps.length} gap${k.gaps.length === 1 ? "" : "s"}, ${
      countMissing(k.gaps)
    } missing (first after ${isoMinute(k.gaps[0].after)})`;
  const { closedEarly, zeroVolume } = oddities(k);
  return `${k.path}: ${what}, ${n} candles ${span}, ${gaps}, ${closedEarly} closed early, ${zeroVolume} with zero volume`;
}

/** The JSON form of a file's summary. */
export function summaryJson(k: LoadedKlines) {
  const n = k.candles.length;
  return {
    path: k.path,
    symbol: k.symbol,
    interval: k.interval,
    format: k.format,
    candles: n,
    firstOpenTime: k.candles[0].openTime,
    lastOpenTime: k.candles[n - 1].openTime,
    gaps: k.gaps,
    missing: countMissing(k.gaps),
    ...oddities(k),
    unclosedDropped: k.unclosed !== null,
  };
}

/** Runs `deno task klines:check`; returns 1 when any file was bad. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, HELP, {
    json: { type: "boolean" },
    ...KLINE_INPUT_OPTIONS,
  });
  const opts = klineInputOptions(values);
  const inputs = await expandKlineInputs(positionals);
  const now = Date.now();
  let bad = 0;
  let good = 0;
  for (const input of inputs) {
    let loaded: LoadedKlines | null;
    try {
      loaded = await loadKlineInput(input, { ...opts, now });
    } catch (e) {
      console.error(`error: ${oneLine(e)}`);
      bad++;
      continue;
    }
    if (loaded === null) continue;
    good++;
    console.log(values.json ? JSON.stringify(summaryJson(loaded)) : summarizeKlines(loaded));
  }
  if (good === 0 && bad === 0) throw new UsageError(`no kline files in ${positionals.join(", ")}`);
  return bad > 0 ? 1 : 0;
}

if (import.meta.main) await runCli(main);

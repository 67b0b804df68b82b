/**
 * Checks kline files and prints one summary line per file (symbol, interval, format, rows, span,
 * gaps, early closes, zero-volume candles); the first bad file ends it with a one-line error, exit 1.
 * Run: `deno task klines:check [--symbol S] [--interval I] <file|folder>...`
 */

import { countMissing } from "../shared/candles/gaps.ts";
import { nextOpenTime } from "../shared/candles/intervals.ts";
import { runCli, UsageError } from "./lib/cli/run_cli.ts";
import {
  type LoadedKlines,
  loadKlineFile,
  loadKlineFolder,
  type LoadKlineOptions,
} from "./lib/klines/load_klines.ts";

/** One line describing a loaded file, e.g. `f.json: BTCUSDT 4h rest-json, 540 candles ..., no gaps`. */
export function summarizeKlines(k: LoadedKlines): string {
  const n = k.candles.length;
  const what = `${k.symbol ?? "?"} ${k.interval ?? "?"} ${k.format}`;
  if (n === 0) return `${k.path}: ${what}, 0 candles`;
  const span = `${iso(k.candles[0].openTime)} .. ${iso(k.candles[n - 1].openTime)}`;
  const gaps = k.interval === null
    ? "gaps unknown (no interval)"
    : k.gaps.length === 0
    ? "no gaps"
    : `${k.gaps.length} gaps, ${countMissing(k.gaps)} missing (first after ${
      iso(k.gaps[0].after)
    })`;
  let early = 0;
  let zero = 0;
  for (let i = 0; i < n; i++) {
    const c = k.candles[i];
    if (
      k.interval !== null && c.closeTime !== undefined &&
      c.closeTime !== nextOpenTime(c.openTime, k.interval) - 1
    ) early++;
    if (c.volume === 0) zero++;
  }
  return `${k.path}: ${what}, ${n} candles ${span}, ${gaps}, ${early} closed early, ${zero} with zero volume`;
}

function iso(t: number): string {
  return new Date(t).toISOString().replace(":00.000Z", "Z");
}

/** Parses `[--symbol S] [--interval I] <path>...`; throws UsageError on bad arguments. */
export function parseCheckArgs(args: string[]): { paths: string[]; opts: LoadKlineOptions } {
  const paths: string[] = [];
  const opts: LoadKlineOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--symbol" || a === "--interval") {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === "--symbol") opts.symbol = v;
      else opts.interval = v;
    } else if (a.startsWith("--")) {
      throw new UsageError(`unknown option ${a} (expected --symbol or --interval)`);
    } else paths.push(a);
  }
  if (paths.length === 0) {
    throw new UsageError(
      "usage: deno task klines:check [--symbol S] [--interval I] <file|folder>...",
    );
  }
  return { paths, opts };
}

if (import.meta.main) {
  await runCli(async () => {
    const { paths, opts } = parseCheckArgs(Deno.args);
    for (const p of paths) {
      let isDir = false;
      try {
        isDir = (await Deno.stat(p)).isDirectory;
      } catch { /* loadKlineFile reports the unreadable path */ }
      const loaded = isDir ? await loadKlineFolder(p, opts) : [await loadKlineFile(p, opts)];
      for (const k of loaded) console.log(summarizeKlines(k));
    }
  });
}

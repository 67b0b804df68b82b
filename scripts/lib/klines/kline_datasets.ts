/**
 * Datasets for the evaluation: kline files grouped by series. A file is a dataset; the files of one
 * series in one folder (e.g. `BTCUSDT/1h/2022-01-01.json`, `2022-02-01.json`, …, or
 * `BTCUSDT-4h-2021Q1.json` and `BTCUSDT-4h-2023-2024.json` side by side) are joined in time order
 * into one. Files whose symbol is unknown stay datasets of their own. Inputs are read as every
 * kline CLI reads them (`../cli/kline_inputs.ts`): a folder's file that is not a kline file is
 * skipped with a note, a last candle that has not closed yet is left out with a note.
 */

import { findGaps } from "../../../shared/candles/gaps.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import type { CandleSeries } from "../../../shared/candles/types.ts";
import { expandKlineInputs, loadKlineInput } from "../cli/kline_inputs.ts";
import { UsageError } from "../cli/run_cli.ts";
import { KlineFileError, type LoadedKlines } from "./load_klines.ts";

/** One series, possibly joined from several files. */
export interface KlineDataset {
  /** `SYMBOL interval`, or the file name when the symbol is unknown. */
  name: string;
  symbol: string | null;
  interval: Interval | null;
  /** Source files, in time order. */
  paths: string[];
  series: CandleSeries;
  /** Missing candles inside the files and between consecutive files (real outages stay gaps). */
  missingCandles: number;
}

function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i);
}

/** Joins files of one series in time order; overlapping files are an error naming both. */
function join(files: LoadedKlines[]): CandleSeries {
  files.sort((a, b) => (a.series.openTime[0] ?? 0) - (b.series.openTime[0] ?? 0));
  let n = 0;
  for (let k = 0; k < files.length; k++) {
    const s = files[k].series;
    n += s.length;
    if (k > 0 && s.length > 0) {
      const prev = files[k - 1].series;
      if (prev.length > 0 && s.openTime[0] <= prev.openTime[prev.length - 1]) {
        throw new KlineFileError(
          files[k].path,
          null,
          "file",
          `overlaps ${files[k - 1].path} (same series); keep one copy of each candle`,
        );
      }
    }
  }
  const cols = ["openTime", "open", "high", "low", "close", "volume"] as const;
  const out = { length: n } as CandleSeries;
  for (const c of cols) {
    const a = new Float64Array(n);
    let off = 0;
    for (const f of files) {
      a.set(f.series[c], off);
      off += f.series.length;
    }
    out[c] = a;
  }
  const first = files[0];
  if (first.symbol !== null) out.symbol = first.symbol;
  if (first.interval !== null) out.interval = first.interval;
  return out;
}

/**
 * Loads `inputs` and groups the files into datasets (same folder, symbol and interval), in the order
 * their first file appears. `onFile(done, total)` reports loading progress. Throws
 * {@link UsageError} for a missing path or a folder without `.json`/`.csv` files,
 * {@link KlineFileError} for an invalid file (a folder's non-kline file is skipped with a note), or
 * files of one series that overlap.
 */
export async function loadKlineDatasets(
  inputs: readonly string[],
  onFile?: (done: number, total: number) => void,
): Promise<KlineDataset[]> {
  const paths = await expandKlineInputs([...inputs]);
  const now = Date.now();
  const groups = new Map<string, LoadedKlines[]>();
  for (let i = 0; i < paths.length; i++) {
    const f = await loadKlineInput(paths[i], { now });
    if (f === null) continue;
    const key = f.symbol === null
      ? `file:${f.path}`
      : `${folderOf(f.path)}|${f.symbol}|${f.interval}`;
    const g = groups.get(key);
    if (g) {
      if (g.some((x) => x.path === f.path)) continue; // named twice on the command line
      g.push(f);
    } else groups.set(key, [f]);
    onFile?.(i + 1, paths.length);
  }
  if (groups.size === 0) throw new UsageError(`no kline files in ${inputs.join(", ")}`);
  const out: KlineDataset[] = [];
  for (const files of groups.values()) {
    const series = join(files);
    const first = files[0];
    const missing = first.interval === null
      ? 0
      : findGaps(series.openTime, first.interval).reduce((sum, g) => sum + g.missing, 0);
    out.push({
      name: first.symbol !== null
        ? `${first.symbol} ${first.interval ?? "?"}`
        : (first.path.split("/").pop() ?? first.path),
      symbol: first.symbol,
      interval: first.interval,
      paths: files.map((f) => f.path),
      series,
      missingCandles: missing,
    });
  }
  return out;
}

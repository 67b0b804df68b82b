/**
 * Joining the files of one series: loaded kline files grouped by series (same folder, symbol and
 * interval; e.g. `BTCUSDT/1h/2022-01-01.json`, `2022-02-01.json`, …, or `BTCUSDT-4h-2021Q1.json`
 * and `BTCUSDT-4h-2023-2024.json` side by side) and each group joined in time order into one series.
 * Files whose symbol is unknown stay series of their own. Used by every kline CLI that analyses
 * (`signals`, `indicators`, `backtest`, `chart`, `evaluate`, `calibrate`).
 */

import type { CandleSeries } from "../../../shared/candles/types.ts";
import { KlineFileError, type LoadedKlines } from "./load_klines.ts";

/** One series: its files in time order and the joined candles. */
export interface JoinedKlineFiles {
  /** Source files, in time order (at least one). */
  files: LoadedKlines[];
  /** The files' candles in one series (the first file's symbol and interval). */
  series: CandleSeries;
}

function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i);
}

/**
 * Groups `files` by series (same folder, symbol and interval; a file with unknown symbol alone), in
 * the order each group's first file appears, and joins each group in time order. A file named twice
 * counts once. Gaps between files stay gaps (real outages are not filled). Throws
 * {@link KlineFileError} (rule `"file"`, naming both) for two files of one series that overlap.
 */
export function joinKlineFiles(files: readonly LoadedKlines[]): JoinedKlineFiles[] {
  const groups = new Map<string, LoadedKlines[]>();
  for (const f of files) {
    const key = f.symbol === null
      ? `file:${f.path}`
      : `${folderOf(f.path)}|${f.symbol}|${f.interval}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [f]);
    else if (!g.some((x) => x.path === f.path)) g.push(f);
  }
  return [...groups.values()].map((g) => ({ files: g, series: join(g) }));
}

/** Joins files of one series in time order (sorting `files`); overlapping files are an error. */
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
  if (files.length === 1) return files[0].series;
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

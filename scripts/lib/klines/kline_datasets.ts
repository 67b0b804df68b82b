/**
 * Datasets for the evaluation: kline files grouped by series. A file is a dataset; the files of one
 * series in one folder are joined in time order into one (`./join_klines.ts`). Files whose symbol
 * is unknown stay datasets of their own. Inputs are read as every
 * kline CLI reads them (`../cli/kline_inputs.ts`): a folder's file that is not a kline file is
 * skipped with a note, a last candle that has not closed yet is left out with a note.
 */

import { findGaps } from "../../../shared/candles/gaps.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import type { CandleSeries } from "../../../shared/candles/types.ts";
import { expandKlineInputs, loadKlineInput } from "../cli/kline_inputs.ts";
import { UsageError } from "../cli/run_cli.ts";
import { joinKlineFiles } from "./join_klines.ts";
import type { LoadedKlines } from "./load_klines.ts";

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

/**
 * Loads `inputs` and groups the files into datasets (same folder, symbol and interval), in the order
 * their first file appears. `onFile(done, total)` reports loading progress. Throws
 * {@link UsageError} for a missing path or a folder without `.json`/`.csv` files,
 * `KlineFileError` (`./load_klines.ts`) for an invalid file (a folder's non-kline file is skipped with a note), or
 * files of one series that overlap.
 */
export async function loadKlineDatasets(
  inputs: readonly string[],
  onFile?: (done: number, total: number) => void,
): Promise<KlineDataset[]> {
  const paths = await expandKlineInputs([...inputs]);
  const now = Date.now();
  const files: LoadedKlines[] = [];
  for (let i = 0; i < paths.length; i++) {
    const f = await loadKlineInput(paths[i], { now });
    if (f !== null) files.push(f);
    onFile?.(i + 1, paths.length);
  }
  if (files.length === 0) throw new UsageError(`no kline files in ${inputs.join(", ")}`);
  const out: KlineDataset[] = [];
  for (const { files: joined, series } of joinKlineFiles(files)) {
    const first = joined[0];
    const missing = first.interval === null
      ? 0
      : findGaps(series.openTime, first.interval).reduce((sum, g) => sum + g.missing, 0);
    out.push({
      name: first.symbol !== null
        ? `${first.symbol} ${first.interval ?? "?"}`
        : (first.path.split("/").pop() ?? first.path),
      symbol: first.symbol,
      interval: first.interval,
      paths: joined.map((f) => f.path),
      series,
      missingCandles: missing,
    });
  }
  return out;
}

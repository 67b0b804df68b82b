/** Loading kline files (REST JSON, OHLCV CSV, Binance archive CSV) for the command-line tools. */

import { assertInterval } from "../../../shared/candles/assert_interval.ts";
import { parseArchiveCsv } from "../../../shared/candles/archive_csv.ts";
import { CandleError, type CandleRule } from "../../../shared/candles/errors.ts";
import { findGaps, type Gap } from "../../../shared/candles/gaps.ts";
import { inferInterval } from "../../../shared/candles/infer_interval.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import { parseOhlcvCsv } from "../../../shared/candles/ohlcv_csv.ts";
import { parseRestKlines } from "../../../shared/candles/rest_klines.ts";
import { seriesFromCandles } from "../../../shared/candles/series.ts";
import type { Candle, CandleSeries } from "../../../shared/candles/types.ts";
import { validateCandles } from "../../../shared/candles/validate.ts";
import { detectKlineFormat, type KlineFormat } from "./kline_format.ts";
import { klineNameInfo } from "./kline_file_name.ts";

/** A loaded and validated kline file. */
export interface LoadedKlines {
  path: string;
  /** From the options, else the file name, else null. */
  symbol: string | null;
  /** From the options, else the file name, else the candles' spacing, else null. */
  interval: Interval | null;
  format: KlineFormat;
  candles: Candle[];
  series: CandleSeries;
  /** Missing candles (empty when the interval is unknown). */
  gaps: Gap[];
}

/** Options for {@link loadKlineFile}; `interval` may be an unchecked string from a command line. */
export interface LoadKlineOptions {
  symbol?: string;
  interval?: Interval | string;
}

/**
 * A kline file that cannot be loaded. `message` is one line: `<path>: row N: <rule message>`, where
 * N is the 1-based kline row (the Nth element of a JSON array, the Nth data line of a CSV with the
 * header line not counted), or `<path>: <message>` when no row is at fault.
 */
export class KlineFileError extends Error {
  /** The file. */
  readonly path: string;
  /** 1-based kline row, or null. */
  readonly row: number | null;
  /** Rule id (see CandleRule) or `"file"` (unreadable, empty, unknown format, bad JSON). */
  readonly rule: CandleRule | "file";

  constructor(path: string, row: number | null, rule: CandleRule | "file", detail: string) {
    super(`${path}: ${row === null ? "" : `row ${row}: `}${detail.replace(/\s*\n\s*/g, " ")}`);
    this.name = "KlineFileError";
    this.path = path;
    this.row = row;
    this.rule = rule;
  }
}

/**
 * Reads, parses and validates one kline file; detects the format from the content and infers symbol
 * and interval from the path (see {@link klineNameInfo}) or, for the interval, from the most common
 * spacing of open times. An interval (given or from the name) that disagrees with that spacing is an
 * error. Throws {@link KlineFileError}.
 */
export async function loadKlineFile(
  path: string,
  opts: LoadKlineOptions = {},
): Promise<LoadedKlines> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new KlineFileError(path, null, "file", `cannot read (${(e as Error).message})`);
  }
  return klinesFromText(path, text, opts);
}

/** Like {@link loadKlineFile} on text already read; `path` names the source in errors and inference. */
export function klinesFromText(
  path: string,
  text: string,
  opts: LoadKlineOptions = {},
): LoadedKlines {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") throw new KlineFileError(path, null, "file", "empty file");
  const format = detectKlineFormat(text);
  if (format === null) {
    throw new KlineFileError(
      path,
      null,
      "file",
      "unrecognised kline file (expected a JSON array of Binance REST rows, a CSV with the header " +
        "open_time,open,high,low,close,volume, or a 12-column Binance archive CSV)",
    );
  }
  return guarded(path, () => {
    const candles = parse(path, format, text);
    const named = klineNameInfo(path);
    const given = opts.interval === undefined ? null : assertInterval(opts.interval);
    const openTimes = candles.map((c) => c.openTime);
    const spaced = inferInterval(openTimes);
    const interval = given ?? named.interval ?? spaced;
    if (interval !== null && spaced !== null && spaced !== interval) {
      const source = given !== null ? "given" : "from the file name";
      throw new KlineFileError(
        path,
        null,
        "interval",
        `interval ${interval} (${source}) disagrees with the candle spacing (${spaced})`,
      );
    }
    validateCandles(candles, interval ?? undefined);
    const symbol = opts.symbol ?? named.symbol;
    const series = seriesFromCandles(candles, {
      ...(symbol !== null ? { symbol } : {}),
      ...(interval !== null ? { interval } : {}),
    });
    const gaps = interval === null ? [] : findGaps(series.openTime, interval);
    return { path, symbol, interval, format, candles, series, gaps };
  });
}

/**
 * Loads every `*.json` and `*.csv` file under `dir` (recursively), sorted by path; the first bad file
 * throws its {@link KlineFileError}.
 */
export async function loadKlineFolder(
  dir: string,
  opts: LoadKlineOptions = {},
): Promise<LoadedKlines[]> {
  const paths: string[] = [];
  try {
    await collect(dir.replace(/\/+$/, "") || "/", paths);
  } catch (e) {
    if (e instanceof KlineFileError) throw e;
    throw new KlineFileError(dir, null, "file", `cannot list (${(e as Error).message})`);
  }
  paths.sort();
  const out: LoadedKlines[] = [];
  for (const p of paths) out.push(await loadKlineFile(p, opts));
  return out;
}

async function collect(dir: string, into: string[]): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const p = `${dir}/${entry.name}`;
    if (entry.isDirectory) await collect(p, into);
    else if (entry.isFile && /\.(json|csv)$/i.test(entry.name)) into.push(p);
  }
}

function parse(path: string, format: KlineFormat, text: string): Candle[] {
  if (format === "ohlcv-csv") return parseOhlcvCsv(text);
  if (format === "archive-csv") return parseArchiveCsv(text);
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (e) {
    throw new KlineFileError(path, null, "file", `invalid JSON (${(e as Error).message})`);
  }
  return parseRestKlines(rows);
}

function guarded<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof CandleError) {
      throw new KlineFileError(path, e.row === null ? null : e.row + 1, e.rule, e.detail);
    }
    throw e;
  }
}

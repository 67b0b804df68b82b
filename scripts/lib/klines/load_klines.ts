/** Loading kline files (REST JSON, OHLCV CSV, Binance archive CSV) for the command-line tools. */

import { assertInterval } from "../../../shared/candles/assert_interval.ts";
import { parseArchiveCsv } from "../../../shared/candles/archive_csv.ts";
import { CandleError, type CandleRule } from "../../../shared/candles/errors.ts";
import { findGaps, type Gap } from "../../../shared/candles/gaps.ts";
import { inferInterval } from "../../../shared/candles/infer_interval.ts";
import { type Interval, nextOpenTime } from "../../../shared/candles/intervals.ts";
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
  /**
   * The file's last candle when it had not closed yet at `now` (see {@link LoadKlineOptions}) and
   * was therefore dropped from `candles` and `series`; else null.
   */
  unclosed: Candle | null;
}

/** Options for {@link loadKlineFile}; `interval` may be an unchecked string from a command line. */
export interface LoadKlineOptions {
  symbol?: string;
  interval?: Interval | string;
  /**
   * The current time (ms). When given, a last candle whose close time is after it (the forming
   * candle a live REST response always ends with) is dropped and returned as `unclosed`; an earlier
   * candle closing after it is an error (rule `"close_time"`). Without a close time in the file, the
   * close time is the next open time − 1 ms.
   */
  now?: number;
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
  /**
   * Rule id (see CandleRule), `"file"` (unreadable, empty, bad JSON, no candles) or `"format"` (not
   * a kline file: none of the formats the loader reads).
   */
  readonly rule: CandleRule | "file" | "format";

  constructor(
    path: string,
    row: number | null,
    rule: CandleRule | "file" | "format",
    detail: string,
  ) {
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
      "format",
      "unrecognised kline file (expected a JSON array of Binance REST rows, a CSV with the header " +
        "open_time,open,high,low,close,volume, or a 12-column Binance archive CSV)",
    );
  }
  return guarded(path, () => {
    const candles = parse(path, format, text);
    if (candles.length === 0) {
      throw new KlineFileError(path, null, "file", "no candles (the file holds no kline rows)");
    }
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
    const unclosed = opts.now === undefined
      ? null
      : dropUnclosed(path, candles, interval, opts.now);
    if (candles.length === 0) {
      throw new KlineFileError(
        path,
        null,
        "file",
        "no closed candles (the only one is still open)",
      );
    }
    const symbol = opts.symbol ?? named.symbol;
    const series = seriesFromCandles(candles, {
      ...(symbol !== null ? { symbol } : {}),
      ...(interval !== null ? { interval } : {}),
    });
    const gaps = interval === null ? [] : findGaps(series.openTime, interval);
    return { path, symbol, interval, format, candles, series, gaps, unclosed };
  });
}

/**
 * Every `*.json` and `*.csv` file under `dir` (recursively), sorted by path. Throws
 * {@link KlineFileError} (rule `"file"`) when the folder cannot be listed.
 */
export async function listKlineFolder(dir: string): Promise<string[]> {
  const paths: string[] = [];
  try {
    await collect(dir.replace(/\/+$/, "") || "/", paths);
  } catch (e) {
    throw new KlineFileError(dir, null, "file", `cannot list (${(e as Error).message})`);
  }
  return paths.sort();
}

/**
 * Loads every kline file under `dir` (see {@link listKlineFolder}); files that are not kline files
 * (rule `"format"`) are passed to `onSkip` and left out; any other bad file throws its
 * {@link KlineFileError}.
 */
export async function loadKlineFolder(
  dir: string,
  opts: LoadKlineOptions = {},
  onSkip: (path: string) => void = () => {},
): Promise<LoadedKlines[]> {
  const out: LoadedKlines[] = [];
  for (const p of await listKlineFolder(dir)) {
    try {
      out.push(await loadKlineFile(p, opts));
    } catch (e) {
      if (e instanceof KlineFileError && e.rule === "format") onSkip(p);
      else throw e;
    }
  }
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

/**
 * Removes and returns the last candle when it closes after `now` (ms); throws when an earlier one
 * does. The close time is the candle's own, else the next open time − 1 (interval known), else
 * unknown (nothing dropped).
 */
function dropUnclosed(
  path: string,
  candles: Candle[],
  interval: Interval | null,
  now: number,
): Candle | null {
  const closeOf = (c: Candle) =>
    c.closeTime ?? (interval === null ? -Infinity : nextOpenTime(c.openTime, interval) - 1);
  const n = candles.length;
  if (!(closeOf(candles[n - 1]) > now)) return null;
  if (n > 1 && closeOf(candles[n - 2]) > now) {
    let row = n - 1;
    while (row > 1 && closeOf(candles[row - 2]) > now) row--;
    throw new KlineFileError(
      path,
      row,
      "close_time",
      `candle closes in the future (${new Date(closeOf(candles[row - 1])).toISOString()}, now ${
        new Date(now).toISOString()
      }): only the last candle may still be open`,
    );
  }
  return candles.pop() ?? null;
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

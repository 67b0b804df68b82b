/**
 * The kline inputs every kline CLI shares (`signals`, `indicators`, `backtest`, `klines:check`):
 * `<file|folder>... [--symbol S] [--interval I]`. Folders are expanded recursively to their `.json` and
 * `.csv` files; a file in a folder that is not a kline file is skipped with a note. The analysing
 * CLIs join the files of one series in one folder into one series (`../klines/join_klines.ts`).
 */

import { assertInterval } from "../../../shared/candles/assert_interval.ts";
import { CandleError } from "../../../shared/candles/errors.ts";
import { countMissing, findGaps } from "../../../shared/candles/gaps.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import {
  KlineFileError,
  listKlineFolder,
  type LoadedKlines,
  loadKlineFile,
} from "../klines/load_klines.ts";
import { joinKlineFiles } from "../klines/join_klines.ts";
import { note, oneLine, UsageError } from "./run_cli.ts";

/** parseArgs options for the inputs' symbol and interval. */
export const KLINE_INPUT_OPTIONS = {
  symbol: { type: "string" },
  interval: { type: "string" },
} as const;

/** Help lines for the inputs and {@link KLINE_INPUT_OPTIONS}. */
export const KLINE_INPUT_HELP =
  `Inputs: kline files or folders (Binance REST JSON, Binance archive CSV, OHLCV CSV); a folder
gives every .json/.csv file below it (files that are not kline files are skipped with a note).
  --symbol S    symbol when the file name does not say it (upper-cased: btcusdt = BTCUSDT)
  --interval I  interval (1m, 1h, 4h, 1d, ...) when the file name does not say it`;

/** One file to load: its path and whether it was named directly or found in a folder. */
export interface KlineInput {
  path: string;
  /** True when found by expanding a folder (non-kline files are then skipped, not refused). */
  inFolder: boolean;
}

/**
 * Expands the command line's paths: a file stays itself, a folder becomes its `.json`/`.csv` files
 * (recursively, sorted). Throws {@link UsageError} when no path is given, a path does not exist, or a
 * folder holds no `.json`/`.csv` file.
 */
export async function expandKlineInputs(paths: string[]): Promise<KlineInput[]> {
  if (paths.length === 0) {
    throw new UsageError("expected one or more kline files or folders (see --help)");
  }
  const out: KlineInput[] = [];
  for (const p of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(p);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound ? "no such file or folder" : oneLine(e);
      throw new UsageError(`${p}: ${why}`);
    }
    if (!info.isDirectory) {
      out.push({ path: p, inFolder: false });
      continue;
    }
    const found = await listKlineFolder(p);
    if (found.length === 0) throw new UsageError(`${p}: no .json or .csv files in this folder`);
    for (const f of found) out.push({ path: f, inFolder: true });
  }
  return out;
}

/** What the kline options say, checked. */
export interface KlineInputOptions {
  /** Upper-cased symbol, or undefined. */
  symbol?: string;
  interval?: Interval;
}

/**
 * A Binance spot symbol as the database stores it: `value` trimmed and upper-cased (`btcusdt` is
 * `BTCUSDT`; Binance lists symbols in upper case and streams spell them in lower case), then 2 to 20
 * letters or digits (the rule `api.ingest_candles` applies). `label` names the option or argument in
 * the error. Throws {@link UsageError} (one line) for anything else, e.g. `BTC/USDT`.
 */
export function binanceSymbol(label: string, value: string): string {
  const s = value.trim().toUpperCase();
  if (!/^[A-Z0-9]{2,20}$/.test(s)) {
    throw new UsageError(
      `${label}: expected 2 to 20 letters or digits like BTCUSDT, got ${JSON.stringify(value)}`,
    );
  }
  return s;
}

/**
 * Checks `--symbol` (2–20 letters or digits, upper-cased as the database stores it) and `--interval`
 * (a Binance interval; the error lists them). Throws {@link UsageError}.
 */
export function klineInputOptions(
  values: { symbol?: string; interval?: string },
): KlineInputOptions {
  const out: KlineInputOptions = {};
  if (values.symbol !== undefined) out.symbol = binanceSymbol("--symbol", values.symbol);
  if (values.interval !== undefined) {
    try {
      out.interval = assertInterval(values.interval);
    } catch (e) {
      throw new UsageError(`--interval: ${(e as CandleError).detail}`);
    }
  }
  return out;
}

/** Options for {@link loadKlineInputs}. */
export interface LoadInputsOptions {
  /** Warn on stderr about gaps in each series (analysing CLIs); default true. */
  warnGaps?: boolean;
  /** Current time in ms for dropping an unclosed last candle (default `Date.now()`). */
  now?: number;
  /**
   * Join the files of one series in one folder into one series (see {@link joinedKlines}); default
   * true. False gives one entry per file.
   */
  joinSeries?: boolean;
}

/**
 * Loads every input (see {@link expandKlineInputs}) with the checked `--symbol`/`--interval`:
 * a folder's non-kline file is skipped with the note `<path>: skipped, not a kline file`; a last
 * candle that has not closed yet is dropped with a note; the files of one series in one folder are
 * joined into one series (unless `opts.joinSeries` is false); gaps are warned about per series
 * (count and first gap, gaps between joined files included). Throws {@link UsageError} for bad
 * options or paths, {@link KlineFileError} (one line naming the file and row) for a bad file or for
 * two files of one series that overlap, and {@link UsageError} when no kline file is left.
 */
export async function loadKlineInputs(
  paths: string[],
  values: { symbol?: string; interval?: string },
  opts: LoadInputsOptions = {},
): Promise<LoadedKlines[]> {
  const kopts = klineInputOptions(values);
  const inputs = await expandKlineInputs(paths);
  const now = opts.now ?? Date.now();
  const files: LoadedKlines[] = [];
  for (const input of inputs) {
    const loaded = await loadKlineInput(input, { ...kopts, now });
    if (loaded !== null) files.push(loaded);
  }
  if (files.length === 0) {
    throw new UsageError(`no kline files in ${paths.join(", ")}`);
  }
  const out = (opts.joinSeries ?? true) ? joinedKlines(files) : files;
  if (opts.warnGaps ?? true) out.forEach(warnGaps);
  return out;
}

/**
 * The files of one series in one folder joined into one {@link LoadedKlines} each
 * (`joinKlineFiles`, as `evaluate` joins its datasets): candles in time order, gaps recomputed over
 * the joined series (between files too), the last file's unclosed candle. A joined entry's `path`
 * names its files: `<first path> .. <last file name> (N files)`; a lone file keeps its own. Throws
 * {@link KlineFileError} for two files of one series that overlap.
 */
export function joinedKlines(files: readonly LoadedKlines[]): LoadedKlines[] {
  return joinKlineFiles(files).map(({ files: g, series }) => {
    if (g.length === 1) return g[0];
    const first = g[0];
    const last = g[g.length - 1];
    return {
      path: `${first.path} .. ${last.path.split("/").pop()} (${g.length} files)`,
      symbol: first.symbol,
      interval: first.interval,
      format: first.format,
      candles: g.flatMap((f) => f.candles),
      series,
      gaps: first.interval === null ? [] : findGaps(series.openTime, first.interval),
      unclosed: last.unclosed,
    };
  });
}

/**
 * Loads one input; returns null (after the note `<path>: skipped, not a kline file`) for a file in
 * a folder that is not a kline file; notes a dropped unclosed last candle. Throws
 * {@link KlineFileError}.
 */
export async function loadKlineInput(
  input: KlineInput,
  opts: KlineInputOptions & { now: number },
): Promise<LoadedKlines | null> {
  try {
    const loaded = await loadKlineFile(input.path, opts);
    if (loaded.unclosed !== null) {
      note(
        `note: ${input.path}: last candle (open ${
          isoMinute(loaded.unclosed.openTime)
        }) has not closed yet; left out`,
      );
    }
    return loaded;
  } catch (e) {
    if (input.inFolder && e instanceof KlineFileError && e.rule === "format") {
      note(`note: ${input.path}: skipped, not a kline file`);
      return null;
    }
    throw e;
  }
}

/** Warns on stderr when a loaded series has gaps: how many, how many candles, and the first one. */
export function warnGaps(k: LoadedKlines): void {
  if (k.gaps.length === 0) return;
  const g = k.gaps[0];
  const first = g.missing === 1
    ? `${isoMinute(g.from)} missing`
    : `${isoMinute(g.from)} .. ${isoMinute(g.to)} missing`;
  note(
    `warning: ${k.path}: ${k.gaps.length} gap${k.gaps.length === 1 ? "" : "s"}, ${
      countMissing(k.gaps)
    } missing candles (first: ${first}); indicators and patterns run across them`,
  );
}

/** `2024-03-01T10:00Z`: an ISO time to the minute. */
export function isoMinute(t: number): string {
  return new Date(t).toISOString().replace(/:00\.000Z$/, "Z").replace(/\.000Z$/, "Z");
}

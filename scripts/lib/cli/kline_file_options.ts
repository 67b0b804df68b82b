/** The file options every single-file CLI shares: `<file> [--symbol S] [--interval I]`. */

import { UsageError } from "./run_cli.ts";
import { type LoadedKlines, loadKlineFile } from "../klines/load_klines.ts";

/** parseArgs options for the file's symbol and interval, and `--help`. */
export const KLINE_FILE_OPTIONS = {
  symbol: { type: "string" },
  interval: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Help lines for {@link KLINE_FILE_OPTIONS}. */
export const KLINE_FILE_HELP = `  --symbol S    symbol when the file name does not say it
  --interval I  interval (1m, 1h, ...) when the file name does not say it`;

/** Loads the one kline file named on the command line; a wrong count or bad file is one-line error. */
export function loadCliKlineFile(
  positionals: string[],
  values: { symbol?: string; interval?: string },
): Promise<LoadedKlines> {
  if (positionals.length !== 1) {
    throw new UsageError("expected exactly one kline file (see --help)");
  }
  return loadKlineFile(positionals[0], { symbol: values.symbol, interval: values.interval });
}

/**
 * `deno task chart <file> [--at TIME] [--out FILE] [--theme light|dark]`: renders the chart of one
 * signal of a kline file (default: the last one) as the PNG a Discord card carries, or as SVG when
 * FILE ends in `.svg`. The analyzer runs over the file with the same settings as `deno task signals`.
 */

import type { CandleSeries } from "../shared/candles/types.ts";
import { sliceSeries } from "../shared/candles/series.ts";
import type { ChartInput, ChartThemeName } from "../shared/chart/types.ts";
import type { Signal } from "../shared/signals/types.ts";
import { analyzeSeries } from "../shared/signals/window.ts";
import {
  renderSignalChart,
  signalChartSvg,
} from "../supabase/functions/_shared/chart/render_png.ts";
import {
  ANALYZER_HELP,
  ANALYZER_OPTIONS,
  analyzerConfigFromOptions,
} from "./lib/cli/analyzer_options.ts";
import { parseUtcDate } from "./lib/cli/backtest_options.ts";
import { KLINE_INPUT_OPTIONS, loadKlineInputs } from "./lib/cli/kline_inputs.ts";
import { checkOutputPath, writeOutputFile } from "./lib/cli/output_file.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";

const HELP =
  `usage: deno task chart <file> [--at TIME] [--out FILE] [--theme light|dark] [--json] [settings]
Renders the chart of one signal in a kline file (Binance REST JSON, archive CSV, OHLCV CSV): the
candles up to the signal bar with volume, the Elliott count, the Wyckoff range and event, entry,
stop, TP1-TP3 and the invalidation level. Nothing after the signal bar is drawn.
  --at TIME       the signal whose bar opens at TIME (2024-03-05T14:00, UTC; or ms); default: the last
  --out FILE      output file (default <SYMBOL>-<interval>-<YYYYMMDD-HHMM>.png); .svg writes SVG
  --theme T       light (default) or dark
  --json          print one JSON object describing the file written
Input: one kline file (Binance REST JSON, Binance archive CSV, OHLCV CSV), or a folder holding one.
  --symbol S      symbol when the file name does not say it (upper-cased: btcusdt = BTCUSDT)
  --interval I    interval (1m, 1h, 4h, 1d, ...) when the file name does not say it
${ANALYZER_HELP}`;

/** Parses `--at`: an ISO date-time in UTC or milliseconds since the epoch. */
function parseAt(v: string): number {
  return /^\d{9,}$/.test(v) ? Number(v) : parseUtcDate("at", v);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** The signal at `at` (or the last); a missing one is a one-line error naming the nearest. */
export function pickSignal(signals: readonly Signal[], at: number | undefined): Signal {
  if (signals.length === 0) throw new UsageError("the file has no signal with these settings");
  if (at === undefined) return signals[signals.length - 1];
  const hit = signals.find((s) => s.time === at);
  if (hit) return hit;
  const before = signals.filter((s) => s.time < at).at(-1);
  const after = signals.find((s) => s.time > at);
  const near = [before, after].filter((s) => s !== undefined).map((s) => iso(s.time)).join(", ");
  throw new UsageError(`no signal at ${iso(at)} UTC (nearest: ${near} UTC)`);
}

/** The chart input for `signal`: the candles up to and including its bar. */
export function chartInputFor(
  series: CandleSeries,
  signal: Signal,
  symbol: string,
  interval: string,
): ChartInput {
  return { symbol, interval, candles: sliceSeries(series, 0, signal.index + 1), signal };
}

function defaultOut(symbol: string, interval: string, time: number): string {
  const stamp = new Date(time).toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  return `${symbol}-${interval}-${stamp}.png`;
}

/** Runs `deno task chart` with command-line `args`. */
export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    at: { type: "string" },
    out: { type: "string" },
    theme: { type: "string" },
    json: { type: "boolean" },
    ...KLINE_INPUT_OPTIONS,
    ...ANALYZER_OPTIONS,
  });
  if (positionals.length !== 1) {
    throw new UsageError("expected exactly one kline file (see --help)");
  }
  const theme = values.theme ?? "light";
  if (theme !== "light" && theme !== "dark") {
    throw new UsageError(`--theme: expected light or dark, got ${theme}`);
  }
  const at = values.at === undefined ? undefined : parseAt(values.at);
  if (values.out !== undefined) {
    if (!/\.(png|svg)$/i.test(values.out)) {
      throw new UsageError(`--out: expected a file name ending in .png or .svg, got ${values.out}`);
    }
    await checkOutputPath("out", values.out);
  }
  const config = await analyzerConfigFromOptions(values);
  const files = await loadKlineInputs(positionals, values);
  if (files.length !== 1) {
    throw new UsageError(`expected one kline file, ${positionals[0]} holds ${files.length}`);
  }
  const loaded = files[0];
  const symbol = loaded.symbol ?? "?";
  const interval = loaded.interval ?? "?";
  const signal = pickSignal(analyzeSeries(loaded.series, config), at);
  const input = chartInputFor(loaded.series, signal, symbol, interval);
  const out = values.out ?? defaultOut(symbol, interval, signal.time);
  const opts = { theme: theme as ChartThemeName, confidence: config.confidence };
  let bytes: Uint8Array;
  let size = "800x450";
  if (out.toLowerCase().endsWith(".svg")) {
    bytes = new TextEncoder().encode(signalChartSvg(input, opts));
  } else {
    const r = await renderSignalChart(input, opts);
    if (!r.ok) throw new Error(`chart failed: ${r.error}`);
    bytes = r.png;
    size = `${r.width}x${r.height}`;
  }
  await writeOutputFile("out", out, bytes);
  if (values.json) {
    console.log(JSON.stringify({
      out,
      symbol,
      interval,
      openTime: signal.time,
      time: new Date(signal.time).toISOString(),
      direction: signal.direction,
      theme,
      bytes: bytes.length,
    }));
    return;
  }
  console.log(
    `wrote ${out} (${size}, ${
      Math.ceil(bytes.length / 1024)
    } KB): ${signal.direction} ${symbol} ${interval} signal at ${iso(signal.time)} UTC`,
  );
}

if (import.meta.main) await runCli(main);

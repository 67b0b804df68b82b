/**
 * `deno task backtest <file|folder>... [options]`: backtests the analyzer's signals on kline files,
 * after costs, optionally out-of-sample (split / walk-forward, with a grid search on train parts).
 * Prints a report (one file) or a comparison table (several), `--json`, and/or `--html <path>`.
 */

import { evaluateBacktest } from "../shared/backtest/run.ts";
import { resampleSeries } from "../shared/backtest/resample.ts";
import { sliceSeries } from "../shared/candles/series.ts";
import {
  ANALYZER_HELP,
  ANALYZER_OPTIONS,
  analyzerConfigFromOptions,
} from "./lib/cli/analyzer_options.ts";
import {
  BACKTEST_HELP,
  BACKTEST_OPTIONS,
  backtestOptionsFromValues,
} from "./lib/cli/backtest_options.ts";
import { datasetJson, datasetName, type DatasetReport } from "./lib/report/backtest_dataset.ts";
import { comparisonTable, detailReport } from "./lib/report/backtest_table.ts";
import { htmlReport } from "./lib/report/backtest_html.ts";
import { checkOutputPath, writeOutputFile } from "./lib/cli/output_file.ts";
import { ProgressBar } from "./lib/cli/progress.ts";
import { LineWriter, parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { KLINE_INPUT_HELP, KLINE_INPUT_OPTIONS, loadKlineInputs } from "./lib/cli/kline_inputs.ts";

const HELP = `usage: deno task backtest <file|folder>... [options]
Backtests the analyzer's signals on kline files (Binance REST JSON, Binance archive CSV, OHLCV CSV):
entry at the next bar's open, stop-first inside a bar, fees and slippage on every fill.
  --json            print one JSON document instead of the report
  --html <path>     also write a self-contained HTML report (equity, drawdown, trades on price)
  --trades          list every trade in the text report
  --no-progress     no progress bar (it is only drawn on a terminal anyway)
${KLINE_INPUT_HELP}
${BACKTEST_HELP}
${ANALYZER_HELP}
Past results do not predict future ones. This is not financial advice.`;

/** Runs `deno task backtest`. */
export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    json: { type: "boolean" },
    html: { type: "string" },
    trades: { type: "boolean" },
    "no-progress": { type: "boolean" },
    ...KLINE_INPUT_OPTIONS,
    ...ANALYZER_OPTIONS,
    ...BACKTEST_OPTIONS,
  });
  if (values.html !== undefined) await checkOutputPath("html", values.html);
  const analyzer = await analyzerConfigFromOptions(values);
  const opts = backtestOptionsFromValues(values);
  const files = await loadKlineInputs(positionals, values);

  const progress = new ProgressBar(!values["no-progress"]);
  const reports: DatasetReport[] = [];
  for (const f of files) {
    let series = f.series;
    let interval: string | null = f.interval;
    if (series.interval === undefined && f.interval) series = { ...series, interval: f.interval };
    if (opts.resample) {
      try {
        series = resampleSeries(series, opts.resample);
      } catch (e) {
        throw new UsageError(`${f.path}: ${(e as Error).message}`);
      }
      interval = opts.resample;
    }
    if (opts.from !== null || opts.to !== null) {
      let a = 0;
      while (a < series.length && opts.from !== null && series.openTime[a] < opts.from) a++;
      let b = a;
      while (b < series.length && (opts.to === null || series.openTime[b] < opts.to)) b++;
      series = sliceSeries(series, a, b);
    }
    if (series.length < 3) {
      throw new UsageError(`${f.path}: only ${series.length} bars in the chosen range`);
    }
    const name = f.symbol ? `${f.symbol} ${interval ?? ""}` : f.path;
    let evaluation;
    try {
      evaluation = evaluateBacktest(series, analyzer, opts.settings, {
        ...opts.evaluation,
        onProgress: (done, total) => progress.update(name, done, total),
      });
    } catch (e) {
      throw new UsageError(`${f.path}: ${(e as Error).message}`);
    }
    reports.push({
      path: f.path,
      symbol: f.symbol,
      interval,
      series,
      analyzer,
      settings: opts.settings,
      evaluation,
    });
  }
  progress.clear();

  if (values.html !== undefined) await writeOutputFile("html", values.html, htmlReport(reports));
  const out = new LineWriter();
  if (values.json) {
    out.line(JSON.stringify({ datasets: reports.map(datasetJson) }));
    out.flush();
    return;
  }
  if (reports.length === 1) {
    for (const l of detailReport(reports[0], values.trades)) out.line(l);
  } else {
    for (const l of comparisonTable(reports)) out.line(l);
    if (values.trades) {
      for (const r of reports) {
        out.line("");
        for (const l of detailReport(r, true)) out.line(l);
      }
    }
  }
  if (values.html !== undefined) {
    out.line(`\nHTML report written to ${values.html} (${reports.map(datasetName).join(", ")})`);
  }
  out.line("\nPast results do not predict future ones. This is not financial advice.");
  out.flush();
}

if (import.meta.main) await runCli(main);

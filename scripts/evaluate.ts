/**
 * `deno task evaluate <file|folder>... [--from DATE] [--to DATE] [--json] [--html FILE]`: is the
 * method worth acting on? Per dataset and pooled: trades, win rate, expectancy in R after costs with
 * a 95 % bootstrap interval, profit factor, drawdown, return vs buy-and-hold, a random-entry baseline,
 * an EMA 20/50 cross and a 20-bar Donchian breakout with the same exits, and calibration of the
 * stated confidence. Deterministic (seeded).
 */

import { evaluatePeriod } from "../shared/backtest/period.ts";
import { type PeriodSamples, scorecard, type ScoreOptions } from "../shared/backtest/scorecard.ts";
import {
  BUNDLED_CALIBRATION,
  type CalibrationModel,
  parseCalibrationModel,
} from "../shared/signals/calibration.ts";
import {
  ANALYZER_HELP,
  ANALYZER_OPTIONS,
  analyzerConfigFromOptions,
} from "./lib/cli/analyzer_options.ts";
import { backtestOptionsFromValues, parseUtcDate } from "./lib/cli/backtest_options.ts";
import { checkOutputPath, writeOutputFile } from "./lib/cli/output_file.ts";
import { ProgressBar } from "./lib/cli/progress.ts";
import { LineWriter, parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { loadKlineDatasets } from "./lib/klines/kline_datasets.ts";
import { evaluationHtml } from "./lib/report/evaluation_html.ts";
import {
  type EvaluatedDataset,
  evaluationJson,
  type EvaluationRun,
  evaluationText,
} from "./lib/report/evaluation.ts";

const HELP =
  `usage: deno task evaluate <file|folder>... [--from DATE] [--to DATE] [--json] [--html FILE]
Evaluates the analyzer's signals per dataset and pooled, after costs: expectancy in R with a 95%
bootstrap interval, against random entries and two classical entry rules with the same exits, and
the calibration of the stated confidence. A dataset is a kline file, or the files of one series in
one folder (e.g. BTCUSDT/1h/*.json) joined in time order; folders are searched recursively.
  --from DATE         first day reported (signal bars opening at or after it; UTC). Earlier candles
                      still feed the analyzer as warm-up.
  --to DATE           last day reported, inclusive (a date-time: bars opening at or before it).
                      Nothing after it is read: open trades close at its last close.
  --json              print one JSON document (pooled figures at pooled.*, one entry per dataset)
  --html FILE         also write a self-contained HTML report
  --replications N    random-entry replications (default 1000, at least 1000 for the targets)
  --seed N            seed of the random entries and bootstrap (default 1)
  --fee PCT           fee per side in percent (default 0.1)
  --slippage BPS      slippage per fill in basis points (default 2)
  --model FILE        calibration model (JSON) instead of the bundled one
  --no-progress       no progress bar (it is only drawn on a terminal anyway)
${ANALYZER_HELP}
Past results do not predict future ones. This is not financial advice.`;

const DAY_MS = 86_400_000;

/** Reads and validates a calibration model file; a bad file is one {@link UsageError} line. */
async function loadModel(path: string): Promise<CalibrationModel> {
  try {
    return parseCalibrationModel(JSON.parse(await Deno.readTextFile(path)));
  } catch (e) {
    throw new UsageError(`--model ${path}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** `--to`: a date includes its whole UTC day; a date-time includes bars opening at or before it. */
function toBound(v: string): number {
  const t = parseUtcDate("to", v);
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? t + DAY_MS : t + 1;
}

function positiveInt(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got ${v}`);
  }
  return n;
}

/** The CLI. */
export async function main(args: string[] = Deno.args): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    json: { type: "boolean" },
    html: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    replications: { type: "string" },
    seed: { type: "string" },
    fee: { type: "string" },
    slippage: { type: "string" },
    model: { type: "string" },
    "no-progress": { type: "boolean" },
    ...ANALYZER_OPTIONS,
  });
  if (positionals.length === 0) {
    throw new UsageError("expected one or more kline files or folders (see --help)");
  }
  if (values.html !== undefined) await checkOutputPath("html", values.html);
  const from = values.from === undefined ? null : parseUtcDate("from", values.from);
  const to = values.to === undefined ? null : toBound(values.to);
  if (from !== null && to !== null && to <= from) {
    throw new UsageError("--to must not be before --from");
  }
  const replications = values.replications === undefined
    ? 1000
    : positiveInt("replications", values.replications, 1, 100_000);
  const seed = values.seed === undefined ? 1 : positiveInt("seed", values.seed, 0, 2 ** 32 - 1);
  const analyzer = await analyzerConfigFromOptions(values);
  const { settings } = backtestOptionsFromValues({ fee: values.fee, slippage: values.slippage });
  const model = values.model === undefined ? BUNDLED_CALIBRATION : await loadModel(values.model);

  const progress = new ProgressBar(!values["no-progress"]);
  const datasets = await loadKlineDatasets(
    positionals,
    (done, total) => progress.update("loading", done, total),
  );
  const opts: ScoreOptions = {
    settings,
    exits: { stopAtr: analyzer.stopAtr, takeProfitAtr: analyzer.takeProfitAtr },
    replications,
    seed,
  };
  const evaluated: EvaluatedDataset[] = [];
  const samples: PeriodSamples[] = [];
  const outside: string[] = [];
  for (let k = 0; k < datasets.length; k++) {
    const d = datasets[k];
    progress.update(d.name, k, datasets.length);
    const ev = evaluatePeriod(d.series, analyzer, { from, to }, opts, d.name, model);
    if (ev === null) {
      outside.push(d.name);
      continue;
    }
    samples.push(ev.samples);
    evaluated.push({
      dataset: d,
      window: ev.window,
      signals: ev.signals.length,
      card: scorecard(ev.samples, opts, d.name),
    });
  }
  progress.clear();
  if (evaluated.length === 0) throw new UsageError("no dataset has bars in the chosen period");
  const run: EvaluationRun = {
    from,
    to,
    analyzer,
    settings,
    replications,
    seed,
    datasets: evaluated,
    outside,
    pooled: scorecard(samples, opts, "pooled"),
  };

  if (values.html !== undefined) await writeOutputFile("html", values.html, evaluationHtml(run));
  const out = new LineWriter();
  if (values.json) out.line(JSON.stringify(evaluationJson(run)));
  else {
    for (const l of evaluationText(run)) out.line(l);
    if (values.html !== undefined) out.line(`\nHTML report written to ${values.html}`);
  }
  out.flush();
}

if (import.meta.main) await runCli(main);

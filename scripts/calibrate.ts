/**
 * `deno task calibrate <file|folder>... --to DATE [--out FILE]`: fits the calibrated confidence on
 * the train period and writes the model file the library ships (shared/signals/calibration/).
 *
 * 1. Candidates: every setup the analyzer emits with the given settings and `minConfidence` 0, with
 *    a signal bar in the period; each is traded alone with the engine's fill rules and costs
 *    (tradeOutcome) to learn whether it reached TP1 before its stop (nothing after --to is read).
 * 2. A ridge logistic regression of that outcome on the setup's features; with --isotonic, an
 *    isotonic map fitted on out-of-sample logistic probabilities inside the period (forward
 *    chaining: candidates in time order cut into 5 blocks, block j scored by a fit on blocks before
 *    it), applied after the logistic model (the scheme of scikit-learn's CalibratedClassifierCV with
 *    ensemble=False, with time-ordered folds).
 * 3. The settings themselves (with the new model, `confidence: "probability"`) traded over the period
 *    by the engine: each setup class's record (trades, TP1 rate, mean R), stored with the model.
 * Prints the fit, its Brier score against the base rate's, and the same for a fit on the period's
 * first 70 % of candidates checked on the last 30 % (a time split inside the train period), with the
 * largest gap between stated and observed TP1 rate over deciles of at least 30 candidates.
 */

import { periodWindow } from "../shared/backtest/period.ts";
import { simulate } from "../shared/backtest/simulate.ts";
import { tradeOutcome } from "../shared/backtest/trade_outcome.ts";
import { baseRateBrier, brierScore } from "../shared/backtest/rank_stats.ts";
import { decileTable, MIN_DECILE_TRADES } from "../shared/backtest/scorecard.ts";
import { sliceSeries } from "../shared/candles/series.ts";
import {
  type CalibrationModel,
  FEATURE_NAMES,
  type FeatureName,
  parseCalibrationModel,
  type SetupRecord,
  tp1Probability,
} from "../shared/signals/calibration.ts";
import { type AnalyzerConfig, parseAnalyzerConfig } from "../shared/signals/config.ts";
import type { Signal } from "../shared/signals/types.ts";
import { analyzeSeries } from "../shared/signals/window.ts";
import {
  ANALYZER_HELP,
  ANALYZER_OPTIONS,
  analyzerConfigFromOptions,
} from "./lib/cli/analyzer_options.ts";
import { backtestOptionsFromValues, parseUtcDate } from "./lib/cli/backtest_options.ts";
import { checkOutputPath, writeOutputFile } from "./lib/cli/output_file.ts";
import { ProgressBar } from "./lib/cli/progress.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { fitIsotonic, type IsotonicKnots } from "./lib/calibration/fit_isotonic.ts";
import { fitLogistic, type LogisticFit } from "./lib/calibration/fit_logistic.ts";
import { type KlineDataset, loadKlineDatasets } from "./lib/klines/kline_datasets.ts";

const HELP = `usage: deno task calibrate <file|folder>... --to DATE [--out FILE] [options]
Fits the calibrated confidence (probability of reaching TP1 before the stop) on the period up to
--to (inclusive; the train period), and each setup class's record, and writes the model file.
  --from DATE         first signal day used (default: the data's start; earlier candles are warm-up)
  --to DATE           last signal day used, inclusive (required; the train period ends here)
  --out FILE          where to write the model (default shared/signals/calibration/tp1_v3.json)
  --id ID             model id stored in the file (default tp1-logistic-v3)
  --ridge X           L2 penalty on the standardised coefficients (default 30: of 1, 30, 100,
                      300, 1000 the best Brier on the time split inside the train period)
  --isotonic          add an isotonic step fitted on out-of-sample logistic probabilities inside
                      the period (forward chaining over 5 time blocks, bins of 30 setups)
  --json              print the fitted model instead of the summary
  --no-progress       no progress bar
${ANALYZER_HELP}`;

const DAY_MS = 86_400_000;

/** One labelled candidate setup. */
interface Candidate {
  time: number;
  x: number[];
  hit: number;
}

/** Time blocks of the forward chaining behind the isotonic step. */
const ISOTONIC_FOLDS = 5;
/** Fewest setups behind one step of the isotonic map (the decile check's minimum). */
const ISOTONIC_MIN_BLOCK = MIN_DECILE_TRADES;

function toModel(
  id: string,
  fit: LogisticFit,
  meta: CalibrationModel["fittedOn"],
  setups: Record<string, SetupRecord>,
  isotonic?: IsotonicKnots,
): CalibrationModel {
  return parseCalibrationModel({
    id,
    target: "P(TP1 is reached before the stop), entry at the next open, fees and slippage included",
    fittedOn: meta,
    features: [...FEATURE_NAMES],
    center: fit.center,
    scale: fit.scale,
    coefficients: fit.coefficients,
    intercept: fit.intercept,
    ...(isotonic ? { isotonic } : {}),
    setups,
  });
}

/**
 * The isotonic step for candidates `rows` (in time order): each of the time blocks after the first
 * is scored by a logistic fit on the blocks before it, and the map is fitted on those
 * out-of-sample probabilities and their outcomes.
 */
function isotonicStep(
  rows: Candidate[],
  ridge: number,
  meta: CalibrationModel["fittedOn"],
): IsotonicKnots {
  const p: number[] = [];
  const y: number[] = [];
  for (let j = 1; j < ISOTONIC_FOLDS; j++) {
    const a = Math.floor((j * rows.length) / ISOTONIC_FOLDS);
    const b = Math.floor(((j + 1) * rows.length) / ISOTONIC_FOLDS);
    const before = rows.slice(0, a);
    const fit = fitLogistic(before.map((r) => r.x), before.map((r) => r.hit), ridge);
    const block = rows.slice(a, b);
    p.push(...probabilities(toModel("fold", fit, meta, {}), block));
    y.push(...block.map((r) => r.hit));
  }
  return fitIsotonic(p, y, ISOTONIC_MIN_BLOCK);
}

/** Largest |TP1 rate − mean probability| over deciles of at least 30 rows (null: none that large). */
function decileGap(p: number[], y: number[]): number | null {
  const rows = decileTable(
    p.map((c, i) => ({ r: 0, hit: y[i] as 0 | 1, confidence: c, exitTime: 0 })),
  );
  let gap: number | null = null;
  for (const d of rows) {
    if (d.trades < MIN_DECILE_TRADES) continue;
    gap = Math.max(gap ?? 0, Math.abs(d.tp1Rate - d.meanConfidence));
  }
  return gap;
}

function featuresOf(s: Signal): number[] {
  const f = s.evidence?.features as Record<FeatureName, number> | undefined;
  if (!f) throw new Error("signal without evidence features");
  return FEATURE_NAMES.map((k) => f[k]);
}

/** Every labelled candidate of one dataset's period. */
function candidates(
  d: KlineDataset,
  config: AnalyzerConfig,
  period: { from: number | null; to: number },
  settings: ReturnType<typeof backtestOptionsFromValues>["settings"],
): Candidate[] {
  const w = periodWindow(d.series, period);
  if (w.end - w.start < 2) return [];
  const seen = sliceSeries(d.series, 0, w.end);
  const out: Candidate[] = [];
  for (const s of analyzeSeries(seen, { ...config, minConfidence: 0, confidence: "score" })) {
    if (s.index < w.start || s.index + 1 >= w.end) continue;
    const o = tradeOutcome(seen, s, s.index + 1, w.end, settings);
    if (o) out.push({ time: s.time, x: featuresOf(s), hit: o.targetsHit > 0 ? 1 : 0 });
  }
  return out;
}

/** The model's probability for each candidate. */
function probabilities(fitted: CalibrationModel, rows: Candidate[]): number[] {
  return rows.map((r) =>
    tp1Probability(
      fitted,
      Object.fromEntries(FEATURE_NAMES.map((k, i) => [k, r.x[i]])) as Record<FeatureName, number>,
    )
  );
}

/** Brier score, the base rate's, and the largest decile gap of `fitted` on `rows`. */
function checkOn(fitted: CalibrationModel, rows: Candidate[]): [number, number, number | null] {
  const p = probabilities(fitted, rows);
  const y = rows.map((r) => r.hit);
  return [brierScore(p, y) ?? NaN, baseRateBrier(y) ?? NaN, decileGap(p, y)];
}

function gapText(g: number | null): string {
  return g === null ? "- (no decile of 30)" : `${(g * 100).toFixed(1)} points`;
}

/** The CLI. */
export async function main(args: string[] = Deno.args): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    from: { type: "string" },
    to: { type: "string" },
    out: { type: "string" },
    id: { type: "string" },
    ridge: { type: "string" },
    isotonic: { type: "boolean" },
    json: { type: "boolean" },
    "no-progress": { type: "boolean" },
    ...ANALYZER_OPTIONS,
  });
  if (positionals.length === 0) {
    throw new UsageError("expected kline files or folders (see --help)");
  }
  if (values.to === undefined) {
    throw new UsageError("--to is required (the train period's last day)");
  }
  const from = values.from === undefined ? null : parseUtcDate("from", values.from);
  const to = parseUtcDate("to", values.to) + (/^\d{4}-\d{2}-\d{2}$/.test(values.to) ? DAY_MS : 1);
  if (from !== null && to <= from) throw new UsageError("--to must not be before --from");
  const ridge = values.ridge === undefined ? 30 : Number(values.ridge);
  if (!(ridge >= 0) || !Number.isFinite(ridge)) {
    throw new UsageError(`--ridge: expected a number >= 0, got ${values.ridge}`);
  }
  const id = values.id ?? "tp1-logistic-v3";
  const out = values.out ??
    new URL("../shared/signals/calibration/tp1_v3.json", import.meta.url).pathname;
  await checkOutputPath("out", out);
  const config = parseAnalyzerConfig({
    ...(await analyzerConfigFromOptions(values)),
    confidence: "probability",
  });
  const { settings } = backtestOptionsFromValues({});
  const progress = new ProgressBar(!values["no-progress"]);
  const datasets = await loadKlineDatasets(positionals, (k, n) => progress.update("loading", k, n));

  const rows: Candidate[] = [];
  datasets.forEach((d, k) => {
    progress.update(d.name, k, datasets.length);
    rows.push(...candidates(d, config, { from, to }, settings));
  });
  if (rows.length < 50) {
    throw new UsageError(`only ${rows.length} candidate setups: too few to fit`);
  }
  const base = rows.reduce((s, r) => s + r.hit, 0) / rows.length;
  const meta = {
    period: `${from === null ? "start" : new Date(from).toISOString().slice(0, 10)}..${
      new Date(to - 1).toISOString().slice(0, 10)
    }`,
    datasets: datasets.map((d) => d.name),
    setups: rows.length,
    tp1Rate: base,
  };
  const fit = fitLogistic(rows.map((r) => r.x), rows.map((r) => r.hit), ridge);
  const byTime = rows.slice().sort((a, b) => a.time - b.time);
  const iso = values.isotonic ? isotonicStep(byTime, ridge, meta) : undefined;

  // Time split inside the period: fit on the first 70 % of candidates, check on the rest, with and
  // without an isotonic step (itself fitted inside the first 70 %).
  const cut = Math.floor(byTime.length * 0.7);
  const early = byTime.slice(0, cut);
  const earlyFit = fitLogistic(early.map((r) => r.x), early.map((r) => r.hit), ridge);
  const lateLogistic = checkOn(toModel(id, earlyFit, meta, {}), byTime.slice(cut));
  const lateIsotonic = checkOn(
    toModel(id, earlyFit, meta, {}, isotonicStep(early, ridge, meta)),
    byTime.slice(cut),
  );

  // The settings' own trades over the period, with the new model: each setup class's record.
  const draft = toModel(id, fit, meta, {}, iso);
  const records = new Map<string, { n: number; hits: number; r: number }>();
  for (const d of datasets) {
    const w = periodWindow(d.series, { from, to });
    if (w.end - w.start < 2) continue;
    const seen = sliceSeries(d.series, 0, w.end);
    const signals = analyzeSeries(seen, config, draft);
    const setupOf = new Map(signals.map((s) => [s.index, s.evidence?.setup ?? "unknown"]));
    for (const t of simulate(seen, signals, settings, w).trades) {
      const key = setupOf.get(t.signalIndex) ?? "unknown";
      const rec = records.get(key) ?? { n: 0, hits: 0, r: 0 };
      rec.n++;
      rec.hits += t.targetsHit > 0 ? 1 : 0;
      rec.r += t.r;
      records.set(key, rec);
    }
  }
  progress.clear();
  const setups: Record<string, SetupRecord> = {};
  for (const k of [...records.keys()].sort()) {
    const r = records.get(k)!;
    setups[k] = { n: r.n, tp1Rate: r.hits / r.n, avgR: r.r / r.n };
  }
  const model = toModel(id, fit, meta, setups, iso);
  const [brier, baseBrier, gap] = checkOn(model, rows);
  await writeOutputFile("out", out, JSON.stringify(model, null, 2) + "\n");
  if (values.json) {
    console.log(JSON.stringify(model));
    return;
  }
  const lines = [
    `${rows.length} candidate setups in ${meta.period} from ${datasets.length} datasets; TP1 reached by ${
      (base * 100).toFixed(1)
    }%`,
    `logistic fit (${fit.iterations} Newton steps, ridge ${ridge}): intercept ${
      fit.intercept.toFixed(4)
    }`,
    ...FEATURE_NAMES.map((k, i) =>
      `  ${k.padEnd(16)} beta ${fit.coefficients[i] >= 0 ? "+" : ""}${
        fit.coefficients[i].toFixed(4)
      } (per sd ${fit.scale[i].toPrecision(3)}, mean ${fit.center[i].toPrecision(3)})`
    ),
    ...(iso
      ? [
        `isotonic step (out-of-sample probabilities by forward chaining over ${ISOTONIC_FOLDS} time blocks, bins of ${ISOTONIC_MIN_BLOCK}): ${iso.x.length} knots`,
        ...iso.x.map((x, i) => `  ${x.toFixed(3)} -> ${iso.y[i].toFixed(3)}`),
      ]
      : []),
    `in-sample Brier ${brier.toFixed(4)} vs base rate ${baseBrier.toFixed(4)}; largest decile gap ${
      gapText(gap)
    }`,
    `time split inside the period (fit on the first 70%, checked on the last 30%, base rate ${
      lateLogistic[1].toFixed(4)
    }):`,
    `  logistic            Brier ${lateLogistic[0].toFixed(4)}, largest decile gap ${
      gapText(lateLogistic[2])
    }`,
    `  logistic + isotonic Brier ${lateIsotonic[0].toFixed(4)}, largest decile gap ${
      gapText(lateIsotonic[2])
    }`,
    "setup classes (the settings' own trades in the period):",
    ...Object.entries(setups).map(([k, r]) =>
      `  ${k.padEnd(14)} n ${String(r.n).padStart(4)}  TP1 ${
        ((r.tp1Rate ?? 0) * 100).toFixed(0)
      }%  avg R ${(r.avgR ?? 0).toFixed(2)}`
    ),
    `model written to ${out}`,
  ];
  console.log(lines.join("\n"));
}

if (import.meta.main) await runCli(main);

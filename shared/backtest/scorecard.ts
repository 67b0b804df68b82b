/**
 * The evaluation scorecard of one period (or of several pooled): the method's trades after costs with
 * a bootstrap interval of their expectancy, profit factor and drawdown in R, return against
 * buy-and-hold, a random-entry baseline, two classical entry rules with the same exits, and how well
 * the stated confidence forecasts reaching TP1 (calibration by decile, Spearman, Brier).
 *
 * Two steps: {@link samplePeriod} trades one period and keeps the raw outcomes; {@link scorecard}
 * turns one or more samples into figures, so pooled figures come from the same code as per-dataset
 * ones (pooling concatenates trades and adds random replications run by run).
 */

import type { CandleSeries } from "../candles/types.ts";
import { bootstrapMeanCi } from "./bootstrap.ts";
import { atr14Of, type AtrExits, donchianSignals, emaCrossSignals } from "./classic_baselines.ts";
import { computeMetrics } from "./metrics.ts";
import { deriveSeed, SeededRandom } from "./prng.ts";
import {
  percentileOf,
  type RandomEntryRuns,
  randomEntryRuns,
  type TradeShape,
} from "./random_entries.ts";
import { baseRateBrier, brierScore, spearman } from "./rank_stats.ts";
import type { BacktestSettings } from "./settings.ts";
import { type BarWindow, simulate, type TradableSignal } from "./simulate.ts";
import type { Trade } from "./types.ts";

/** A decile needs at least this many trades for its calibration gap to count. */
export const MIN_DECILE_TRADES = 30;

/** Largest |TP1 rate − mean confidence| a decile may show for the calibration target (issue 10). */
export const DECILE_TOLERANCE = 0.1;

/** One closed trade as the scorecard sees it. */
export interface ScoredTrade {
  /** Result after costs, in R. */
  r: number;
  /** 1 when TP1 was reached before the stop (or any other exit), else 0. */
  hit: 0 | 1;
  /** The signal's stated confidence (0 for the classical baselines). */
  confidence: number;
  /** Open time (ms) of the exit bar (orders trades for the R drawdown). */
  exitTime: number;
}

/** Raw outcomes of one period, ready to be scored alone or pooled. */
export interface PeriodSamples {
  trades: ScoredTrade[];
  ema: ScoredTrade[];
  donchian: ScoredTrade[];
  random: RandomEntryRuns;
  /** Strategy return over the period (compounded, `settings.riskFraction` per trade), percent. */
  returnPct: number;
  /** Last close / first open − 1 over the period, percent, no costs. */
  buyAndHoldPct: number;
  /** Deepest fall of the strategy's equity, percent of the peak. */
  maxDrawdownPct: number;
}

/** How to trade and resample a period. */
export interface ScoreOptions {
  settings: BacktestSettings;
  /** Exits of the classical baselines (the analyzer config's ATR stop and targets). */
  exits: AtrExits;
  /** Random-entry replications (≥ 1; the harness uses 1,000). */
  replications: number;
  /** Base seed; each dataset derives its own streams from it and its label. */
  seed: number;
  /** Bootstrap resamples for the expectancy interval (default 10,000). */
  resamples?: number;
}

/** Figures of one set of trades. */
export interface TradeSetStats {
  trades: number;
  /** Share of trades with R > 0; null without trades. */
  winRate: number | null;
  /** Mean R after costs; null without trades. */
  expectancyR: number | null;
  /** 95 % percentile-bootstrap interval of the expectancy. */
  ciLow: number | null;
  ciHigh: number | null;
  /** Σ positive R / |Σ negative R|; null without a losing trade. */
  profitFactor: number | null;
  /** Deepest fall of cumulative R (trades in exit order), in R, ≥ 0. */
  maxDrawdownR: number;
}

/** One confidence decile: trades sorted by confidence, cut into ten groups of (nearly) equal size. */
export interface DecileRow {
  trades: number;
  confidenceFrom: number;
  confidenceTo: number;
  /** Mean stated confidence of the group. */
  meanConfidence: number;
  /** Observed share reaching TP1. */
  tp1Rate: number;
  avgR: number;
}

/** Every figure the evaluation reports for a dataset or a pool. */
export interface Scorecard extends TradeSetStats {
  /** Mean over the pooled periods for a pool. */
  returnPct: number;
  buyAndHoldPct: number;
  /** Worst period's equity drawdown for a pool. */
  maxDrawdownPct: number;
  replications: number;
  /** Percentile (0–100) of our expectancy among the random-entry replications' mean R. */
  randomPercentile: number | null;
  randomMeanR: number | null;
  /** 95th percentile of the replications' mean R. */
  randomP95R: number | null;
  ema: TradeSetStats;
  donchian: TradeSetStats;
  /** Share of trades that reached TP1 (the base rate). */
  tp1Rate: number | null;
  /** Brier score of confidence as the probability of reaching TP1. */
  brier: number | null;
  /** Brier score of forecasting the base rate for every trade. */
  baseRateBrier: number | null;
  /** Spearman correlation of confidence and R. */
  spearman: number | null;
  /** Largest |TP1 rate − mean confidence| over deciles with ≥ {@link MIN_DECILE_TRADES} trades. */
  calibrationGap: number | null;
  /**
   * The same check for a perfectly calibrated forecast of these trades (see
   * {@link calibratedDecileCheck}): the share of simulated outcomes within
   * {@link DECILE_TOLERANCE}, and their median largest gap. Null without a decile large enough.
   */
  calibratedPassRate: number | null;
  calibratedMedianGap: number | null;
  deciles: DecileRow[];
}

function scored(t: Trade): ScoredTrade {
  return { r: t.r, hit: t.targetsHit > 0 ? 1 : 0, confidence: t.confidence, exitTime: t.exitTime };
}

/**
 * Trades `signals` (the method's, over the whole `series`; those with a bar in `window` count) and
 * the classical baselines inside `window`, and runs the random-entry replications. Trades close at
 * the latest at the window's last close, so nothing after the window is used. `label` names the
 * dataset (it seeds the random streams, so adding a dataset never changes another's figures).
 * A trade's shape for the random baseline is its stop and target distances in the series' ATR(14)
 * at the signal bar.
 */
export function samplePeriod(
  series: CandleSeries,
  window: BarWindow,
  signals: readonly TradableSignal[],
  opts: ScoreOptions,
  label: string,
): PeriodSamples {
  const { settings } = opts;
  const atr14 = atr14Of(series);
  const sim = simulate(series, signals, settings, window);
  const metrics = computeMetrics(series, sim, settings);
  const byIndex = new Map<number, TradableSignal>();
  for (const s of signals) byIndex.set(s.index, s);
  const shapes: TradeShape[] = [];
  for (const t of sim.trades) {
    const s = byIndex.get(t.signalIndex);
    const a = atr14[t.signalIndex];
    if (!s || !(a > 0)) continue;
    shapes.push({
      direction: t.direction,
      stopAtr: Math.abs(s.entry - s.stopLoss) / a,
      takeProfitAtr: [
        Math.abs(s.takeProfits[0] - s.entry) / a,
        Math.abs(s.takeProfits[1] - s.entry) / a,
        Math.abs(s.takeProfits[2] - s.entry) / a,
      ],
    });
  }
  const classic = (list: TradableSignal[]) =>
    simulate(series, list, settings, window).trades.map(scored);
  return {
    trades: sim.trades.map(scored),
    ema: classic(emaCrossSignals(series, window.start, window.end, opts.exits, atr14)),
    donchian: classic(donchianSignals(series, window.start, window.end, opts.exits, atr14)),
    random: randomEntryRuns(
      series,
      atr14,
      window,
      shapes,
      settings,
      opts.replications,
      deriveSeed(opts.seed, `${label}:random`),
    ),
    returnPct: metrics.totalReturnPct,
    buyAndHoldPct: metrics.buyAndHoldReturnPct,
    maxDrawdownPct: metrics.maxDrawdown.maxDrawdownPct,
  };
}

/** Deepest fall of cumulative R with trades taken in exit order (stable for equal times). */
export function maxDrawdownR(trades: readonly ScoredTrade[]): number {
  const order = trades.map((_, i) => i).sort((a, b) =>
    trades[a].exitTime - trades[b].exitTime || a - b
  );
  let cum = 0;
  let peak = 0;
  let worst = 0;
  for (const i of order) {
    cum += trades[i].r;
    if (cum > peak) peak = cum;
    else if (peak - cum > worst) worst = peak - cum;
  }
  return worst;
}

/** Expectancy with its bootstrap interval, win rate, profit factor and R drawdown of `trades`. */
export function tradeSetStats(
  trades: readonly ScoredTrade[],
  seed: number,
  resamples = 10_000,
): TradeSetStats {
  const n = trades.length;
  const rs = Float64Array.from(trades, (t) => t.r);
  let sum = 0;
  let wins = 0;
  let gain = 0;
  let loss = 0;
  for (const r of rs) {
    sum += r;
    if (r > 0) {
      wins++;
      gain += r;
    } else loss -= r;
  }
  const ci = bootstrapMeanCi(rs, { seed, resamples });
  return {
    trades: n,
    winRate: n ? wins / n : null,
    expectancyR: n ? sum / n : null,
    ciLow: ci.low,
    ciHigh: ci.high,
    profitFactor: loss > 0 ? gain / loss : null,
    maxDrawdownR: maxDrawdownR(trades),
  };
}

/** Calibration by confidence decile (groups ⌊k·n/10⌋ … ⌊(k+1)·n/10⌋ of the trades sorted by it). */
export function decileTable(trades: readonly ScoredTrade[]): DecileRow[] {
  const sorted = trades.slice().sort((a, b) => a.confidence - b.confidence);
  const n = sorted.length;
  const rows: DecileRow[] = [];
  for (let k = 0; k < 10; k++) {
    const a = Math.floor((k * n) / 10);
    const b = Math.floor(((k + 1) * n) / 10);
    if (b <= a) continue;
    let conf = 0;
    let hits = 0;
    let r = 0;
    for (let i = a; i < b; i++) {
      conf += sorted[i].confidence;
      hits += sorted[i].hit;
      r += sorted[i].r;
    }
    const m = b - a;
    rows.push({
      trades: m,
      confidenceFrom: sorted[a].confidence,
      confidenceTo: sorted[b - 1].confidence,
      meanConfidence: conf / m,
      tp1Rate: hits / m,
      avgR: r / m,
    });
  }
  return rows;
}

/**
 * What the decile check gives when the stated confidences are exactly right: `replications` times,
 * every trade reaches TP1 with probability equal to its confidence (seeded draws), and the largest
 * |TP1 rate − mean confidence| over the deciles (as {@link decileTable} cuts them) with ≥
 * {@link MIN_DECILE_TRADES} trades is taken. Returns the share of draws whose largest gap is ≤
 * `tolerance` and the median largest gap (the sampling noise the check allows for), or null when no
 * decile is large enough or `replications` < 1. A parametric bootstrap of the null hypothesis of
 * perfect calibration (B. Efron & R. J. Tibshirani, "An Introduction to the Bootstrap", 1993, §16).
 */
export function calibratedDecileCheck(
  confidences: readonly number[],
  tolerance: number,
  replications: number,
  seed: number,
): { passRate: number; medianGap: number } | null {
  const c = confidences.slice().sort((a, b) => a - b);
  const n = c.length;
  const groups: [number, number, number][] = []; // [first, end, mean confidence]
  for (let k = 0; k < 10; k++) {
    const a = Math.floor((k * n) / 10);
    const b = Math.floor(((k + 1) * n) / 10);
    if (b - a < MIN_DECILE_TRADES) continue;
    let sum = 0;
    for (let i = a; i < b; i++) sum += c[i];
    groups.push([a, b, sum / (b - a)]);
  }
  if (groups.length === 0 || replications < 1) return null;
  const rng = new SeededRandom(seed);
  const gaps = new Float64Array(replications);
  let pass = 0;
  for (let r = 0; r < replications; r++) {
    let worst = 0;
    for (const [a, b, m] of groups) {
      let hits = 0;
      for (let i = a; i < b; i++) if (rng.next() < c[i]) hits++;
      worst = Math.max(worst, Math.abs(hits / (b - a) - m));
    }
    gaps[r] = worst;
    if (worst <= tolerance) pass++;
  }
  gaps.sort();
  return { passRate: pass / replications, medianGap: gaps[Math.floor((replications - 1) / 2)] };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

/**
 * Figures of one period's samples, or of several pooled (`label` seeds the bootstrap). Pooling:
 * trades are concatenated; replication k of the pool is replication k of every period together
 * (its mean R = Σ sums / Σ trades), so the pool's random percentile tests the pooled expectancy.
 * Return and buy-and-hold are averaged over the periods; the equity drawdown is the worst period's.
 */
export function scorecard(
  samples: PeriodSamples | readonly PeriodSamples[],
  opts: Pick<ScoreOptions, "seed" | "resamples" | "replications">,
  label: string,
): Scorecard {
  const list = Array.isArray(samples) ? samples : [samples as PeriodSamples];
  const trades = list.flatMap((s) => s.trades);
  const stats = tradeSetStats(trades, deriveSeed(opts.seed, `${label}:bootstrap`), opts.resamples);
  const reps = opts.replications;
  const means: number[] = [];
  for (let k = 0; k < reps; k++) {
    let sum = 0;
    let n = 0;
    for (const s of list) {
      sum += s.random.sumR[k] ?? 0;
      n += s.random.trades[k] ?? 0;
    }
    if (n > 0) means.push(sum / n);
  }
  means.sort((a, b) => a - b);
  const p = Float64Array.from(trades, (t) => t.confidence);
  const o = Float64Array.from(trades, (t) => t.hit);
  const deciles = decileTable(trades);
  let gap: number | null = null;
  for (const d of deciles) {
    if (d.trades < MIN_DECILE_TRADES) continue;
    const g = Math.abs(d.tp1Rate - d.meanConfidence);
    if (gap === null || g > gap) gap = g;
  }
  const calibrated = calibratedDecileCheck(
    trades.map((t) => t.confidence),
    DECILE_TOLERANCE,
    reps,
    deriveSeed(opts.seed, `${label}:calibrated`),
  );
  return {
    ...stats,
    returnPct: mean(list.map((s) => s.returnPct)),
    buyAndHoldPct: mean(list.map((s) => s.buyAndHoldPct)),
    maxDrawdownPct: Math.max(0, ...list.map((s) => s.maxDrawdownPct)),
    replications: reps,
    randomPercentile: stats.expectancyR === null ? null : percentileOf(stats.expectancyR, means),
    randomMeanR: means.length ? mean(means) : null,
    randomP95R: means.length ? means[Math.floor(0.95 * (means.length - 1))] : null,
    ema: tradeSetStats(
      list.flatMap((s) => s.ema),
      deriveSeed(opts.seed, `${label}:ema`),
      opts.resamples,
    ),
    donchian: tradeSetStats(
      list.flatMap((s) => s.donchian),
      deriveSeed(opts.seed, `${label}:donchian`),
      opts.resamples,
    ),
    tp1Rate: trades.length ? mean(Array.from(o)) : null,
    brier: brierScore(p, o),
    baseRateBrier: baseRateBrier(o),
    spearman: spearman(p, Float64Array.from(trades, (t) => t.r)),
    calibrationGap: gap,
    calibratedPassRate: calibrated?.passRate ?? null,
    calibratedMedianGap: calibrated?.medianGap ?? null,
    deciles,
  };
}

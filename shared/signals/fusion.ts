/**
 * Fusion: turns the methods' opinions at one bar into one signal (or none). Pure. One function per
 * phase: opinions → agreement → trend → levels → confidence → signal.
 */

import type { IndicatorFrame } from "../indicators/set.ts";
import type { Direction, ElliottCount, WyckoffEvent, WyckoffPhase } from "../patterns/types.ts";
import {
  BUNDLED_CALIBRATION,
  type CalibrationModel,
  setupClass,
  setupFeatures,
  tp1Probability,
} from "./calibration.ts";
import type { AnalyzerConfig } from "./config.ts";
import { type IndicatorVote, voteIndicators } from "./indicator_vote.ts";
import type { Contribution, Method, Signal } from "./types.ts";

/** Everything fusion looks at for one bar; all of it known at that bar's close. */
export interface FusionInput {
  index: number;
  time: number;
  close: number;
  atr: number;
  frame: IndicatorFrame;
  /** The freshest valid Elliott count, or null. */
  elliott: ElliottCount | null;
  /** Fresh Wyckoff events, oldest first. */
  wyckoff: readonly WyckoffEvent[];
  phase: WyckoffPhase;
  /** Higher-timeframe trend at the bar: +1 up, −1 down, 0 unknown (see htf_trend.ts). */
  htfTrend?: -1 | 0 | 1;
}

interface Opinion {
  method: Method;
  direction: Direction | null;
  confidence: number;
  detail: string;
}

/** What the pattern methods say at a bar: their common direction and the patterns behind it. */
export interface PatternView {
  direction: Direction;
  event: WyckoffEvent | null;
  count: ElliottCount | null;
  opinions: Opinion[];
}

/** Stop, targets and their reward-to-risk, in price. */
export interface Levels {
  stopLoss: number;
  takeProfits: [number, number, number];
  /** TP1 distance / stop distance. */
  riskReward: number;
}

/** The Wyckoff event that speaks for the method: the most recent, the strongest among equals. */
function leadingEvent(events: readonly WyckoffEvent[]): WyckoffEvent | null {
  let best: WyckoffEvent | null = null;
  for (const e of events) {
    if (!best || e.index > best.index || (e.index === best.index && e.strength > best.strength)) {
      best = e;
    }
  }
  return best;
}

function indicatorDetail(v: IndicatorVote, direction: Direction): string {
  const list = v.passed.length ? v.passed.join(", ") : "none";
  return `${v.passed.length}/${v.total} ${direction} checks pass (${list})`;
}

/**
 * Phase 1, opinions: the leading Wyckoff event and the Elliott count (enabled methods only). Null
 * when no pattern speaks, two patterns disagree or the direction is against the trend (phase 2,
 * {@link withTrend}); otherwise the indicators vote for that direction.
 */
export function patternOpinions(input: FusionInput, config: AnalyzerConfig): PatternView | null {
  const { methods } = config;
  const opinions: Opinion[] = [];
  const event = methods.wyckoff ? leadingEvent(input.wyckoff) : null;
  if (event) {
    opinions.push({
      method: "wyckoff",
      direction: event.direction,
      confidence: event.strength,
      detail: event.description,
    });
  }
  const count = methods.elliott ? input.elliott : null;
  if (count) {
    opinions.push({
      method: "elliott",
      direction: count.direction,
      confidence: count.score,
      detail: count.description,
    });
  }
  if (opinions.length === 0) return null;
  const direction = opinions[0].direction as Direction;
  if (opinions.some((o) => o.direction !== direction)) return null;
  if (!withTrend(input, direction, config)) return null;
  if (methods.indicators) {
    const v = voteIndicators(input.frame, input.close, direction, config.indicatorMinScore);
    opinions.push({
      method: "indicators",
      direction: v.direction,
      confidence: v.confidence,
      detail: indicatorDetail(v, direction),
    });
  }
  return { direction, event, count, opinions };
}

/** Methods enabled by `config`, in the fixed order wyckoff, elliott, indicators. */
function enabledMethods(config: AnalyzerConfig): Method[] {
  return (["wyckoff", "elliott", "indicators"] as const).filter((m) => config.methods[m]);
}

/**
 * Phase 2, trend: with `trendFilter` "ema" the series' EMA50 must be above EMA200 for a long (below
 * for a short); with "htf" the higher-timeframe trend must point the trade's way.
 */
export function withTrend(
  input: FusionInput,
  direction: Direction,
  config: AnalyzerConfig,
): boolean {
  const side = direction === "long" ? 1 : -1;
  if (config.trendFilter === "ema") return side * (input.frame.ema50 - input.frame.ema200) > 0;
  if (config.trendFilter === "htf") return (input.htfTrend ?? 0) === side;
  return true;
}

/**
 * Phase 4 (after agreement, phase 3), levels. Targets are `takeProfitAtr` ATRs from the entry (the close). The stop is
 * `stopAtr` ATRs away, or with `stopMode` "structure" `stopBufferAtr` ATRs beyond the farthest level
 * the patterns imply (spring low / upthrust high, the broken range edge of an SOS / SOW, the
 * Elliott invalidation; levels on the wrong side of the entry are ignored, and without any the
 * `stopAtr` distance is used), its distance clamped to [`stopMinAtr`, `stopMaxAtr`] ATRs.
 */
export function signalLevels(
  input: FusionInput,
  view: PatternView,
  config: AnalyzerConfig,
): Levels {
  const side = view.direction === "long" ? 1 : -1;
  const { close: entry, atr } = input;
  let dist = config.stopAtr * atr;
  if (config.stopMode === "structure") {
    const e = view.event;
    const levels: number[] = [];
    if (e) levels.push(e.kind === "spring" || e.kind === "upthrust" ? e.extreme : e.level);
    if (view.count) levels.push(view.count.invalidation);
    let structural = 0;
    for (const level of levels) structural = Math.max(structural, side * (entry - level));
    const wanted = structural > 0 ? structural + config.stopBufferAtr * atr : dist;
    dist = Math.min(config.stopMaxAtr * atr, Math.max(config.stopMinAtr * atr, wanted));
  }
  dist = Math.max(dist, (config.stopMinPct / 100) * entry);
  const [t1, t2, t3] = config.takeProfitAtr;
  return {
    stopLoss: entry - side * dist,
    takeProfits: [entry + side * t1 * atr, entry + side * t2 * atr, entry + side * t3 * atr],
    riskReward: (t1 * atr) / dist,
  };
}

/**
 * Phase 5, the heuristic score: (weighted mean of the agreeing methods' confidences) × (0.6 + 0.4 ×
 * agreeing weight / enabled weight), × `agreementBoost` when every enabled method agrees, capped at
 * 1. Also each opinion's share: its weight × confidence over the sum of the agreeing ones'.
 */
export function heuristicScore(
  agreeing: readonly Opinion[],
  enabled: readonly Method[],
  config: AnalyzerConfig,
): { score: number; weighted: number } {
  const { weights } = config;
  const enabledWeight = enabled.reduce((s, m) => s + weights[m], 0);
  const agreeWeight = agreeing.reduce((s, o) => s + weights[o.method], 0);
  const weighted = agreeing.reduce((s, o) => s + weights[o.method] * o.confidence, 0);
  if (!(agreeWeight > 0) || !(weighted > 0)) return { score: 0, weighted };
  let score = (weighted / agreeWeight) * (0.6 + 0.4 * agreeWeight / enabledWeight);
  if (agreeing.length === enabled.length && enabled.length > 1) score *= config.agreementBoost;
  return { score: Math.min(1, score), weighted };
}

/**
 * Fuses the methods' opinions. Returns a signal when a pattern method (Elliott or Wyckoff) names a
 * direction, no enabled pattern method contradicts it, at least `minAgreeing` enabled methods agree,
 * the trade is with the trend (`trendFilter`), its TP1 reward-to-risk reaches `minRiskReward` and
 * its confidence reaches `minConfidence`; otherwise null. Cooldown is the caller's job. With
 * `confidence: "probability"` the confidence is `model`'s calibrated probability of reaching TP1.
 */
export function fuse(
  input: FusionInput,
  config: AnalyzerConfig,
  model: CalibrationModel = BUNDLED_CALIBRATION,
): Signal | null {
  if (!(input.atr > 0)) return null;
  const view = patternOpinions(input, config);
  if (view === null) return null;
  const { direction, opinions } = view;
  const enabled = enabledMethods(config);
  const agreeing = opinions.filter((o) => o.direction === direction);
  if (agreeing.length < Math.min(config.minAgreeing, enabled.length)) return null;
  const levels = signalLevels(input, view, config);
  if (levels.riskReward < config.minRiskReward) return null;
  const { score, weighted } = heuristicScore(agreeing, enabled, config);
  if (!(weighted > 0)) return null;
  const vote = opinions.find((o) => o.method === "indicators");
  const features = setupFeatures({
    direction,
    event: view.event,
    count: view.count,
    indicatorShare: vote ? vote.confidence : 0,
    htfTrend: input.htfTrend ?? 0,
    emaSpread: input.frame.ema50 - input.frame.ema200,
    riskReward: levels.riskReward,
  });
  const confidence = config.confidence === "probability" ? tp1Probability(model, features) : score;
  if (confidence < config.minConfidence) return null;
  const setup = setupClass(view.event, view.count, direction);
  const train = model.setups[setup] ?? { n: 0, tp1Rate: null, avgR: null };

  const contributions: Contribution[] = opinions.map((o) => ({
    method: o.method,
    direction: o.direction,
    confidence: o.confidence,
    share: o.direction === direction ? (config.weights[o.method] * o.confidence) / weighted : 0,
    detail: o.detail,
  }));
  const rationale = contributions
    .map((c) =>
      `${c.method[0].toUpperCase()}${c.method.slice(1)}${
        c.share > 0 ? ` (${Math.round(c.share * 100)}%)` : ""
      }: ${c.detail}.`
    )
    .join(" ");
  return {
    index: input.index,
    time: input.time,
    direction,
    entry: input.close,
    stopLoss: levels.stopLoss,
    takeProfits: levels.takeProfits,
    riskReward: levels.riskReward,
    confidence,
    atr: input.atr,
    contributions,
    rationale,
    evidence: { setup, model: model.id, train: { ...train }, features },
    patterns: { elliott: view.count, wyckoff: view.event ? [view.event] : [], phase: input.phase },
  };
}

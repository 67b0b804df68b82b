/** Fusion: turns the methods' opinions at one bar into one signal (or none). Pure. */

import type { IndicatorFrame } from "../indicators/set.ts";
import type { Direction, ElliottCount, WyckoffEvent, WyckoffPhase } from "../patterns/types.ts";
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
}

interface Opinion {
  method: Method;
  direction: Direction | null;
  confidence: number;
  detail: string;
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

/** Rounds a price for display without losing meaningful digits. */
function fmt(x: number): string {
  return x.toPrecision(6).replace(/\.?0+$/, "");
}

/**
 * Fuses the methods' opinions. Returns a signal when a pattern method (Elliott or Wyckoff) names a
 * direction, no enabled pattern method contradicts it, at least `minAgreeing` enabled methods agree,
 * and the fused confidence reaches `minConfidence`; otherwise null. Cooldown is the caller's job.
 *
 * Confidence = (weighted mean of the agreeing methods' confidences) × (0.6 + 0.4 × agreeing weight /
 * enabled weight), × `agreementBoost` when every enabled method agrees, capped at 1. Each method's share
 * is its weight × confidence over the sum of those of the agreeing methods.
 */
export function fuse(input: FusionInput, config: AnalyzerConfig): Signal | null {
  const { methods, weights } = config;
  if (!(input.atr > 0)) return null;
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
      detail: `${count.description}; invalid beyond ${fmt(count.invalidation)}`,
    });
  }
  if (opinions.length === 0) return null;
  const direction = opinions[0].direction as Direction;
  if (opinions.some((o) => o.direction !== direction)) return null;
  if (methods.indicators) {
    const v = voteIndicators(input.frame, input.close, direction, config.indicatorMinScore);
    opinions.push({
      method: "indicators",
      direction: v.direction,
      confidence: v.confidence,
      detail: indicatorDetail(v, direction),
    });
  }
  const enabled = (["wyckoff", "elliott", "indicators"] as const).filter((m) => methods[m]);
  const agreeing = opinions.filter((o) => o.direction === direction);
  if (agreeing.length < Math.min(config.minAgreeing, enabled.length)) return null;

  const enabledWeight = enabled.reduce((s, m) => s + weights[m], 0);
  const agreeWeight = agreeing.reduce((s, o) => s + weights[o.method], 0);
  const weighted = agreeing.reduce((s, o) => s + weights[o.method] * o.confidence, 0);
  if (!(agreeWeight > 0) || !(weighted > 0)) return null;
  let confidence = (weighted / agreeWeight) * (0.6 + 0.4 * agreeWeight / enabledWeight);
  if (agreeing.length === enabled.length && enabled.length > 1) confidence *= config.agreementBoost;
  confidence = Math.min(1, confidence);
  if (confidence < config.minConfidence) return null;

  const sign = direction === "long" ? 1 : -1;
  const entry = input.close;
  const stopLoss = entry - sign * config.stopAtr * input.atr;
  const [t1, t2, t3] = config.takeProfitAtr;
  const takeProfits: [number, number, number] = [
    entry + sign * t1 * input.atr,
    entry + sign * t2 * input.atr,
    entry + sign * t3 * input.atr,
  ];
  const contributions: Contribution[] = opinions.map((o) => ({
    method: o.method,
    direction: o.direction,
    confidence: o.confidence,
    share: o.direction === direction ? (weights[o.method] * o.confidence) / weighted : 0,
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
    entry,
    stopLoss,
    takeProfits,
    riskReward: t1 / config.stopAtr,
    confidence,
    atr: input.atr,
    contributions,
    rationale,
    patterns: { elliott: count, wyckoff: event ? [event] : [], phase: input.phase },
  };
}

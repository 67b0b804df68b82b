/** Wyckoff event scoring and construction (spring, upthrust, sign of strength/weakness). Pure. */

import type { TradingRange, WyckoffEvent, WyckoffPhase } from "./types.ts";
import { priceText } from "./price_text.ts";

/** Weight of the volume score in an event's strength. */
export const WEIGHT_VOLUME = 0.5;
/** Weight of the price score (recovery for springs/upthrusts, breakout distance for SOS/SOW). */
export const WEIGHT_PRICE = 0.3;
/** Weight of the phase-context score. */
export const WEIGHT_CONTEXT = 0.2;

/** Shared empty result: returned (never mutated) on every bar without an event. */
export const NO_EVENTS: readonly WyckoffEvent[] = Object.freeze([]);

function clamp01(x: number): number {
  return x <= 0 || Number.isNaN(x) ? 0 : x >= 1 ? 1 : x;
}

/** Volume score in [0, 1]: volumeRatio / (2 × volumeStrong), so strong volume (1.5×) scores ≥ 0.5. */
export function volumeScore(volumeRatio: number, volumeStrong: number): number {
  return clamp01(volumeRatio / (2 * volumeStrong));
}

/**
 * Context score in [0, 1]: 1 when the phase expects the event (spring/SOS in accumulation,
 * upthrust/SOW in distribution), 0.5 when the phase is undetermined, 0 otherwise.
 */
export function contextScore(bullish: boolean, phase: WyckoffPhase): number {
  if (phase === "accumulation") return bullish ? 1 : 0;
  if (phase === "distribution") return bullish ? 0 : 1;
  return 0.5;
}

/**
 * Event strength in [0, 1] =
 * 0.5 × volumeScore + 0.3 × priceScore + 0.2 × contextScore, each part already in [0, 1].
 */
export function eventStrength(volume: number, price: number, context: number): number {
  return clamp01(WEIGHT_VOLUME * volume + WEIGHT_PRICE * clamp01(price) + WEIGHT_CONTEXT * context);
}

/** Ratio or ATR multiple with 2 decimals. */
function small(x: number): string {
  return x.toFixed(2);
}

const NAMES: Record<WyckoffEvent["kind"], string> = {
  spring: "Spring",
  upthrust: "Upthrust",
  sos: "Sign of strength",
  sow: "Sign of weakness",
};

/** Inputs of {@link makeWyckoffEvent}. */
export interface WyckoffEventInput {
  kind: WyckoffEvent["kind"];
  index: number;
  time: number;
  level: number;
  /** The bar's extreme beyond the level (spring/upthrust) or its close (SOS/SOW). */
  price: number;
  /** The bar's low (spring, SOS) or high (upthrust, SOW): where a protective stop goes beyond. */
  extreme: number;
  /** Distance from the level in ATRs (penetration or breakout). */
  atrs: number;
  strength: number;
  volumeRatio: number;
  phase: WyckoffPhase;
  /** The active trading range at the event's bar. */
  range: TradingRange;
}

/** Builds a WyckoffEvent with its direction and a one-line human-readable description. */
export function makeWyckoffEvent(e: WyckoffEventInput): WyckoffEvent {
  const long = e.kind === "spring" || e.kind === "sos";
  const levelName = e.kind === "spring" || e.kind === "sow" ? "support" : "resistance";
  const pierced = e.kind === "spring" ? "low" : "high";
  const side = long ? "above" : "below";
  const lvl = `${levelName} ${priceText(e.level)}`;
  const what = e.kind === "spring" || e.kind === "upthrust"
    ? `${pierced} ${priceText(e.price)} broke ${lvl} by ${small(e.atrs)} ATR and closed back inside`
    : `closed at ${priceText(e.price)}, ${small(e.atrs)} ATR ${side} ${lvl}`;
  return {
    kind: e.kind,
    index: e.index,
    time: e.time,
    level: e.level,
    extreme: e.extreme,
    strength: e.strength,
    volumeRatio: e.volumeRatio,
    direction: long ? "long" : "short",
    description: `${NAMES[e.kind]}: ${what} on ${
      small(e.volumeRatio)
    }x average volume (${e.phase})`,
    range: e.range,
  };
}

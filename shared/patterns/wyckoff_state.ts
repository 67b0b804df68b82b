/** Serialisable snapshot of a WyckoffTracker and its validation. Pure. */

import type { TradingRange, WyckoffPhase } from "./types.ts";

/** Compact JSON snapshot of a WyckoffTracker (bounded size; "never"/unknown values are null). */
export interface WyckoffState {
  /** Format version. */
  v: 1;
  phase: WyckoffPhase;
  /** Active trading range, or null. */
  range: TradingRange | null;
  /** Last known sign of emaFast − emaSlow (1, -1, or 0 before the EMAs are known). */
  emaSign: -1 | 0 | 1;
  /** Index of the last bar processed. */
  lastIndex: number | null;
  /** Bar at which the last range ended (its pivots may not be reused). */
  lastBreakout: number | null;
  /** Bar of the last spring reported (cooldown). */
  lastSpring: number | null;
  /** Bar of the last upthrust reported (cooldown). */
  lastUpthrust: number | null;
}

const PHASES: readonly WyckoffPhase[] = [
  "accumulation",
  "markup",
  "distribution",
  "markdown",
  "undetermined",
];

function bad(why: string): never {
  throw new Error(`invalid WyckoffState: ${why}`);
}

function intOrNull(s: Record<string, unknown>, key: string): number | null {
  const v = s[key];
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) bad(`${key} must be an integer or null`);
  return v;
}

/** Checks an untrusted value (e.g. parsed JSON) and returns it as a WyckoffState; throws a one-line Error. */
export function parseWyckoffState(value: unknown): WyckoffState {
  if (typeof value !== "object" || value === null) bad("not an object");
  const s = value as Record<string, unknown>;
  if (s.v !== 1) bad(`unsupported version ${JSON.stringify(s.v)}`);
  if (!PHASES.includes(s.phase as WyckoffPhase)) bad(`unknown phase ${JSON.stringify(s.phase)}`);
  if (s.emaSign !== -1 && s.emaSign !== 0 && s.emaSign !== 1) bad("emaSign must be -1, 0 or 1");
  let range: TradingRange | null = null;
  if (s.range !== null) {
    const r = s.range as Record<string, unknown> | undefined;
    if (
      typeof r !== "object" || r === null || typeof r.support !== "number" ||
      typeof r.resistance !== "number" || !Number.isFinite(r.support) ||
      !Number.isFinite(r.resistance) || !(r.resistance >= r.support) ||
      typeof r.startIndex !== "number" || !Number.isInteger(r.startIndex)
    ) bad("range must be null or {support, resistance, startIndex} with support <= resistance");
    range = { support: r.support, resistance: r.resistance, startIndex: r.startIndex };
  }
  return {
    v: 1,
    phase: s.phase as WyckoffPhase,
    range,
    emaSign: s.emaSign,
    lastIndex: intOrNull(s, "lastIndex"),
    lastBreakout: intOrNull(s, "lastBreakout"),
    lastSpring: intOrNull(s, "lastSpring"),
    lastUpthrust: intOrNull(s, "lastUpthrust"),
  };
}

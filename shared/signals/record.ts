/** The JSON form of a signal, as `deno task signals --json` prints it. */

import type { Signal } from "./types.ts";

/** A signal as a flat JSON-ready record with its series and ISO time. */
export function signalRecord(s: Signal, symbol: string | null, interval: string | null) {
  return {
    symbol,
    interval,
    time: new Date(s.time).toISOString(),
    openTime: s.time,
    bar: s.index,
    direction: s.direction,
    entry: s.entry,
    stopLoss: s.stopLoss,
    takeProfits: s.takeProfits,
    riskReward: s.riskReward,
    confidence: s.confidence,
    atr: s.atr,
    contributions: s.contributions,
    rationale: s.rationale,
    evidence: s.evidence ?? null,
    patterns: s.patterns,
  };
}

/** The type of {@link signalRecord}'s result. */
export type SignalRecord = ReturnType<typeof signalRecord>;

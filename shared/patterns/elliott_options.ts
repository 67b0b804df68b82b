/** Options of the Elliott Wave counter (shared/patterns/elliott.ts) with defaults and validation. */

/** Settings of the Elliott counter (findElliott). */
export interface ElliottOptions {
  /** Counts scoring below this (in [0, 1]) are not reported. */
  minScore: number;
  /** Relative deviation from a Fibonacci target at which a ratio's score reaches 0 (0.25 = ±25 %). */
  fibTolerance: number;
  /** Relative slack on the ABC acceptance ranges (B .5–.886 of A, C 1–1.618 of A). */
  rangeTolerance: number;
  /** Look for 5-wave impulses. */
  impulse: boolean;
  /** Look for ABC corrections. */
  correction: boolean;
  /** Accept impulses whose wave 5 does not pass wave 3's end (truncated fifth). */
  allowTruncatedFifth: boolean;
}

/** Defaults: minScore 0.5, fibTolerance 0.25, rangeTolerance 0.05, both patterns, no truncation. */
export const DEFAULT_ELLIOTT_OPTIONS: Readonly<ElliottOptions> = Object.freeze({
  minScore: 0.5,
  fibTolerance: 0.25,
  rangeTolerance: 0.05,
  impulse: true,
  correction: true,
  allowTruncatedFifth: false,
});

/** Completes `partial` with defaults; throws a one-line error naming the first bad option. */
export function resolveElliottOptions(partial: Partial<ElliottOptions> = {}): ElliottOptions {
  const o: ElliottOptions = { ...DEFAULT_ELLIOTT_OPTIONS, ...partial };
  const num = (name: keyof ElliottOptions, v: unknown, lo: number, hi: number) => {
    if (typeof v !== "number" || !(v >= lo && v <= hi)) {
      throw new Error(
        `invalid Elliott option ${name}: expected a number in [${lo}, ${hi}], got ${v}`,
      );
    }
  };
  num("minScore", o.minScore, 0, 1);
  num("fibTolerance", o.fibTolerance, 1e-6, 10);
  num("rangeTolerance", o.rangeTolerance, 0, 1);
  for (const k of ["impulse", "correction", "allowTruncatedFifth"] as const) {
    if (typeof o[k] !== "boolean") {
      throw new Error(`invalid Elliott option ${k}: expected a boolean, got ${o[k]}`);
    }
  }
  return o;
}

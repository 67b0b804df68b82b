/** Settings of the Wyckoff tracker: documented defaults and validation. Pure. */

/** Tunable thresholds of {@link WyckoffTracker}; all price distances are in ATRs of the current bar. */
export interface WyckoffOptions {
  /** Max range height (resistance − support) in ATRs for pivots to count as a trading range. */
  rangeMaxAtr: number;
  /** Min bars from the range's first pivot to the bar the range is recognised. */
  rangeMinBars: number;
  /** How many of the most recent confirmed pivots define the range (≥ 2, must hold a high and a low). */
  rangePivots: number;
  /** Older pivots that still fit the height limit extend the range, up to this many pivots in all. */
  rangeMaxPivots: number;
  /** Volume above this multiple of its rolling average is strong confirmation (SOS/SOW need it). */
  volumeStrong: number;
  /** A spring/upthrust may break the level by at most this many ATRs (deeper is not a test). */
  penetrationMaxAtr: number;
  /** A close this many ATRs beyond a level ends the range even without strong volume. */
  breakoutAtr: number;
  /** A spring/upthrust close this many ATRs back inside the level counts as a full recovery. */
  recoveryAtr: number;
  /** After a spring (upthrust), another one is not reported within this many bars. */
  eventCooldownBars: number;
}

/** Default Wyckoff settings, chosen for ATR(14) and a 20-bar volume average (not fitted to returns). */
export const DEFAULT_WYCKOFF_OPTIONS: Readonly<WyckoffOptions> = Object.freeze({
  rangeMaxAtr: 6,
  rangeMinBars: 20,
  rangePivots: 4,
  rangeMaxPivots: 16,
  volumeStrong: 1.5,
  penetrationMaxAtr: 1,
  breakoutAtr: 0.5,
  recoveryAtr: 0.5,
  eventCooldownBars: 5,
});

/** Merges `opts` over the defaults and validates them; throws a one-line Error naming the bad option. */
export function resolveWyckoffOptions(
  opts: Partial<WyckoffOptions> = {},
): Readonly<WyckoffOptions> {
  const o: WyckoffOptions = { ...DEFAULT_WYCKOFF_OPTIONS };
  for (const key of Object.keys(opts) as (keyof WyckoffOptions)[]) {
    if (!(key in DEFAULT_WYCKOFF_OPTIONS)) {
      throw new Error(`invalid Wyckoff option "${String(key)}": unknown option`);
    }
    const value = opts[key];
    if (value !== undefined) o[key] = value;
  }
  for (const key of Object.keys(o) as (keyof WyckoffOptions)[]) {
    const value = o[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new Error(`invalid Wyckoff option ${key}: expected a finite number >= 0, got ${value}`);
    }
  }
  if (!Number.isInteger(o.rangePivots) || o.rangePivots < 2) {
    throw new Error(
      `invalid Wyckoff option rangePivots: expected an integer >= 2, got ${o.rangePivots}`,
    );
  }
  if (!Number.isInteger(o.rangeMaxPivots) || o.rangeMaxPivots < o.rangePivots) {
    throw new Error(
      `invalid Wyckoff option rangeMaxPivots: expected an integer >= rangePivots, got ${o.rangeMaxPivots}`,
    );
  }
  if (!Number.isInteger(o.rangeMinBars) || !Number.isInteger(o.eventCooldownBars)) {
    throw new Error("invalid Wyckoff option rangeMinBars/eventCooldownBars: expected integers");
  }
  if (o.rangeMaxAtr <= 0 || o.volumeStrong <= 0 || o.recoveryAtr <= 0) {
    throw new Error("invalid Wyckoff option rangeMaxAtr/volumeStrong/recoveryAtr: must be > 0");
  }
  return Object.freeze(o);
}

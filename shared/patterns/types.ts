/** Types of the pattern detectors (pivots, Elliott, Wyckoff). Pure data, JSON-serialisable. */

/** Trade direction implied by a pattern or signal. */
export type Direction = "long" | "short";

/** A confirmed swing high or low. */
export interface Pivot {
  /** "high" for a swing high, "low" for a swing low. */
  kind: "high" | "low";
  /** Bar index the extreme sits on. */
  index: number;
  /** Bar index at which the pivot became known (confirmedAt >= index). Nothing may use it earlier. */
  confirmedAt: number;
  /** High (for a swing high) or low (for a swing low) of the bar at `index`. */
  price: number;
  /** Open time (ms) of the bar at `index`. */
  time: number;
}

/** One labelled wave end of an Elliott count. */
export interface WavePoint {
  /** "0" (start), "1".."5" for impulses; "0","A","B","C" for corrections. */
  label: string;
  index: number;
  price: number;
  time: number;
}

/** A validated Elliott count, completed at the bar its last pivot was confirmed. */
export interface ElliottCount {
  kind: "impulse" | "correction";
  /** Direction of the pattern's own move: an "up" impulse rises from wave 0 to wave 5. */
  trend: "up" | "down";
  /** Trade direction the completed pattern implies. */
  direction: Direction;
  waves: WavePoint[];
  /** Quality score in [0, 1] (Fibonacci proximity, time proportion, alternation). */
  score: number;
  /** Price beyond which the count is wrong (for the implied trade). */
  invalidation: number;
  /** Bar at which the count became known (confirmation bar of its last pivot). */
  confirmedAt: number;
  /** Short human-readable description, e.g. "Impulse up complete (waves 1-5), W3 = 1.62 x W1". */
  description: string;
}

/** Wyckoff market phase. */
export type WyckoffPhase = "accumulation" | "markup" | "distribution" | "markdown" | "undetermined";

/** A Wyckoff event detected at a bar. */
export interface WyckoffEvent {
  kind: "spring" | "upthrust" | "sos" | "sow";
  /** Bar index where the event happened (known at the close of that bar). */
  index: number;
  time: number;
  /** Range level involved (support for spring/SOW, resistance for upthrust/SOS). */
  level: number;
  /**
   * The event bar's extreme on the side a protective stop goes: its low for a spring or SOS, its
   * high for an upthrust or SOW.
   */
  extreme: number;
  /** Strength in [0, 1]. */
  strength: number;
  /** Bar volume / rolling average volume. */
  volumeRatio: number;
  /** Trade direction the event implies. */
  direction: Direction;
  description: string;
  /**
   * The trading range the event was measured against (as it stood at the event's bar). Absent on
   * events restored from snapshots written before the field existed.
   */
  range?: TradingRange;
}

/** A trading range built from confirmed pivots. */
export interface TradingRange {
  support: number;
  resistance: number;
  /** First bar of the range. */
  startIndex: number;
}

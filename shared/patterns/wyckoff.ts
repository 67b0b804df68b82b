/**
 * Streaming Wyckoff analysis: trading range, market phase and events (spring, upthrust, sign of
 * strength, sign of weakness) from closed bars and confirmed pivots. Pure, no look-ahead.
 *
 * Method
 * - Range: when the pivots change and no range is active, the last `rangePivots` confirmed pivots
 *   (all after the previous breakout; older ones too while they fit, up to rangeMaxPivots) define
 *   support (lowest low) and resistance (highest high) if the height is ≤ rangeMaxAtr × ATR, the
 *   first pivot is ≥ rangeMinBars old and the close is inside.
 *   The range stays fixed until a close beyond a level by ≥ breakoutAtr × ATR, or any close beyond it
 *   on strong volume (SOS/SOW), ends it.
 * - Phase: outside a range the phase follows the trend: a breakout up = markup, down = markdown; an
 *   emaFast/emaSlow cross flips it; before any trend is known it comes from the EMA sign. A new range
 *   after markdown = accumulation, after markup = distribution; with no trend yet, the pivot before
 *   the range decides (price fell into it = accumulation, rose into it = distribution).
 * - Events (only while a range is active, with finite ATR and volume average):
 *   spring = low below support by ≤ penetrationMaxAtr × ATR and close back inside (long);
 *   upthrust = mirror at resistance (short); SOS = close above resistance with volume >
 *   volumeStrong × average (long); SOW = mirror below support (short).
 * - Strength = 0.5 × min(1, volumeRatio / (2 × volumeStrong))
 *            + 0.3 × price score (spring/upthrust: min(1, close distance back inside / (recoveryAtr × ATR));
 *                                 SOS/SOW: min(1, close distance beyond the level / ATR))
 *            + 0.2 × context (1 if the phase expects the event, e.g. spring in accumulation,
 *                             0.5 if undetermined, 0 if opposite).
 * Per bar: O(1) work and no allocation unless an event fires or the pivots change.
 */

import type { Pivot, TradingRange, WyckoffEvent, WyckoffPhase } from "./types.ts";
import { resolveWyckoffOptions, type WyckoffOptions } from "./wyckoff_options.ts";
import { findTradingRange } from "./wyckoff_range.ts";
import {
  contextScore,
  eventStrength,
  makeWyckoffEvent,
  NO_EVENTS,
  volumeScore,
} from "./wyckoff_events.ts";
import { parseWyckoffState, type WyckoffState } from "./wyckoff_state.ts";

export { DEFAULT_WYCKOFF_OPTIONS, type WyckoffOptions } from "./wyckoff_options.ts";
export type { WyckoffState } from "./wyckoff_state.ts";

/** One closed bar with the indicator values the tracker needs (NaN during warm-up). */
export interface WyckoffBar {
  index: number;
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Average true range at this bar (e.g. ATR(14)). */
  atr: number;
  /** Rolling average volume at this bar (e.g. SMA(20) of volume). */
  volumeAvg: number;
  emaFast: number;
  emaSlow: number;
}

const NEVER = -Infinity;

function toNullable(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function fromNullable(x: number | null): number {
  return x === null ? NEVER : x;
}

/** Streaming Wyckoff range/phase/event tracker; feed it every closed bar in order. */
export class WyckoffTracker {
  #opts: Readonly<WyckoffOptions>;
  #phase: WyckoffPhase = "undetermined";
  #range: TradingRange | null = null;
  #emaSign: -1 | 0 | 1 = 0;
  #lastIndex = NEVER;
  #lastBreakout = NEVER;
  #lastSpring = NEVER;
  #lastUpthrust = NEVER;

  /** Creates a tracker; options missing from `opts` take DEFAULT_WYCKOFF_OPTIONS. Throws on bad options. */
  constructor(opts?: Partial<WyckoffOptions>) {
    this.#opts = resolveWyckoffOptions(opts);
  }

  /** Current market phase. */
  get phase(): WyckoffPhase {
    return this.#phase;
  }

  /** Active trading range (frozen), or null. */
  get range(): TradingRange | null {
    return this.#range;
  }

  /** The resolved options in use. */
  get options(): Readonly<WyckoffOptions> {
    return this.#opts;
  }

  /**
   * Processes one closed bar. `pivots` are the confirmed pivots known so far (oldest first; pivots
   * with confirmedAt > bar.index are ignored); `pivotsChanged` says whether they changed since the
   * previous call. Returns the events of this bar (a shared frozen empty array when there are none).
   */
  update(
    bar: WyckoffBar,
    pivots: readonly Pivot[],
    pivotsChanged: boolean,
  ): readonly WyckoffEvent[] {
    if (!(bar.index > this.#lastIndex)) {
      throw new Error(
        `WyckoffTracker.update: bar index ${bar.index} is not after the last one (${this.#lastIndex})`,
      );
    }
    this.#lastIndex = bar.index;
    this.#trackTrend(bar.emaFast, bar.emaSlow);
    let events: readonly WyckoffEvent[] = NO_EVENTS;
    if (this.#range !== null) events = this.#inRange(bar, this.#range);
    if (this.#range === null && pivotsChanged) this.#tryRange(bar, pivots);
    return events;
  }

  #trackTrend(fast: number, slow: number): void {
    const sign = fast > slow ? 1 : fast < slow ? -1 : 0;
    if (sign === 0) return;
    if (this.#range === null && (this.#phase === "undetermined" || sign !== this.#emaSign)) {
      this.#phase = sign > 0 ? "markup" : "markdown";
    }
    this.#emaSign = sign;
  }

  #tryRange(bar: WyckoffBar, pivots: readonly Pivot[]): void {
    const c = findTradingRange(
      pivots,
      bar.index,
      bar.atr,
      bar.close,
      this.#opts,
      this.#lastBreakout,
    );
    if (c === null) return;
    this.#range = Object.freeze({
      support: c.support,
      resistance: c.resistance,
      startIndex: c.startIndex,
    });
    const p = this.#phase;
    if (p === "markdown") this.#phase = "accumulation";
    else if (p === "markup") this.#phase = "distribution";
    else if (c.approach === "down") this.#phase = "accumulation";
    else if (c.approach === "up") this.#phase = "distribution";
  }

  #endRange(index: number, up: boolean): void {
    this.#range = null;
    this.#lastBreakout = index;
    this.#phase = up ? "markup" : "markdown";
  }

  #inRange(bar: WyckoffBar, r: TradingRange): readonly WyckoffEvent[] {
    const atr = bar.atr;
    if (!(atr > 0) || !Number.isFinite(atr)) return NO_EVENTS;
    const o = this.#opts;
    const ratio = bar.volumeAvg > 0 ? bar.volume / bar.volumeAvg : NaN;
    const volOk = Number.isFinite(ratio);
    const close = bar.close;
    if (close > r.resistance || close < r.support) {
      const up = close > r.resistance;
      const dist = up ? close - r.resistance : r.support - close;
      const strong = volOk && ratio > o.volumeStrong;
      if (!strong && dist < o.breakoutAtr * atr) return NO_EVENTS;
      const phase = this.#phase;
      this.#endRange(bar.index, up);
      if (!strong) return NO_EVENTS;
      const strength = eventStrength(
        volumeScore(ratio, o.volumeStrong),
        dist / atr,
        contextScore(up, phase),
      );
      return [makeWyckoffEvent({
        kind: up ? "sos" : "sow",
        index: bar.index,
        time: bar.time,
        level: up ? r.resistance : r.support,
        price: close,
        extreme: up ? bar.low : bar.high,
        atrs: dist / atr,
        strength,
        volumeRatio: ratio,
        phase,
        range: r,
      })];
    }
    if (!volOk) return NO_EVENTS;
    let events: WyckoffEvent[] | null = null;
    const maxPen = o.penetrationMaxAtr * atr;
    const pen = r.support - bar.low;
    if (
      pen > 0 && pen <= maxPen && close > r.support &&
      bar.index - this.#lastSpring > o.eventCooldownBars
    ) {
      this.#lastSpring = bar.index;
      events = [this.#test("spring", bar, r, r.support, bar.low, pen, close - r.support, ratio)];
    }
    const over = bar.high - r.resistance;
    if (
      over > 0 && over <= maxPen && close < r.resistance &&
      bar.index - this.#lastUpthrust > o.eventCooldownBars
    ) {
      this.#lastUpthrust = bar.index;
      const e = this.#test(
        "upthrust",
        bar,
        r,
        r.resistance,
        bar.high,
        over,
        r.resistance - close,
        ratio,
      );
      if (events === null) events = [e];
      else events.push(e);
    }
    return events ?? NO_EVENTS;
  }

  #test(
    kind: "spring" | "upthrust",
    bar: WyckoffBar,
    range: TradingRange,
    level: number,
    extreme: number,
    penetration: number,
    recovery: number,
    ratio: number,
  ): WyckoffEvent {
    const o = this.#opts;
    const strength = eventStrength(
      volumeScore(ratio, o.volumeStrong),
      recovery / (o.recoveryAtr * bar.atr),
      contextScore(kind === "spring", this.#phase),
    );
    return makeWyckoffEvent({
      kind,
      index: bar.index,
      time: bar.time,
      level,
      price: extreme,
      extreme,
      atrs: penetration / bar.atr,
      strength,
      volumeRatio: ratio,
      phase: this.#phase,
      range,
    });
  }

  /** Compact JSON-safe snapshot (no NaN/Infinity; "never" is null); fromState(toState()) resumes exactly. */
  toState(): WyckoffState {
    const r = this.#range;
    return {
      v: 1,
      phase: this.#phase,
      range: r === null
        ? null
        : { support: r.support, resistance: r.resistance, startIndex: r.startIndex },
      emaSign: this.#emaSign,
      lastIndex: toNullable(this.#lastIndex),
      lastBreakout: toNullable(this.#lastBreakout),
      lastSpring: toNullable(this.#lastSpring),
      lastUpthrust: toNullable(this.#lastUpthrust),
    };
  }

  /** Restores a tracker from toState() output (e.g. parsed JSON); throws a one-line Error if malformed. */
  static fromState(s: WyckoffState, opts?: Partial<WyckoffOptions>): WyckoffTracker {
    const st = parseWyckoffState(s);
    const t = new WyckoffTracker(opts);
    t.#phase = st.phase;
    t.#range = st.range === null ? null : Object.freeze({ ...st.range });
    t.#emaSign = st.emaSign;
    t.#lastIndex = fromNullable(st.lastIndex);
    t.#lastBreakout = fromNullable(st.lastBreakout);
    t.#lastSpring = fromNullable(st.lastSpring);
    t.#lastUpthrust = fromNullable(st.lastUpthrust);
    return t;
  }
}

/**
 * The streaming analyzer: feeds each closed candle through indicators, pivots, Elliott, Wyckoff and
 * fusion, in O(1) amortised time per candle, and keeps a compact serialisable state.
 */

import type { Candle } from "../candles/types.ts";
import { type IndicatorFrame, IndicatorSet } from "../indicators/set.ts";
import { findElliott } from "../patterns/elliott.ts";
import { PivotDetector } from "../patterns/pivots.ts";
import type { ElliottCount, Pivot, WyckoffEvent, WyckoffPhase } from "../patterns/types.ts";
import { type WyckoffBar, WyckoffTracker } from "../patterns/wyckoff.ts";
import {
  type AnalyzerConfig,
  configKey,
  DEFAULT_ANALYZER_CONFIG,
  type DetectorOptions,
  detectorOptions,
} from "./config.ts";
import { fuse } from "./fusion.ts";
import { BUNDLED_CALIBRATION, type CalibrationModel } from "./calibration.ts";
import { HtfTrend, type HtfTrendState } from "./htf_trend.ts";

import type { Signal } from "./types.ts";

/**
 * A fresh spring or upthrust waiting for its follow-through: a later close beyond `trigger` (the
 * spring bar's high, the upthrust bar's low).
 */
export interface PendingTest {
  kind: "spring" | "upthrust";
  /** Bar of the event. */
  index: number;
  /** Price a later close must pass: above it after a spring, below it after an upthrust. */
  trigger: number;
  confirmed: boolean;
}

/** The analyzer's whole state as plain JSON; restore it with {@link StreamingAnalyzer.restore}. */
export interface AnalyzerSnapshot {
  /** Snapshot format version (2 since the higher-timeframe trend and follow-through tests). */
  v: 2;
  /** {@link configKey} of the settings the state was built with. */
  configKey: string;
  /** Candles processed so far (= index of the next candle). */
  bars: number;
  /** Open time (ms) of the last candle processed, or null before the first. */
  lastTime: number | null;
  indicators: ReturnType<IndicatorSet["toState"]>;
  pivots: ReturnType<PivotDetector["toState"]>;
  wyckoff: ReturnType<WyckoffTracker["toState"]>;
  elliott: ElliottCount | null;
  events: WyckoffEvent[];
  /** Follow-through state of the fresh springs and upthrusts. */
  tests: PendingTest[];
  htf: HtfTrendState;
  lastSignalIndex: number | null;
}

/** Everything the analyzer knows after a bar: the signal and the state behind it. */
export interface AnalysisView {
  signal: Signal | null;
  indicators: IndicatorFrame;
  pivots: Pivot[];
  elliott: ElliottCount | null;
  wyckoffEvents: WyckoffEvent[];
  phase: WyckoffPhase;
}

/** Raised when a candle is out of order or a snapshot does not fit the settings. */
export class AnalyzerError extends Error {
  override name = "AnalyzerError";
}

/**
 * The per-bar pattern and fusion step, shared by the streaming analyzer (indicators computed
 * incrementally) and {@link analyzeWindow} (indicators computed in batch): both must agree exactly.
 */
export class AnalyzerCore {
  readonly config: AnalyzerConfig;
  /** The calibration model behind probability confidence and the signals' evidence. */
  readonly model: CalibrationModel;
  private readonly opts: DetectorOptions;
  private readonly pivots: PivotDetector;
  private readonly wyckoff: WyckoffTracker;
  private readonly bar: WyckoffBar = {
    index: 0,
    time: 0,
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
    atr: NaN,
    volumeAvg: NaN,
    emaFast: NaN,
    emaSlow: NaN,
  };
  private readonly htf: HtfTrend;
  private elliott: ElliottCount | null = null;
  private events: WyckoffEvent[] = [];
  private tests: PendingTest[] = [];
  private lastSignalIndex: number | null = null;
  /** Number of bars stepped (= index of the next bar). */
  bars = 0;
  /** Open time of the last bar stepped. */
  lastTime: number | null = null;

  /** A fresh core, or one restored from the pattern parts of a snapshot. */
  constructor(
    config: AnalyzerConfig,
    snap?: AnalyzerSnapshot,
    model: CalibrationModel = BUNDLED_CALIBRATION,
  ) {
    this.config = config;
    this.model = model;
    this.opts = detectorOptions(config);
    if (snap) {
      this.pivots = PivotDetector.fromState(snap.pivots, this.opts.pivots);
      this.wyckoff = WyckoffTracker.fromState(snap.wyckoff, this.opts.wyckoff);
      this.elliott = snap.elliott;
      this.events = snap.events.slice();
      this.tests = snap.tests.map((t) => ({ ...t }));
      this.htf = HtfTrend.fromState(snap.htf, config.htf);
      this.lastSignalIndex = snap.lastSignalIndex;
      this.bars = snap.bars;
      this.lastTime = snap.lastTime;
    } else {
      this.pivots = new PivotDetector(this.opts.pivots);
      this.wyckoff = new WyckoffTracker(this.opts.wyckoff);
      this.htf = new HtfTrend(config.htf);
    }
  }

  /** Throws unless `time` is after the last bar stepped (so a rejected candle changes nothing). */
  assertAfter(time: number): void {
    if (this.lastTime !== null && !(time > this.lastTime)) {
      throw new AnalyzerError(
        `candle ${new Date(time).toISOString()} is not after the last one processed (${
          new Date(this.lastTime).toISOString()
        })`,
      );
    }
  }

  /** Processes one closed bar whose indicator values are `f`; returns the bar's signal or null. */
  step(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    f: IndicatorFrame,
  ): Signal | null {
    this.assertAfter(time);
    const index = this.bars++;
    this.lastTime = time;
    const { methods } = this.config;
    const atr = f.atr14;
    this.htf.update(time, close);

    if (methods.elliott || methods.wyckoff) {
      const changed = this.pivots.update(index, time, high, low, atr);
      if (methods.elliott) {
        if (changed) {
          const count = findElliott(this.pivots.pivots, index, this.opts.elliott);
          if (count) this.elliott = count;
        }
        const e = this.elliott;
        if (e) {
          const broken = e.direction === "short" ? high > e.invalidation : low < e.invalidation;
          if (broken || index - e.confirmedAt > this.config.elliottFreshBars) this.elliott = null;
        }
      }
      if (methods.wyckoff) {
        const b = this.bar;
        b.index = index;
        b.time = time;
        b.open = open;
        b.high = high;
        b.low = low;
        b.close = close;
        b.volume = volume;
        b.atr = atr;
        b.volumeAvg = f.volumeAvg20;
        b.emaFast = f.ema50;
        b.emaSlow = f.ema200;
        const fresh = this.wyckoff.update(b, this.pivots.pivots, changed);
        const oldest = index - this.config.wyckoffFreshBars;
        if (this.events.length && this.events[0].index < oldest) {
          this.events = this.events.filter((e) => e.index >= oldest);
          if (this.tests.length) this.tests = this.tests.filter((t) => t.index >= oldest);
        }
        for (const t of this.tests) {
          if (!t.confirmed && (t.kind === "spring" ? close > t.trigger : close < t.trigger)) {
            t.confirmed = true;
          }
        }
        for (const e of fresh) {
          this.events.push(e);
          if (e.kind === "spring" || e.kind === "upthrust") {
            const trigger = e.kind === "spring" ? high : low;
            this.tests.push({ kind: e.kind, index, trigger, confirmed: false });
          }
        }
      }
    }

    if (this.elliott === null && this.events.length === 0) return null;
    if (this.lastSignalIndex !== null && index - this.lastSignalIndex <= this.config.cooldownBars) {
      return null;
    }
    const signal = fuse(
      {
        index,
        time,
        close,
        atr,
        frame: f,
        elliott: this.elliott,
        wyckoff: this.config.requireFollowThrough ? this.testedEvents() : this.events,
        phase: this.wyckoff.phase,
        htfTrend: this.htf.trend(),
      },
      this.config,
      this.model,
    );
    if (signal) this.lastSignalIndex = index;
    return signal;
  }

  /** Fresh events whose springs and upthrusts have had their follow-through. */
  private testedEvents(): WyckoffEvent[] {
    return this.events.filter((e) =>
      (e.kind !== "spring" && e.kind !== "upthrust") ||
      this.tests.some((t) => t.index === e.index && t.kind === e.kind && t.confirmed)
    );
  }

  /** What the patterns say after the last bar (copies; for inspection and tests). */
  view(): Omit<AnalysisView, "signal" | "indicators"> {
    return {
      pivots: this.pivots.pivots.slice(),
      elliott: this.elliott,
      wyckoffEvents: this.events.slice(),
      phase: this.wyckoff.phase,
    };
  }

  /** The pattern part of a snapshot. */
  state(): Omit<AnalyzerSnapshot, "v" | "configKey" | "indicators"> {
    return {
      bars: this.bars,
      lastTime: this.lastTime,
      pivots: this.pivots.toState(),
      wyckoff: this.wyckoff.toState(),
      elliott: this.elliott,
      events: this.events.slice(),
      tests: this.tests.map((t) => ({ ...t })),
      htf: this.htf.toState(),
      lastSignalIndex: this.lastSignalIndex,
    };
  }
}

/** Checks the top-level shape of a stored snapshot (its parts validate themselves on restore). */
function checkSnapshot(snap: unknown): asserts snap is AnalyzerSnapshot {
  const bad = (why: string) => new AnalyzerError(`invalid analyzer snapshot: ${why}`);
  if (typeof snap !== "object" || snap === null) throw bad("not an object");
  const s = snap as Record<string, unknown>;
  if (s.v !== 2) throw new AnalyzerError("unsupported analyzer snapshot version");
  if (typeof s.configKey !== "string") throw bad("configKey must be a string");
  if (!Number.isSafeInteger(s.bars) || (s.bars as number) < 0) {
    throw bad("bars must be an integer >= 0");
  }
  if (s.lastTime !== null && !Number.isFinite(s.lastTime)) {
    throw bad("lastTime must be a number or null");
  }
  if ((s.bars === 0) !== (s.lastTime === null)) throw bad("bars and lastTime disagree");
  if (s.lastSignalIndex !== null && !Number.isSafeInteger(s.lastSignalIndex)) {
    throw bad("lastSignalIndex must be an integer or null");
  }
  if (!Array.isArray(s.events)) throw bad("events must be an array");
  if (
    !Array.isArray(s.tests) ||
    !s.tests.every((t) =>
      typeof t === "object" && t !== null && (t.kind === "spring" || t.kind === "upthrust") &&
      Number.isSafeInteger(t.index) && Number.isFinite(t.trigger) &&
      typeof t.confirmed === "boolean"
    )
  ) throw bad("tests must be an array of {kind, index, trigger, confirmed}");
  if (
    s.elliott !== null && (typeof s.elliott !== "object" || !Number.isFinite(
      (s.elliott as { invalidation?: unknown }).invalidation,
    ))
  ) throw bad("elliott must be a count or null");
  for (const k of ["indicators", "pivots", "wyckoff", "htf"]) {
    if (typeof s[k] !== "object" || s[k] === null) throw bad(`${k} state missing`);
  }
}

/**
 * Streaming analyzer: `update(candle)` returns the signal for that candle (or null). Amortised O(1)
 * per candle; what it says at bar t depends only on candles ≤ t.
 *
 * @example
 * const a = new StreamingAnalyzer(parseAnalyzerConfig({ minConfidence: 0.7 }));
 * for (const c of candles) { const s = a.update(c); if (s) console.log(s.direction, s.entry); }
 * const saved = JSON.stringify(a.snapshot()); // store it, later: StreamingAnalyzer.restore(JSON.parse(saved), config)
 */
export class StreamingAnalyzer {
  private readonly core: AnalyzerCore;
  private readonly indicators: IndicatorSet;
  private lastFrame = {} as IndicatorFrame;

  /**
   * A new analyzer with `config` (defaults when omitted); `model` is the calibration model (the
   * bundled one unless given).
   */
  constructor(
    config: AnalyzerConfig = DEFAULT_ANALYZER_CONFIG,
    snap?: AnalyzerSnapshot,
    model: CalibrationModel = BUNDLED_CALIBRATION,
  ) {
    this.core = new AnalyzerCore(config, snap, model);
    this.indicators = snap ? IndicatorSet.fromState(snap.indicators) : new IndicatorSet();
  }

  /**
   * Restores an analyzer from {@link snapshot} output; throws {@link AnalyzerError} if it is damaged
   * or was made with other settings (or another calibration model).
   */
  static restore(
    snap: AnalyzerSnapshot,
    config: AnalyzerConfig,
    model: CalibrationModel = BUNDLED_CALIBRATION,
  ): StreamingAnalyzer {
    checkSnapshot(snap);
    if (snap.configKey !== configKey(config, model.id)) {
      throw new AnalyzerError("analyzer snapshot was made with different settings; start afresh");
    }
    try {
      return new StreamingAnalyzer(config, snap, model);
    } catch (e) {
      throw new AnalyzerError(`invalid analyzer snapshot: ${(e as Error).message}`);
    }
  }

  /** The settings this analyzer runs with. */
  get config(): AnalyzerConfig {
    return this.core.config;
  }

  /** The calibration model behind its confidence and evidence. */
  get model(): CalibrationModel {
    return this.core.model;
  }

  /** Number of candles processed. */
  get bars(): number {
    return this.core.bars;
  }

  /** Open time of the last candle processed, or null. */
  get lastTime(): number | null {
    return this.core.lastTime;
  }

  /** Feeds one closed candle. */
  update(c: Candle): Signal | null {
    return this.updateBar(c.openTime, c.open, c.high, c.low, c.close, c.volume);
  }

  /** Feeds one closed candle given as numbers (no allocation). */
  updateBar(
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
  ): Signal | null {
    this.core.assertAfter(time);
    const f = this.indicators.update(time, high, low, close, volume);
    this.lastFrame = f;
    return this.core.step(time, open, high, low, close, volume, f);
  }

  /** The state after the last candle, with the given signal (what {@link analyzeWindow} returns). */
  view(signal: Signal | null): AnalysisView {
    return { signal, indicators: { ...this.lastFrame }, ...this.core.view() };
  }

  /** The whole state as JSON-safe data (bounded size). */
  snapshot(): AnalyzerSnapshot {
    return {
      v: 2,
      configKey: configKey(this.core.config, this.core.model.id),
      indicators: this.indicators.toState(),
      ...this.core.state(),
    };
  }
}

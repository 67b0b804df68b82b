/**
 * The analysis step of the live pipeline: for a batch of series, load the stored analyzer state and
 * the candles after it (one `load_series` round trip per page), advance the streaming analyzer,
 * and save states and signals atomically (one `save_analysis`). Idempotent: a repeated, concurrent
 * or out-of-order call changes nothing (the database applies a state only from the one it was
 * loaded from, in the same series epoch). A missing state, one made with other settings, or one
 * from before a late candle is rebuilt from the series' first stored candle, so the live signals are
 * exactly those the offline `signals` CLI emits over the same candles.
 */

import { AnalyzerError, type StreamingAnalyzer } from "../../../shared/signals/analyzer.ts";
import { advance } from "../../../shared/signals/advance.ts";
import type { AnalyzerConfig } from "../../../shared/signals/config.ts";
import type { Signal } from "../../../shared/signals/types.ts";
import {
  loadSeries,
  saveAnalysis,
  type SeriesKey,
  seriesName,
  type StateToSave,
  wake,
} from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";

/** Limits of one call. */
export interface AnalyzeLimits {
  /** Series loaded per round trip (default 20). */
  seriesPerBatch: number;
  /** Candles per series per page (default 5,000). */
  pageSize: number;
  /** Candles analysed per call before the rest is handed to a new call (default 250,000). */
  candleBudget: number;
}

/** Default {@link AnalyzeLimits}: within Supabase's 2 s CPU per call with margin. */
export const DEFAULT_LIMITS: AnalyzeLimits = {
  seriesPerBatch: 20,
  pageSize: 5000,
  candleBudget: 250_000,
};

/** What happened to one series. */
export interface SeriesOutcome extends SeriesKey {
  /** Candles fed to the analyzer in this call. */
  candles: number;
  /** Signals newly stored. */
  signalIds: number[];
  /** True when the state was (re)built from the series' first candle. */
  rebuilt: boolean;
  /** saved: state advanced; idle: nothing new; lost-race: another call saved first or the epoch ended. */
  result: "saved" | "idle" | "lost-race";
  /** True when candles remain beyond this call's budget (a continuation wake-up was sent). */
  continued: boolean;
}

interface Work {
  key: SeriesKey;
  started: boolean;
  /** Next page: continue after this open time; undefined = from the stored state. */
  after?: number;
  analyzer: StreamingAnalyzer | null;
  epoch: number;
  expected: number | null;
  rebuilt: boolean;
  fed: number;
  signals: Signal[];
  done: boolean;
  abandoned: boolean;
}

/**
 * Analyses `keys` (duplicates ignored) with `config`, within `limits`. Returns one outcome per
 * series. Database errors propagate (the call fails and the sweep retries it later).
 */
export async function analyzeSeriesBatch(
  deps: Deps,
  keys: readonly SeriesKey[],
  config: AnalyzerConfig,
  limits: AnalyzeLimits = DEFAULT_LIMITS,
): Promise<SeriesOutcome[]> {
  const unique = [...new Map(keys.map((k) => [seriesName(k), k])).values()];
  const outcomes: SeriesOutcome[] = [];
  const leftover: SeriesKey[] = [];
  let used = 0;
  for (let i = 0; i < unique.length; i += limits.seriesPerBatch) {
    const batch = unique.slice(i, i + limits.seriesPerBatch);
    if (used >= limits.candleBudget) {
      leftover.push(...batch);
      for (const key of batch) outcomes.push(notReached(key));
      continue;
    }
    const work: Work[] = batch.map((key) => ({
      key,
      started: false,
      analyzer: null,
      epoch: 0,
      expected: null,
      rebuilt: false,
      fed: 0,
      signals: [],
      done: false,
      abandoned: false,
    }));
    while (used < limits.candleBudget) {
      const active = work.filter((w) => !w.done);
      if (active.length === 0) break;
      const pages = await loadSeries(
        deps.sql,
        active.map((w) => ({ ...w.key, after: w.after })),
        limits.pageSize,
      );
      const byName = new Map(pages.map((p) => [seriesName(p), p]));
      for (const w of active) {
        const page = byName.get(seriesName(w.key));
        if (!page) {
          w.done = true;
          continue;
        }
        if (!w.started) {
          w.started = true;
          w.epoch = page.epoch;
          w.expected = page.lastOpenTime;
          if (page.snapshot === null) w.rebuilt = true;
        } else if (page.epoch !== w.epoch) {
          // A late candle arrived while paging: this run's result would be stale. The next call rebuilds.
          w.done = w.abandoned = true;
          continue;
        }
        try {
          const step = advance(w.analyzer ?? page.snapshot, page.candles, config);
          w.analyzer = step.analyzer;
          for (const s of step.signals) w.signals.push(s);
        } catch (e) {
          if (!(e instanceof AnalyzerError) || w.fed > 0 || w.after !== undefined) throw e;
          // The stored snapshot is damaged or was made with other settings: start again from the first candle.
          deps.log.info("rebuilding analyzer state", {
            series: seriesName(w.key),
            reason: e.message,
          });
          w.after = -1;
          w.rebuilt = true;
          w.analyzer = null;
          continue;
        }
        const n = page.candles.length;
        w.fed += n;
        used += n;
        if (n > 0) w.after = page.candles.openTime[n - 1];
        w.done = !page.more;
      }
    }
    const states: StateToSave[] = [];
    for (const w of work) {
      const last = w.analyzer?.lastTime ?? null;
      if (w.abandoned || w.fed === 0 || w.analyzer === null || last === null) continue;
      states.push({
        ...w.key,
        snapshot: w.analyzer.snapshot(),
        epoch: w.epoch,
        expectedLastOpenTime: w.expected,
        lastOpenTime: last,
        signals: w.signals,
      });
    }
    const saved = new Map((await saveAnalysis(deps.sql, states)).map((r) => [seriesName(r), r]));
    for (const w of work) {
      const r = saved.get(seriesName(w.key));
      const continued = !w.done && !w.abandoned;
      if (continued) leftover.push(w.key);
      outcomes.push({
        ...w.key,
        candles: w.fed,
        signalIds: r?.signalIds ?? [],
        rebuilt: w.rebuilt && w.fed > 0,
        result: r ? (r.applied ? "saved" : "lost-race") : w.abandoned ? "lost-race" : "idle",
        continued,
      });
    }
  }
  if (leftover.length > 0) {
    // Out of budget: hand the rest to a fresh call through the same signed wake-up path.
    await wake(deps.sql, "analyze", {
      reason: "continue",
      series: leftover.map((k) => ({ symbol: k.symbol, timeframe: k.interval })),
    });
  }
  return outcomes;
}

function notReached(key: SeriesKey): SeriesOutcome {
  return { ...key, candles: 0, signalIds: [], rebuilt: false, result: "idle", continued: true };
}

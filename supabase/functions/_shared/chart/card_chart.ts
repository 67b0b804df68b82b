/**
 * The chart of a stored signal, as Discord cards carry it (discord-notify's cards and the
 * /lastsignal answer): the signal's candles are loaded from the database up to and including the
 * signal bar (never a later one), the stored signal is handed to the renderer in the field names it
 * reads, and the PNG comes back (or why there is none). Never throws.
 */

import { INTERVAL_MS } from "../../../../shared/candles/intervals.ts";
import { DEFAULT_MAX_BARS } from "../../../../shared/chart/layout.ts";
import type { ChartOptions, ChartSignal, ChartThemeName } from "../../../../shared/chart/types.ts";
import type { WyckoffEvent, WyckoffPhase } from "../../../../shared/patterns/types.ts";
import { type CandleRange, type CardSignal, loadCandles } from "../db_api.ts";
import type { Sql } from "../deps.ts";
import { errorLine } from "../log.ts";
import { type ChartRender, renderSignalChart } from "./render_png.ts";

/** Most candles loaded for one chart (200 shown plus a count or range that starts earlier). */
export const MAX_CHART_CANDLES = 5000;

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v as Json : null;
}

const PHASES = new Set(["accumulation", "markup", "distribution", "markdown", "undetermined"]);

/**
 * The stored signal (`CardSignal`: `openTime`, levels, `patterns` as JSON) in the renderer's terms
 * (`ChartSignal`: `time` = the signal bar's open time in ms). Missing pattern parts become "none"
 * (no count, no events, phase undetermined); the renderer checks the prices.
 */
export function chartSignalOf(card: CardSignal): ChartSignal {
  const p = obj(card.patterns) ?? {};
  const elliott = obj(p.elliott);
  const phase = typeof p.phase === "string" && PHASES.has(p.phase)
    ? p.phase as WyckoffPhase
    : "undetermined";
  return {
    time: card.openTime,
    direction: card.direction,
    entry: card.entry,
    stopLoss: card.stopLoss,
    takeProfits: card.takeProfits,
    confidence: card.confidence,
    patterns: {
      elliott: elliott && Array.isArray(elliott.waves)
        ? elliott as unknown as ChartSignal["patterns"]["elliott"]
        : null,
      wyckoff: Array.isArray(p.wyckoff)
        ? (p.wyckoff as unknown[]).filter((e) => obj(e) !== null) as WyckoffEvent[]
        : [],
      phase,
    },
  };
}

/**
 * The candles a chart of `signal` needs: the newest {@link DEFAULT_MAX_BARS} up to and including
 * the signal bar (the most a chart shows), and back to the oldest Wyckoff event when one is older
 * (its trading range is drawn from the event's bar even when the event itself is off the chart), at
 * most {@link MAX_CHART_CANDLES}. Never a candle after the signal bar.
 */
export function chartCandleRange(card: CardSignal, signal: ChartSignal): CandleRange {
  const times = signal.patterns.wyckoff.map((e) => e.time)
    .filter((t) => Number.isFinite(t) && t < card.openTime);
  const barMs = INTERVAL_MS[card.interval];
  const back = times.length ? Math.ceil((card.openTime - Math.min(...times)) / barMs) + 1 : 0;
  return {
    toTime: card.openTime,
    maxRows: Math.min(MAX_CHART_CANDLES, Math.max(DEFAULT_MAX_BARS, back)),
  };
}

/**
 * Renders the chart of a stored signal (see the module doc) in `theme`: one `api.load_candles` call
 * and {@link renderSignalChart}; `confidence` is what the signal's confidence is (the title's label).
 * Resolves `{ ok: false, error }` (one line) when the database fails,
 * when the signal bar's candle is not stored, or when the renderer refuses the input; never throws.
 */
export async function renderCardChart(
  sql: Sql,
  card: CardSignal,
  theme: ChartThemeName,
  confidence: ChartOptions["confidence"] = "probability",
): Promise<ChartRender> {
  try {
    const signal = chartSignalOf(card);
    const candles = await loadCandles(sql, card, chartCandleRange(card, signal));
    if (candles.length === 0) {
      return { ok: false, error: `no ${card.symbol} ${card.interval} candles are stored` };
    }
    return await renderSignalChart(
      { symbol: card.symbol, interval: card.interval, candles, signal },
      { theme, confidence },
    );
  } catch (e) {
    return { ok: false, error: errorLine(e) };
  }
}

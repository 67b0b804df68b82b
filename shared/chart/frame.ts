/**
 * The chart's frame: which candles are shown (never any after the signal bar), where each pattern
 * point falls among them, and the price range the plot must cover. Pure.
 */

import type { CandleSeries } from "../candles/types.ts";
import type { TradingRange, WyckoffEvent } from "../patterns/types.ts";
import { ChartError, type ChartInput } from "./types.ts";

/** The candles shown: input rows `start`..`end` inclusive, `end` being the signal bar. */
export interface ChartFrame {
  start: number;
  end: number;
  /** Number of candles shown (end − start + 1). */
  bars: number;
}

/** Index of the candle opening at `time` in `candles` (ascending open times), or -1. */
export function indexOfTime(candles: CandleSeries, time: number): number {
  const t = candles.openTime;
  let lo = 0;
  let hi = candles.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < time) lo = mid + 1;
    else if (t[mid] > time) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/**
 * Row of `candles` where an event's trading range starts: the event's row minus the bars between
 * the range's first pivot and the event (both counted in the analyzer's bar indices), or null when
 * the event carries no range or its row is not among the candles.
 */
export function rangeStartRow(candles: CandleSeries, e: WyckoffEvent): number | null {
  if (!e.range) return null;
  const row = indexOfTime(candles, e.time);
  if (row < 0) return null;
  return row - (e.index - e.range.startIndex);
}

/** The range drawn: the one of the most recent event that carries a range (null if none). */
export function latestRange(
  events: readonly WyckoffEvent[],
): WyckoffEvent & { range: TradingRange } | null {
  for (let k = events.length - 1; k >= 0; k--) {
    const e = events[k];
    if (e.range) return e as WyckoffEvent & { range: TradingRange };
  }
  return null;
}

/**
 * Chooses the candles to show: the signal bar and the `minBars` − 1 before it, extended back to
 * three bars before the oldest pattern point (Elliott wave 0, Wyckoff range start) but never to
 * more than `maxBars` bars. Throws {@link ChartError} when the signal bar is not among the candles.
 */
export function chooseFrame(input: ChartInput, minBars: number, maxBars: number): ChartFrame {
  const { candles, signal } = input;
  const end = indexOfTime(candles, signal.time);
  if (end < 0) {
    throw new ChartError(
      `the signal bar ${new Date(signal.time).toISOString()} is not among the candles`,
    );
  }
  let oldest = end - minBars + 1;
  const waves = signal.patterns.elliott?.waves ?? [];
  for (const w of waves) {
    const row = indexOfTime(candles, w.time);
    if (row >= 0 && row <= end) oldest = Math.min(oldest, row - 3);
  }
  const ranged = latestRange(signal.patterns.wyckoff);
  if (ranged) {
    const row = rangeStartRow(candles, ranged);
    if (row !== null && row <= end) oldest = Math.min(oldest, row - 3);
  }
  const start = Math.max(0, oldest, end - maxBars + 1);
  return { start, end, bars: end - start + 1 };
}

/** Lowest low and highest high of the shown candles. */
export function candleExtent(candles: CandleSeries, f: ChartFrame): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = f.start; i <= f.end; i++) {
    if (candles.low[i] < lo) lo = candles.low[i];
    if (candles.high[i] > hi) hi = candles.high[i];
  }
  return { lo, hi };
}

/** Throws {@link ChartError} unless every price the chart draws is finite and positive. */
export function checkPrices(input: ChartInput, f: ChartFrame): void {
  const s = input.signal;
  const named: [string, number][] = [
    ["entry", s.entry],
    ["stop loss", s.stopLoss],
    ["TP1", s.takeProfits[0]],
    ["TP2", s.takeProfits[1]],
    ["TP3", s.takeProfits[2]],
  ];
  if (s.patterns.elliott) named.push(["invalidation", s.patterns.elliott.invalidation]);
  for (const [name, v] of named) {
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new ChartError(`${name} must be a finite price > 0 (got ${v})`);
    }
  }
  const c = input.candles;
  for (let i = f.start; i <= f.end; i++) {
    if (!(c.low[i] > 0 && c.high[i] >= c.low[i] && Number.isFinite(c.high[i]))) {
      throw new ChartError(`candle ${new Date(c.openTime[i]).toISOString()} has bad prices`);
    }
  }
}

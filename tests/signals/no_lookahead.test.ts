/**
 * No look-ahead, no repaint, on real data: for BTCUSDT 1h 2024, at every bar where either run (streaming
 * over the year, or batch over the year) emits a signal and at 500 other bars spread over the year, the
 * batch analysis of candles[0..t] equals what the streaming analyzer fed the whole year knew at bar t.
 */

import { deepEqual as assertEquals } from "node:assert/strict";
import { sliceSeries } from "../../shared/candles/series.ts";
import { type AnalysisView, StreamingAnalyzer } from "../../shared/signals/analyzer.ts";
import { analyzeBatch, analyzeWindow } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

const series = fixtureSeries("BTCUSDT-1h-2024.json");
const n = series.length;

/** The streaming analyzer's view at every bar, from one uninterrupted run over the year. */
function streamViews(): { views: AnalysisView[]; signalBars: number[] } {
  const a = new StreamingAnalyzer();
  const views: AnalysisView[] = [];
  const signalBars: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = a.updateBar(
      series.openTime[i],
      series.open[i],
      series.high[i],
      series.low[i],
      series.close[i],
      series.volume[i],
    );
    if (s) signalBars.push(i);
    views.push(a.view(s));
  }
  return { views, signalBars };
}

Deno.test("batch over the whole year emits exactly the streaming signals", () => {
  const { views, signalBars } = streamViews();
  const batch = analyzeBatch(series);
  assertEquals(batch.map((s) => s.index), signalBars);
  assertEquals(batch, signalBars.map((i) => views[i].signal));
});

Deno.test("analyzeWindow(candles[0..t]) equals the streaming analyzer at t, BTCUSDT 1h 2024", () => {
  const { views, signalBars } = streamViews();
  if (signalBars.length === 0) throw new Error("no signal in a year: the test would prove nothing");
  const bars = new Set<number>(signalBars);
  for (const s of analyzeBatch(series)) bars.add(s.index);
  for (let k = 0; k < 500; k++) bars.add(Math.floor(((k + 0.5) * n) / 500));
  for (const t of [...bars].sort((x, y) => x - y)) {
    const w = analyzeWindow(sliceSeries(series, 0, t + 1));
    assertEquals(w, views[t], `bar ${t} (${new Date(series.openTime[t]).toISOString()})`);
  }
});

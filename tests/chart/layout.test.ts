/**
 * The chart layout: readable prices from 1e-8 to 1e6, nice ticks, tags that never overlap, no label
 * overlapping another on any real signal, and nothing read past the signal bar.
 */

import {
  deepEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { sliceSeries } from "../../shared/candles/series.ts";
import type { CandleSeries } from "../../shared/candles/types.ts";
import { boxesOverlap, stackLabels } from "../../shared/chart/label_layout.ts";
import { layoutSignalChart } from "../../shared/chart/layout.ts";
import {
  decimalsForLevels,
  decimalsForStep,
  formatPrice,
} from "../../shared/chart/price_format.ts";
import { sceneToSvg } from "../../shared/chart/svg.ts";
import { priceTicks, timeTicks } from "../../shared/chart/ticks.ts";
import { ChartError, type ChartInput } from "../../shared/chart/types.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

Deno.test("prices at 1e5 get thousands separators; at 1e-5 the 8 decimals Binance quotes; never exponents", () => {
  assertEquals(formatPrice(104512.3, decimalsForLevels([104512.3, 101000])), "104,512.30");
  assertEquals(formatPrice(3456.78, decimalsForLevels([3456.78])), "3,456.78");
  assertEquals(formatPrice(0.000012341, decimalsForLevels([0.000012341])), "0.00001234");
  assertEquals(formatPrice(1234567.5, 0), "1,234,568");
  assertEquals(formatPrice(0.5, 2), "0.50");
  assertEquals(formatPrice(-1234.5, 1), "-1,234.5");
  assertEquals(decimalsForStep(0.0025), 4);
  assertEquals(decimalsForStep(500), 0);
  assertEquals(decimalsForStep(0.1 + 0.2), 1);
  assert(!formatPrice(1e-8, decimalsForLevels([1e-8])).includes("e"));
});

Deno.test("price ticks are 1, 2, 2.5 or 5 times a power of ten and cover the range", () => {
  for (const [lo, hi] of [[0.0000181, 0.0000203], [89000, 101000], [185.2, 201.9], [1, 1.0004]]) {
    const { step, ticks } = priceTicks(lo, hi, 6);
    const m = step / 10 ** Math.floor(Math.log10(step));
    assert([1, 2, 2.5, 5].some((n) => Math.abs(m - n) < 1e-9), `step ${step}`);
    assert(ticks.length >= 3 && ticks.length <= 13, `${ticks.length} ticks for ${lo}..${hi}`);
    assert(ticks[0] >= lo && ticks[ticks.length - 1] <= hi);
    // Every tick label differs from its neighbours at the decimals the step needs.
    const labels = ticks.map((t) => formatPrice(t, decimalsForStep(step)));
    assertEquals(new Set(labels).size, labels.length);
  }
});

Deno.test("time labels fall on calendar steps and keep their distance", () => {
  const hour = 3_600_000;
  const times = Array.from({ length: 200 }, (_, i) => Date.UTC(2024, 2, 1) + i * hour);
  const ticks = timeTicks(times, 3.5);
  assert(ticks.length >= 3);
  for (let i = 1; i < ticks.length; i++) assert((ticks[i].index - ticks[i - 1].index) * 3.5 >= 90);
  for (const t of ticks) assertEquals(times[t.index] % (12 * hour), 0);
});

Deno.test("stacked tags never overlap, stay inside and keep their order", () => {
  const wanted = [100, 101, 99, 300, 302, 10, 395];
  const ys = stackLabels(wanted, 15, 2, 0, 400);
  const order = wanted.map((_, i) => i).sort((a, b) => wanted[a] - wanted[b] || a - b);
  for (let k = 1; k < order.length; k++) assert(ys[order[k]] - ys[order[k - 1]] >= 17 - 1e-9);
  for (const y of ys) assert(y >= 7.5 && y <= 392.5);
  // A tag with room stays where it wants to be.
  assertEquals(stackLabels([200], 15, 2, 0, 400), [200]);
});

function scaled(s: CandleSeries, k: number): CandleSeries {
  const m = (a: Float64Array) => a.map((x) => x * k);
  return { ...s, open: m(s.open), high: m(s.high), low: m(s.low), close: m(s.close) };
}

const CASES: [string, string, string, number][] = [
  ["BTCUSDT-1h-2024.json", "BTCUSDT", "1h", 1],
  ["ETHUSDT-1h-2024H1.json", "ETHUSDT", "1h", 1],
  ["SOLUSDT-15m-2025W02-W07.json", "SOLUSDT", "15m", 1],
  ["BTCUSDT-4h-2023-2024.json", "BTCUSDT", "4h", 1],
  ["BTCUSDT-1d-2020-2025.json", "BTCUSDT", "1d", 1],
  ["SOLUSDT-1h-2024H1.json", "TINYUSDT", "1h", 1e-7],
  ["ETHUSDT-15m-2025W02-W07.json", "BIGUSDT", "15m", 50],
];

Deno.test("no label overlaps another and every label is inside the image, on every signal of the fixtures", () => {
  let charts = 0;
  for (const [file, symbol, interval, k] of CASES) {
    const series = k === 1 ? fixtureSeries(file) : scaled(fixtureSeries(file), k);
    for (const signal of analyzeSeries(series)) {
      for (const theme of ["light", "dark"] as const) {
        const input = { symbol, interval, candles: series, signal };
        const scene = layoutSignalChart(input, { theme });
        charts++;
        const where = `${symbol} ${interval} ${new Date(signal.time).toISOString()}`;
        const boxes = scene.labels;
        for (let i = 0; i < boxes.length; i++) {
          const b = boxes[i];
          assert(
            b.x >= 0 && b.y >= 0 && b.x + b.w <= scene.width && b.y + b.h <= scene.height,
            `${where}: label ${JSON.stringify(b)} outside the image`,
          );
          for (let j = i + 1; j < boxes.length; j++) {
            assert(
              !boxesOverlap(b, boxes[j]),
              `${where}: labels ${JSON.stringify(b)} and ${JSON.stringify(boxes[j])} overlap`,
            );
          }
        }
      }
    }
  }
  assert(charts > 300, `only ${charts} charts`);
});

Deno.test("the layout reads nothing after the signal bar: full series and series cut at the bar give the same SVG", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const signals = analyzeSeries(series);
  assert(signals.length > 50);
  for (const signal of signals) {
    const full: ChartInput = { symbol: "BTCUSDT", interval: "1h", candles: series, signal };
    const cut = { ...full, candles: sliceSeries(series, 0, signal.index + 1) };
    assertEquals(sceneToSvg(layoutSignalChart(full)), sceneToSvg(layoutSignalChart(cut)));
  }
});

Deno.test("bad chart input is a ChartError naming the problem", () => {
  const series = fixtureSeries("BTCUSDT-4h-2021Q1.json");
  const signal = analyzeSeries(series)[0];
  const input: ChartInput = { symbol: "BTCUSDT", interval: "4h", candles: series, signal };
  assertThrows(
    () => layoutSignalChart({ ...input, candles: sliceSeries(series, 0, signal.index) }),
    (e) => e instanceof ChartError && /signal bar .* is not among the candles/.test(e.message),
  );
  assertThrows(
    () => layoutSignalChart({ ...input, signal: { ...signal, stopLoss: NaN } }),
    (e) => e instanceof ChartError && /stop loss must be a finite price/.test(e.message),
  );
});

Deno.test("text in the SVG is escaped", () => {
  const series = fixtureSeries("BTCUSDT-4h-2021Q1.json");
  const signal = analyzeSeries(series)[0];
  const svg = sceneToSvg(
    layoutSignalChart({ symbol: "<A&B>", interval: "4h", candles: series, signal }),
  );
  assert(svg.includes("&#60;A&#38;B&#62;") && !svg.includes("<A&B>"));
});

Deno.test("the title says what the confidence is: the chance of TP1 by default, a score when the settings say so", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const signal = analyzeSeries(series).at(-1)!;
  const input: ChartInput = {
    symbol: "BTCUSDT",
    interval: "1h",
    candles: sliceSeries(series, 0, signal.index + 1),
    signal,
  };
  const title = (confidence?: "probability" | "score") =>
    layoutSignalChart(input, confidence ? { confidence } : {}).shapes
      .flatMap((s) => s.kind === "text" ? [s.text] : [])
      .filter((t) => t.includes(`${Math.round(signal.confidence * 100)}%`));
  const pct = `${Math.round(signal.confidence * 100)}%`;
  assert(title().some((t) => t.startsWith(`TP1 chance ${pct}`)), title().join(" | "));
  assertEquals(title("probability"), title());
  assert(title("score").some((t) => t.startsWith(`score ${pct}`)), title("score").join(" | "));
  assert(!title("score").some((t) => t.includes("TP1 chance")));
});

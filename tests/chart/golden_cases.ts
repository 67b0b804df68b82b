/**
 * The signals whose charts are kept as golden images in tests/fixtures/chart/ (real data; one case
 * rescales BTCUSDT to a 1e-5 price to keep tiny prices readable). Shared by the golden-image test and
 * `deno task chart:golden`, which rewrites the images.
 */

import type { CandleSeries } from "../../shared/candles/types.ts";
import type { ChartInput, ChartThemeName } from "../../shared/chart/types.ts";
import { sliceSeries } from "../../shared/candles/series.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

/** One golden chart: a fixture, the signal bar's open time, a theme and an optional price scale. */
export interface GoldenCase {
  name: string;
  fixture: string;
  symbol: string;
  interval: string;
  /** Open time of the signal bar (ms). */
  at: number;
  theme: ChartThemeName;
  /** Multiplies every price (the analyzer is scale-free, so the same signal appears). */
  scale?: number;
}

export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: "btcusdt-1h-abc-sow-light",
    fixture: "BTCUSDT-1h-2024.json",
    symbol: "BTCUSDT",
    interval: "1h",
    at: Date.UTC(2024, 11, 26, 10),
    theme: "light",
  },
  {
    name: "ethusdt-1h-abc-spring-dark",
    fixture: "ETHUSDT-1h-2024H1.json",
    symbol: "ETHUSDT",
    interval: "1h",
    at: Date.UTC(2024, 0, 22, 6),
    theme: "dark",
  },
  {
    name: "btcusdt-1h-impulse-light",
    fixture: "BTCUSDT-1h-2024.json",
    symbol: "BTCUSDT",
    interval: "1h",
    at: Date.UTC(2024, 0, 19, 19),
    theme: "light",
  },
  {
    name: "tiny-price-1h-sos-dark",
    fixture: "BTCUSDT-1h-2024.json",
    symbol: "PEPEUSDT",
    interval: "1h",
    at: Date.UTC(2024, 11, 15, 12),
    theme: "dark",
    scale: 1.9e-10,
  },
];

function scaled(s: CandleSeries, k: number): CandleSeries {
  const m = (a: Float64Array) => a.map((x) => x * k);
  return { ...s, open: m(s.open), high: m(s.high), low: m(s.low), close: m(s.close) };
}

/**
 * The settings the cases were chosen with (the analyzer's defaults before issue 10: heuristic
 * score, ATR stops, no trend filter), so the images keep showing the same signals.
 */
export const GOLDEN_CONFIG = parseAnalyzerConfig({
  confidence: "score",
  stopMode: "atr",
  trendFilter: "off",
  minConfidence: 0.6,
});

/** The chart input of a case: its fixture analyzed, the signal at `at`, candles up to it. */
export function goldenInput(c: GoldenCase): ChartInput {
  const full = fixtureSeries(c.fixture);
  const series = c.scale ? scaled(full, c.scale) : full;
  const signal = analyzeSeries(series, GOLDEN_CONFIG).find((s) => s.time === c.at);
  if (!signal) throw new Error(`${c.name}: no signal at ${new Date(c.at).toISOString()}`);
  return {
    symbol: c.symbol,
    interval: c.interval,
    candles: sliceSeries(series, 0, signal.index + 1),
    signal,
  };
}

/** Path of a case's golden PNG. */
export function goldenPath(c: GoldenCase): string {
  return new URL(`../fixtures/chart/${c.name}.png`, import.meta.url).pathname;
}

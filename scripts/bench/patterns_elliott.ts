/**
 * Benchmark and census of the pivot detector and the Elliott counter. Prints:
 * throughput (candles/s) of the zigzag and fractal detectors alone and with findElliott run on each
 * pivot change, over a long series tiled from real BTCUSDT 1h data; and how many impulses and
 * corrections the defaults find on each real fixture.
 *
 * Usage: deno run --allow-read scripts/bench/patterns_elliott.ts [--candles 2000000] [--runs 5]
 */

import { parseArgs } from "node:util";
import { atr } from "../../shared/indicators/atr.ts";
import { findElliott } from "../../shared/patterns/elliott.ts";
import { PivotDetector, type PivotOptions } from "../../shared/patterns/pivots.ts";
import type { CandleSeries } from "../../shared/candles/types.ts";
import { fixtureSeries } from "../../tests/support/fixtures.ts";
import { tiledSeries } from "./tiled.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    candles: { type: "string", default: "2000000" },
    runs: { type: "string", default: "5" },
  },
});
const length = Number(values.candles), runs = Number(values.runs);
if (!(length > 0) || !(runs > 0)) {
  console.error("usage: patterns_elliott.ts [--candles N] [--runs N] (positive integers)");
  Deno.exit(2);
}

/** One pass over the series; returns [pivot changes, counts]. */
function pass(s: CandleSeries, a: Float64Array, opts: Partial<PivotOptions>, elliott: boolean) {
  const d = new PivotDetector(opts);
  const { openTime, high, low } = s;
  let changes = 0, counts = 0;
  for (let i = 0; i < s.length; i++) {
    if (d.update(i, openTime[i], high[i], low[i], a[i])) {
      changes++;
      if (elliott && findElliott(d.pivots, i) !== null) counts++;
    }
  }
  return [changes, counts];
}

const series = tiledSeries(length);
const a = atr(series.high, series.low, series.close, 14);
console.log(`pivots + Elliott throughput over ${length} candles (best of ${runs} runs):`);
for (const mode of ["zigzag", "fractal"] as const) {
  for (const elliott of [false, true]) {
    let best = Infinity, changes = 0, counts = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      [changes, counts] = pass(series, a, { mode }, elliott);
      best = Math.min(best, performance.now() - t0);
    }
    const rate = (length / (best / 1000) / 1e6).toFixed(2);
    const what = elliott ? "detector + findElliott" : "detector only         ";
    console.log(
      `  ${mode.padEnd(7)} ${what} ${rate} M candles/s  (${best.toFixed(1)} ms, ` +
        `${changes} pivot changes, ${elliott ? counts + " counts" : "-"})`,
    );
  }
}

console.log(
  "\nElliott counts, default options (zigzag 2.5 x ATR(14) / fractal k = 5; minScore 0.5):",
);
for (
  const entry of [...Deno.readDirSync(new URL("../../tests/fixtures/binance/", import.meta.url))]
    .map((e) => e.name).filter((n) => n.endsWith(".json")).sort()
) {
  const s = fixtureSeries(entry);
  const sa = atr(s.high, s.low, s.close, 14);
  for (const mode of ["zigzag", "fractal"] as const) {
    const d = new PivotDetector({ mode });
    let imp = 0, cor = 0, pivots = 0, scoreSum = 0;
    for (let i = 0; i < s.length; i++) {
      if (!d.update(i, s.openTime[i], s.high[i], s.low[i], sa[i])) continue;
      pivots++;
      const c = findElliott(d.pivots, i);
      if (c === null) continue;
      if (c.kind === "impulse") imp++;
      else cor++;
      scoreSum += c.score;
    }
    const mean = imp + cor > 0 ? (scoreSum / (imp + cor)).toFixed(2) : "-";
    console.log(
      `  ${entry.padEnd(32)} ${mode.padEnd(7)} ${String(s.length).padStart(5)} bars  ` +
        `${String(pivots).padStart(5)} pivot changes  ${String(imp).padStart(3)} impulses  ` +
        `${String(cor).padStart(3)} corrections  mean score ${mean}`,
    );
  }
}

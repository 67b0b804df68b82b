/**
 * Analyzer benchmark: streaming throughput over 1,000,000 real-data candles, analyzeWindow latency on
 * 500 candles (p50/p99), snapshot size, peak memory, and signals per month on every bundled fixture.
 */

import { sliceSeries } from "../../shared/candles/series.ts";
import { StreamingAnalyzer } from "../../shared/signals/analyzer.ts";
import { analyzeSeries, analyzeWindow } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../../tests/support/fixtures.ts";
import { tiledSeries } from "./tiled.ts";

/** Peak resident memory of this process in MB (Linux VmHWM), or NaN elsewhere. */
export function peakRssMb(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs the analyzer benchmarks and returns the figures (also printed by `deno task bench`). */
export function benchAnalyzer(): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  const n = 1_000_000;
  const big = tiledSeries(n);
  const runs: number[] = [];
  let snapshotBytes = 0;
  for (let r = 0; r < 3; r++) {
    const a = new StreamingAnalyzer();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      a.updateBar(
        big.openTime[i],
        big.open[i],
        big.high[i],
        big.low[i],
        big.close[i],
        big.volume[i],
      );
    }
    runs.push(performance.now() - t0);
    snapshotBytes = JSON.stringify(a.snapshot()).length;
  }
  const ms = median(runs);
  out["streaming analyzer, 1M candles (ms, median of 3)"] = Math.round(ms);
  out["streaming analyzer (candles/s)"] = Math.round(n / (ms / 1000));
  out["snapshot size after 1M candles (bytes of JSON)"] = snapshotBytes;

  const src = fixtureSeries("BTCUSDT-1h-2024.json");
  const times: number[] = [];
  for (let k = 0; k < 200; k++) analyzeWindow(sliceSeries(src, k, k + 500)); // warm-up
  for (let k = 0; k + 500 <= src.length; k += 4) {
    const w = sliceSeries(src, k, k + 500);
    const t0 = performance.now();
    analyzeWindow(w);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  out["analyzeWindow(500 candles) calls"] = times.length;
  out["analyzeWindow p50 (ms)"] = Number(percentile(times, 0.5).toFixed(3));
  out["analyzeWindow p99 (ms)"] = Number(percentile(times, 0.99).toFixed(3));
  out["peak RSS (MB)"] = Math.round(peakRssMb());
  return out;
}

/** Signals per month for each bundled fixture with the default settings. */
export function signalsPerMonth(): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = new URL("../../tests/fixtures/binance/", import.meta.url);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((x) => x.endsWith(".json"))
    .sort();
  for (const name of names) {
    const s = fixtureSeries(name);
    const sig = analyzeSeries(s);
    const months = (s.openTime[s.length - 1] - s.openTime[0]) / (30.44 * 86_400_000);
    const longs = sig.filter((x) => x.direction === "long").length;
    out[name.replace(".json", "")] = `${sig.length} signals (${longs} long, ${
      sig.length - longs
    } short), ${(sig.length / months).toFixed(1)}/month`;
  }
  return out;
}

if (import.meta.main) {
  for (const [k, v] of Object.entries(benchAnalyzer())) console.log(`${k}: ${v}`);
  for (const [k, v] of Object.entries(signalsPerMonth())) console.log(`${k}: ${v}`);
}

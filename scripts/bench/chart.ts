/**
 * Chart benchmark (prints figures): cold start of the PNG renderer (WebAssembly compile + first
 * render), render time p50/p99 of 200-candle charts of real signals (layout + SVG, rasterise + PNG
 * encode, and the whole `renderSignalChart`), peak memory, the esbuild bundle an Edge Function would
 * ship, and, for the choice of renderer, what a JavaScript PNG encoder (fast-png) alone costs on the
 * same 800 × 450 image. The machine's load average is printed beside the figures; on a shared machine
 * wall time includes waiting for a core, so the process CPU time of each render
 * (`process.cpuUsage`, user + system) is printed too: it is what counts against an Edge Function's
 * 2 s CPU limit.
 */

import process from "node:process";
import { encode } from "fast-png";
import { Resvg } from "@resvg/resvg-wasm";
import wasmBytes from "@resvg/resvg-wasm/index_bg.wasm" with { type: "bytes" };
import fontRegular from "@expo-google-fonts/jetbrains-mono/400Regular/JetBrainsMono_400Regular.ttf" with {
  type: "bytes",
};
import fontBold from "@expo-google-fonts/jetbrains-mono/700Bold/JetBrainsMono_700Bold.ttf" with {
  type: "bytes",
};
import type { ChartInput } from "../../shared/chart/types.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { layoutSignalChart } from "../../shared/chart/layout.ts";
import {
  initChartRenderer,
  renderSignalChart,
  sceneToPngSvg,
  svgToPng,
} from "../../supabase/functions/_shared/chart/render_png.ts";
import { fixtureSeries } from "../../tests/support/fixtures.ts";
import { bundleForEdge } from "../lib/bundle/esbuild_deno.ts";
import { peakRssMb } from "./analyzer.ts";

const BARS = 200;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5).toFixed(1)}  p99 ${pct(s, 0.99).toFixed(1)}  max ${
    s[s.length - 1].toFixed(1)
  }`;
}

/** CPU time (ms, user + system, this process) spent since `from`. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function load(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

/** Inputs: every BTCUSDT 1h 2024 signal with at least 200 candles before it. */
function inputs(): ChartInput[] {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  return analyzeSeries(series).filter((s) => s.index >= BARS).map((signal) => ({
    symbol: "BTCUSDT",
    interval: "1h",
    candles: series,
    signal,
  }));
}

async function main(): Promise<void> {
  console.log(`load average (1/5/15 min): ${load()} on ${navigator.hardwareConcurrency} cores`);
  const cases = inputs();
  const opts = { minBars: BARS, maxBars: BARS };

  let t = performance.now();
  let c = process.cpuUsage();
  await initChartRenderer();
  const init = [performance.now() - t, cpuMs(c)];
  t = performance.now();
  c = process.cpuUsage();
  const first = await renderSignalChart(cases[0], opts);
  const firstRender = [performance.now() - t, cpuMs(c)];
  if (!first.ok) throw new Error(first.error);
  const f = (x: number[]) => `${x[0].toFixed(0)} ms (CPU ${x[1].toFixed(0)} ms)`;
  console.log(`cold start: WebAssembly init ${f(init)}, first render ${f(firstRender)}`);

  for (let i = 0; i < 20; i++) await renderSignalChart(cases[i % cases.length], opts); // warm-up
  const layout: number[] = [];
  const raster: number[] = [];
  const whole: number[] = [];
  const wholeCpu: number[] = [];
  let bytes = 0;
  for (let round = 0; round < 3; round++) {
    for (const input of cases) {
      for (const theme of ["light", "dark"] as const) {
        let t0 = performance.now();
        const svg = sceneToPngSvg(layoutSignalChart(input, { ...opts, theme }));
        layout.push(performance.now() - t0);
        t0 = performance.now();
        const png = svgToPng(svg);
        raster.push(performance.now() - t0);
        bytes += png.png.length;
        t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await renderSignalChart(input, { ...opts, theme });
        wholeCpu.push(cpuMs(c0));
        whole.push(performance.now() - t0);
        if (!r.ok) throw new Error(r.error);
      }
    }
  }
  console.log(`${whole.length} charts of ${BARS} candles (800x450), BTCUSDT 1h 2024 signals, ms:`);
  console.log(`  layout + SVG            ${stats(layout)}`);
  console.log(`  rasterise + PNG encode  ${stats(raster)}`);
  console.log(`  renderSignalChart       ${stats(whole)}   (target p99 <= 50)`);
  console.log(`  renderSignalChart, CPU  ${stats(wholeCpu)}`);
  console.log(`  PNG size: ${(bytes / raster.length / 1024).toFixed(1)} KB on average`);

  // The alternative renderer's floor: encoding the same RGBA pixels with a JavaScript PNG encoder.
  const svg = sceneToPngSvg(layoutSignalChart(cases[0], opts));
  const img = new Resvg(svg, { font: { fontBuffers: [fontRegular, fontBold] } }).render();
  const rgba = { width: img.width, height: img.height, data: img.pixels, channels: 4 };
  const js: number[] = [];
  const rs: number[] = [];
  for (let i = 0; i < 40; i++) {
    let t0 = performance.now();
    encode(rgba);
    js.push(performance.now() - t0);
    t0 = performance.now();
    img.asPng();
    rs.push(performance.now() - t0);
  }
  console.log(
    `PNG encode alone of the 800x450 RGBA image, ms: fast-png ${stats(js)}; resvg ${stats(rs)}`,
  );
  console.log(`peak RSS (MB): ${Math.round(peakRssMb())}`);

  t = performance.now();
  const bundle = await bundleForEdge("supabase/functions/_shared/chart/render_png.ts");
  console.log(
    `esbuild bundle of supabase/functions/_shared/chart/render_png.ts: ${
      (bundle.length / 1024 / 1024).toFixed(2)
    } MB (limit 20 MB; resvg wasm ${(wasmBytes.length / 1024 / 1024).toFixed(2)} MB and fonts ${
      ((fontRegular.length + fontBold.length) / 1024).toFixed(0)
    } KB inside, base64), built in ${(performance.now() - t).toFixed(0)} ms`,
  );
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) await main();

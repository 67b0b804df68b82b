/**
 * Chart benchmark (prints figures): cold start of the PNG renderer in fresh processes (WebAssembly
 * compile, the first chart, charts 2–5 while V8 still compiles), then render time p50/p99 of
 * 200-candle charts of real signals per phase (layout + SVG, rasterise, PNG encode) and of the
 * whole `renderSignalChart`, the PNG encoders compared on the same 800 × 450 image (the one used,
 * resvg's own and a JavaScript one), peak memory and the esbuild bundle an Edge Function would
 * ship. The machine's load average is printed beside the figures; on a shared machine wall time
 * includes waiting for a core, so the process CPU time (`process.cpuUsage`, user + system, V8's
 * compiler threads included) is printed too: it is what counts against an Edge Function's 2 s CPU
 * limit.
 */

import process from "node:process";
import { encode as fastPngEncode } from "fast-png";
import { Resvg } from "@resvg/resvg-wasm";
import wasmBytes from "@resvg/resvg-wasm/index_bg.wasm" with { type: "bytes" };
import pngWasmBytes from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm" with { type: "bytes" };
import fontRegular from "@expo-google-fonts/jetbrains-mono/400Regular/JetBrainsMono_400Regular.ttf" with {
  type: "bytes",
};
import fontBold from "@expo-google-fonts/jetbrains-mono/700Bold/JetBrainsMono_700Bold.ttf" with {
  type: "bytes",
};
import { layoutSignalChart } from "../../shared/chart/layout.ts";
import type { ChartInput } from "../../shared/chart/types.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import {
  encodePng,
  initChartRenderer,
  rasterise,
  renderSignalChart,
  sceneToPngSvg,
} from "../../supabase/functions/_shared/chart/render_png.ts";
import { fixtureSeries } from "../../tests/support/fixtures.ts";
import { bundleForEdge } from "../lib/bundle/esbuild_deno.ts";
import { peakRssMb } from "./analyzer.ts";

const BARS = 200;
const OPTS = { minBars: BARS, maxBars: BARS };
/** Fresh processes measured for the cold start. */
const COLD_RUNS = 3;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5).toFixed(1)}  p99 ${pct(s, 0.99).toFixed(1)}  max ${
    s[s.length - 1].toFixed(1)
  }`;
}

function median(xs: number[]): number {
  return pct([...xs].sort((a, b) => a - b), 0.5);
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

/** CPU and wall ms of `f`. */
async function measure(f: () => Promise<unknown> | unknown): Promise<[cpu: number, wall: number]> {
  const c = process.cpuUsage();
  const t = performance.now();
  await f();
  return [cpuMs(c), performance.now() - t];
}

/**
 * Run in a fresh process (`--cold`): prints one JSON line with [CPU, wall] ms of the WebAssembly
 * init and of each of the first five charts (the inputs are made before anything is measured).
 */
async function coldRun(): Promise<void> {
  const cases = inputs();
  const init = await measure(() => initChartRenderer());
  const charts: [number, number][] = [];
  for (let i = 0; i < 5; i++) {
    charts.push(
      await measure(async () => {
        const r = await renderSignalChart(cases[i * 7 % cases.length], { ...OPTS, theme: "dark" });
        if (!r.ok) throw new Error(r.error);
      }),
    );
  }
  console.log(JSON.stringify({ init, charts }));
}

async function coldStart(): Promise<string> {
  const runs: { init: number[]; charts: number[][] }[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--cold"],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("cold-start process failed");
    runs.push(JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? ""));
  }
  const m = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f)).toFixed(0);
  const later = (r: (typeof runs)[number], k: 0 | 1) =>
    r.charts.slice(1).reduce((a, c) => a + c[k], 0) / (r.charts.length - 1);
  return `cold start (${COLD_RUNS} fresh processes, median; CPU / wall ms): WebAssembly init ${
    m((r) => r.init[0])
  } / ${m((r) => r.init[1])}, first chart ${m((r) => r.charts[0][0])} / ${
    m((r) => r.charts[0][1])
  }, charts 2-5 ${m((r) => later(r, 0))} / ${m((r) => later(r, 1))} each`;
}

async function main(): Promise<void> {
  console.log(`load average (1/5/15 min): ${load()} on ${navigator.hardwareConcurrency} cores`);
  console.log(await coldStart());
  const cases = inputs();
  await initChartRenderer();
  for (let i = 0; i < 20; i++) await renderSignalChart(cases[i % cases.length], OPTS); // warm-up

  const phases = {
    layout: [[], []],
    raster: [[], []],
    encode: [[], []],
    whole: [[], []],
  } as Record<
    "layout" | "raster" | "encode" | "whole",
    [number[], number[]]
  >;
  const add = (k: keyof typeof phases, [cpu, wall]: [number, number]) => {
    phases[k][0].push(cpu);
    phases[k][1].push(wall);
  };
  let pngBytes = 0;
  let svgBytes = 0;
  for (let round = 0; round < 3; round++) {
    for (const input of cases) {
      for (const theme of ["light", "dark"] as const) {
        let svg = "";
        let image: ReturnType<typeof rasterise> | undefined;
        add(
          "layout",
          await measure(() => svg = sceneToPngSvg(layoutSignalChart(input, { ...OPTS, theme }))),
        );
        add("raster", await measure(() => image = rasterise(svg)));
        add("encode", await measure(async () => pngBytes += (await encodePng(image!)).length));
        svgBytes += svg.length;
        add(
          "whole",
          await measure(async () => {
            const r = await renderSignalChart(input, { ...OPTS, theme });
            if (!r.ok) throw new Error(r.error);
          }),
        );
      }
    }
  }
  const n = phases.whole[0].length;
  const line = (name: string, k: keyof typeof phases, note = "") =>
    console.log(
      `  ${name.padEnd(26)} CPU ${stats(phases[k][0])}   wall ${stats(phases[k][1])}${note}`,
    );
  console.log(`${n} charts of ${BARS} candles (800x450), BTCUSDT 1h 2024 signals, ms:`);
  line("layout + SVG", "layout");
  line("rasterise (resvg)", "raster");
  line("PNG encode (@jsquash/png)", "encode");
  line("renderSignalChart", "whole", "   (target p99 <= 50)");
  console.log(
    `  PNG ${(pngBytes / n / 1024).toFixed(1)} KB, SVG ${
      (svgBytes / n / 1024).toFixed(1)
    } KB on average`,
  );

  // The PNG encoders on the same pixels: the one used, resvg's own (no settings) and fast-png (JS).
  const svg = sceneToPngSvg(layoutSignalChart(cases[0], OPTS));
  const img = new Resvg(svg).render();
  const rgba = { pixels: img.pixels, width: img.width, height: img.height };
  const enc: Record<string, { cpu: number[]; size: number }> = {};
  const encoders: [string, () => Promise<Uint8Array> | Uint8Array][] = [
    ["@jsquash/png", () => encodePng(rgba)],
    ["resvg asPng", () => img.asPng()],
    ["fast-png (JS)", () => fastPngEncode({ ...rgba, data: rgba.pixels, channels: 4 })],
  ];
  for (let i = 0; i < 40; i++) {
    for (const [name, f] of encoders) {
      let size = 0;
      const [cpu] = await measure(async () => size = (await f()).length);
      (enc[name] ??= { cpu: [], size }).cpu.push(cpu);
    }
  }
  console.log(
    `PNG encoders on one 800x450 RGBA chart, CPU ms and size: ${
      Object.entries(enc).map(([k, v]) => `${k} ${stats(v.cpu)} ${(v.size / 1024).toFixed(0)} KB`)
        .join("; ")
    }`,
  );
  console.log(`peak RSS (MB): ${Math.round(peakRssMb())}`);

  const t = performance.now();
  const bundle = await bundleForEdge("supabase/functions/_shared/chart/render_png.ts");
  console.log(
    `esbuild bundle of supabase/functions/_shared/chart/render_png.ts: ${
      (bundle.length / 1024 / 1024).toFixed(2)
    } MB (limit 20 MB; resvg wasm ${(wasmBytes.length / 1024 / 1024).toFixed(2)} MB, png wasm ${
      (pngWasmBytes.length / 1024).toFixed(0)
    } KB and fonts ${
      ((fontRegular.length + fontBold.length) / 1024).toFixed(0)
    } KB inside, base64), built in ${(performance.now() - t).toFixed(0)} ms`,
  );
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) {
  if (Deno.args.includes("--cold")) await coldRun();
  else await main();
}

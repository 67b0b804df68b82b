/**
 * Signal chart as PNG, for Discord cards and the `chart` CLI: the pure layout from `shared/chart/`
 * written as SVG and rasterised by resvg (Rust, compiled to WebAssembly: `@resvg/resvg-wasm`) with
 * the JetBrains Mono font bundled in (no system fonts, no network). Labels reach resvg as glyph
 * outlines shaped ahead of time (`shared/chart/glyph_outlines.ts`). Edge-safe: no
 * native addons, no file or network access at run time; the wasm and font bytes are part of the
 * module graph, so an esbuild bundle carries them.
 */

import { initWasm, Resvg } from "@resvg/resvg-wasm";
import wasmBytes from "@resvg/resvg-wasm/index_bg.wasm" with { type: "bytes" };
import fontRegular from "@expo-google-fonts/jetbrains-mono/400Regular/JetBrainsMono_400Regular.ttf" with {
  type: "bytes",
};
import fontBold from "@expo-google-fonts/jetbrains-mono/700Bold/JetBrainsMono_700Bold.ttf" with {
  type: "bytes",
};
import { layoutSignalChart } from "../../../../shared/chart/layout.ts";
import { CHART_FONT_FAMILY, sceneToSvg } from "../../../../shared/chart/svg.ts";
import type { ChartInput, ChartOptions, ChartScene } from "../../../../shared/chart/types.ts";

/** Result of {@link renderSignalChart}: the PNG, or why there is none. Never thrown. */
export type ChartRender =
  | { ok: true; png: Uint8Array; width: number; height: number; ms: number }
  | { ok: false; error: string };

let ready: Promise<void> | null = null;

/**
 * Compiles and instantiates resvg's WebAssembly once per process (about 40 ms; the first render
 * after it is slower while V8 optimises the code). Later calls return the same promise. A failed
 * start is retried on the next call.
 */
export function initChartRenderer(): Promise<void> {
  if (!ready) {
    ready = initWasm(wasmBytes).catch((e) => {
      ready = null;
      throw e;
    });
  }
  return ready;
}

const FONT = {
  fontBuffers: [fontRegular, fontBold],
  defaultFontFamily: CHART_FONT_FAMILY,
  monospaceFamily: CHART_FONT_FAMILY,
};

/** The SVG text of the chart (same layout as the PNG, labels as `<text>`); throws ChartError on bad input. */
export function signalChartSvg(input: ChartInput, options: ChartOptions = {}): string {
  return sceneToSvg(layoutSignalChart(input, options));
}

/**
 * The SVG the PNG is rasterised from: `scene` with its labels as glyph outlines
 * (`shared/chart/glyph_outlines.ts`), so resvg has nothing to shape.
 */
export function sceneToPngSvg(scene: ChartScene): string {
  return sceneToSvg(scene, { text: "outlines" });
}

/**
 * Rasterises an SVG (made by {@link sceneToPngSvg} or {@link signalChartSvg}) to PNG bytes (call
 * {@link initChartRenderer} first). The bundled fonts are handed to resvg only when the SVG has a
 * `<text>` element left to shape.
 */
export function svgToPng(svg: string): { png: Uint8Array; width: number; height: number } {
  const resvg = new Resvg(svg, svg.includes("<text") ? { font: FONT } : undefined);
  try {
    const image = resvg.render();
    try {
      return { png: image.asPng(), width: image.width, height: image.height };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * Renders the chart of `input.signal` (candles up to the signal bar, Elliott count, Wyckoff range
 * and events, entry, stop, TP1–TP3, invalidation; see `layoutSignalChart`) as a PNG of
 * `options.width` × `options.height` px (default 800 × 450) in `options.theme` (default light).
 * Never throws: bad input (ChartError) or a renderer failure comes back as `{ ok: false, error }`
 * with a one-line message, so a caller can send its message without the image and log the error.
 * `ms` is the wall time of layout + rasterising + PNG encoding.
 *
 * @example
 * const chart = await renderSignalChart({ symbol, interval, candles, signal }, { theme: "dark" });
 * if (chart.ok) form.append("files[0]", new Blob([chart.png], { type: "image/png" }), "chart.png");
 * else log("warn", "chart failed", { error: chart.error });
 */
export async function renderSignalChart(
  input: ChartInput,
  options: ChartOptions = {},
): Promise<ChartRender> {
  try {
    await initChartRenderer();
    const t0 = performance.now();
    const out = svgToPng(sceneToPngSvg(layoutSignalChart(input, options)));
    return { ok: true, ...out, ms: performance.now() - t0 };
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { ok: false, error: msg.split("\n").join(" ") };
  }
}

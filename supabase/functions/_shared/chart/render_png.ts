/**
 * Signal chart as PNG, for Discord cards and the `chart` CLI: the pure layout from `shared/chart/`
 * written as SVG, rasterised by resvg (Rust, compiled to WebAssembly: `@resvg/resvg-wasm`) and
 * encoded as PNG by the Rust `png` crate compiled to WebAssembly (`@jsquash/png`, Squoosh's codec),
 * which takes about a third of the CPU time of resvg's own encoder (resvg offers no compression
 * setting; see the README's chart figures). Labels reach resvg as glyph outlines shaped ahead of
 * time (`shared/chart/glyph_outlines.ts`); the JetBrains Mono font is bundled for any label they
 * cannot draw (no system fonts, no network). Edge-safe: no native addons, no file or network
 * access at run time; the wasm and font bytes are part of the module graph, so an esbuild bundle
 * carries them.
 */

import { initWasm, Resvg } from "@resvg/resvg-wasm";
import wasmBytes from "@resvg/resvg-wasm/index_bg.wasm" with { type: "bytes" };
import encodeRgba, { init as initPngEncoder } from "@jsquash/png/encode.js";
import pngWasmBytes from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm" with { type: "bytes" };
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
 * Compiles and instantiates resvg's and the PNG encoder's WebAssembly once per process (about
 * 40 ms; the first renders after it are slower while V8 compiles the code it runs). Later calls
 * return the same promise. A failed start of resvg is retried on the next call.
 */
export function initChartRenderer(): Promise<void> {
  if (!ready) {
    ready = Promise.all([initWasm(wasmBytes), initPngEncoder(pngWasmBytes)]).then(
      () => undefined,
      (e) => {
        ready = null;
        throw e;
      },
    );
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

/** An image as 8-bit RGBA pixels, row by row from the top left (premultiplied = straight: opaque). */
export interface RgbaImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Rasterises an SVG (made by {@link sceneToPngSvg} or {@link signalChartSvg}) with resvg (call
 * {@link initChartRenderer} first). The bundled fonts are handed to resvg only when the SVG has a
 * `<text>` element left to shape.
 */
export function rasterise(svg: string): RgbaImage {
  const resvg = new Resvg(svg, svg.includes("<text") ? { font: FONT } : undefined);
  try {
    const image = resvg.render();
    try {
      return { pixels: image.pixels, width: image.width, height: image.height };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * Encodes `image` as an 8-bit RGBA PNG with `@jsquash/png` (the Rust png crate's default: Sub
 * filter, fdeflate's fast compression). Call {@link initChartRenderer} first.
 */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const { pixels, width, height } = image;
  // The encoder reads the whole buffer behind `data`: hand it one that holds exactly the pixels.
  const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength
    ? pixels
    : pixels.slice();
  const rgba: Pick<ImageData, "data" | "width" | "height"> = {
    data: new Uint8ClampedArray(own.buffer as ArrayBuffer, 0, own.length),
    width,
    height,
  };
  return new Uint8Array(await encodeRgba(rgba as ImageData));
}

/** {@link rasterise} then {@link encodePng}. */
export async function svgToPng(
  svg: string,
): Promise<{ png: Uint8Array; width: number; height: number }> {
  const image = rasterise(svg);
  return { png: await encodePng(image), width: image.width, height: image.height };
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
    const out = await svgToPng(sceneToPngSvg(layoutSignalChart(input, options)));
    return { ok: true, ...out, ms: performance.now() - t0 };
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { ok: false, error: msg.split("\n").join(" ") };
  }
}

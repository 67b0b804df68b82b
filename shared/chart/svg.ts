/** Writes a {@link ChartScene} as a standalone SVG document (no scripts, no external references). */

import { textOutline } from "./glyph_outlines.ts";
import { GLYPH_TABLE } from "./glyph_table.ts";
import type { ChartScene, Shape, TextShape } from "./types.ts";

/** Font family the SVG asks for; the PNG renderer bundles this font. */
export const CHART_FONT_FAMILY = "JetBrains Mono";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function attr(name: string, v: string | number | undefined): string {
  return v === undefined ? "" : ` ${name}="${typeof v === "string" ? esc(v) : v}"`;
}

/** How {@link sceneToSvg} writes labels. */
export interface SvgOptions {
  /**
   * "text" (default): `<text>` elements in {@link CHART_FONT_FAMILY}, for a viewer to shape;
   * "outlines": one `<path>` of glyph outlines per label (`glyph_outlines.ts`), so the renderer
   * need not shape anything (a label with a character outside the glyph table stays `<text>`).
   */
  text?: "text" | "outlines";
}

/** Round to 4 decimals (transform factors). */
function r4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/**
 * The characters a `<text>` element shows of `s` (SVG 1.1 `xml:space="default"`, which renderers
 * apply: newlines removed, tabs made spaces, leading and trailing spaces stripped, runs of spaces
 * collapsed to one).
 */
export function svgDisplayedText(s: string): string {
  return s.replace(/[\r\n]/g, "").replace(/\t/g, " ").replace(/^ +| +$/g, "").replace(
    / {2,}/g,
    " ",
  );
}

/**
 * `t` as one `<path>` of its glyph outlines, placed and scaled as the `<text>` element would draw
 * it (the characters {@link svgDisplayedText} keeps, anchor, size, fill, bold, halo); undefined
 * when a character is not in the glyph table.
 */
function textPathSvg(t: TextShape): string | undefined {
  const shown = svgDisplayedText(t.text);
  const d = textOutline(shown, t.bold === true);
  if (d === undefined) return undefined;
  if (d === "") return "";
  const k = t.size / GLYPH_TABLE.unitsPerEm;
  const w = shown.length * GLYPH_TABLE.advance * k;
  const x = t.anchor === "start" ? t.x : t.anchor === "end" ? t.x - w : t.x - w / 2;
  return `<path transform="matrix(${r4(k)} 0 0 ${r4(k)} ${r4(x)} ${t.y})" d="${d}"${
    attr("fill", t.fill)
  }${
    t.halo
      ? ` stroke="${esc(t.halo)}" stroke-width="${
        r4(3 / k)
      }" stroke-linejoin="round" paint-order="stroke"`
      : ""
  }/>`;
}

function shapeSvg(s: Shape, outlines: boolean): string {
  switch (s.kind) {
    case "path":
      return `<path d="${s.d}"${attr("fill", s.fill ?? "none")}${attr("stroke", s.stroke)}${
        attr("stroke-width", s.strokeWidth)
      }${attr("stroke-dasharray", s.dash)}${
        attr(s.fill ? "fill-opacity" : "stroke-opacity", s.opacity)
      }${s.crisp ? ' shape-rendering="crispEdges"' : ""}/>`;
    case "circle":
      return `<circle cx="${s.cx}" cy="${s.cy}" r="${s.r}"${attr("fill", s.fill)}${
        attr("stroke", s.stroke)
      }${attr("stroke-width", s.strokeWidth)}/>`;
    case "text": {
      const outlined = outlines ? textPathSvg(s) : undefined;
      if (outlined !== undefined) return outlined;
      const anchor = s.anchor === "start" ? "" : ` text-anchor="${s.anchor}"`;
      return `<text x="${s.x}" y="${s.y}" font-size="${s.size}"${attr("fill", s.fill)}${anchor}${
        s.bold ? ' font-weight="700"' : ""
      }${
        s.halo
          ? ` stroke="${s.halo}" stroke-width="3" stroke-linejoin="round" paint-order="stroke"`
          : ""
      }>${esc(s.text)}</text>`;
    }
  }
}

/**
 * The SVG text of `scene` (width × height px, font {@link CHART_FONT_FAMILY}), labels as
 * `options.text` says (default `<text>`).
 */
export function sceneToSvg(scene: ChartScene, options: SvgOptions = {}): string {
  const outlines = options.text === "outlines";
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}" font-family="${CHART_FONT_FAMILY}">`,
    `<rect width="${scene.width}" height="${scene.height}" fill="${scene.background}"/>`,
  ];
  for (const s of scene.shapes) {
    const svg = shapeSvg(s, outlines);
    if (svg !== "") parts.push(svg);
  }
  parts.push("</svg>");
  return parts.join("\n");
}

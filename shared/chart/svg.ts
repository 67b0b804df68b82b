/** Writes a {@link ChartScene} as a standalone SVG document (no scripts, no external references). */

import type { ChartScene, Shape } from "./types.ts";

/** Font family the SVG asks for; the PNG renderer bundles this font. */
export const CHART_FONT_FAMILY = "JetBrains Mono";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function attr(name: string, v: string | number | undefined): string {
  return v === undefined ? "" : ` ${name}="${typeof v === "string" ? esc(v) : v}"`;
}

function shapeSvg(s: Shape): string {
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

/** The SVG text of `scene` (width × height px, font {@link CHART_FONT_FAMILY}). */
export function sceneToSvg(scene: ChartScene): string {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}" font-family="${CHART_FONT_FAMILY}">`,
    `<rect width="${scene.width}" height="${scene.height}" fill="${scene.background}"/>`,
  ];
  for (const s of scene.shapes) parts.push(shapeSvg(s));
  parts.push("</svg>");
  return parts.join("\n");
}

/**
 * Chart labels as glyph outlines. The PNG renderer (resvg) would otherwise shape every `<text>`
 * glyph by glyph on each render, which cost about a quarter of a chart's CPU time and, in a new
 * process, made V8 compile resvg's whole text stack (see the README's chart figures). Instead the
 * outlines of the characters a chart uses were shaped once by resvg from the bundled font and kept
 * in `glyph_table.ts` (`deno task chart:glyphs` writes it), and a label is drawn as one path made
 * of its characters' outlines side by side: the font is monospaced (every advance 0.6 em, which
 * the layout assumes too). Contextual alternates and ligatures of JetBrains Mono (`->`, `==`,
 * `www`, …) are not applied, so each character keeps its own glyph; for every label the chart
 * draws the result equals resvg's own shaping (tests/chart/glyph_outlines.test.ts).
 */

import { GLYPH_TABLE } from "./glyph_table.ts";

/**
 * One glyph's outline in font units, y down, origin at the start of the baseline: the first
 * point of the outline and the rest as relative SVG path commands; null for a glyph without an
 * outline (a space).
 */
export type GlyphOutline = readonly [x: number, y: number, rest: string] | null;

/** The outlines of a set of characters in a regular and a bold weight. */
export interface GlyphTable {
  /** Font units per em (JetBrains Mono: 1000). */
  unitsPerEm: number;
  /** Advance of every glyph in font units (JetBrains Mono: 600, i.e. 0.6 em). */
  advance: number;
  regular: Readonly<Record<string, GlyphOutline>>;
  bold: Readonly<Record<string, GlyphOutline>>;
}

/** Characters beyond printable ASCII that the chart's labels use; they are in the table too. */
export const CHART_EXTRA_CHARS = "·×…";

/** The characters `deno task chart:glyphs` puts in the table: printable ASCII and the extras. */
export function tableCharacters(): string[] {
  const out: string[] = [];
  for (let c = 0x20; c <= 0x7e; c++) out.push(String.fromCharCode(c));
  return [...out, ...CHART_EXTRA_CHARS];
}

function round2(x: number): number {
  const r = Math.round(x * 100) / 100;
  return r === 0 ? 0 : r; // never "-0"
}

/** Numbers joined the short way SVG path data allows ("3-4.5" for "3 -4.5"). */
function numbers(xs: readonly number[]): string {
  let s = "";
  for (const x of xs) s += s === "" || x < 0 ? String(x) : ` ${x}`;
  return s;
}

const ARITY: Readonly<Record<string, number>> = { M: 2, L: 2, Q: 4, C: 6, Z: 0 };

/**
 * Parses a glyph's absolute path data as resvg writes it (commands M, L, Q, C, Z, y down) into a
 * {@link GlyphOutline}: coordinates rounded to 0.01 font units (resvg writes f32 values such as
 * -101.49999 for -101.5), every command after the first move relative to the point before it.
 * Empty data is a glyph without an outline (null).
 *
 * @throws {RangeError} on any other command or a malformed number.
 */
export function parseGlyphPath(d: string): GlyphOutline {
  const tokens = d.trim().split(/[\s,]+/).filter((t) => t !== "");
  if (tokens.length === 0) return null;
  let i = 0;
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  let first: [number, number] | null = null;
  let rest = "";
  while (i < tokens.length) {
    const cmd = tokens[i++];
    const n = ARITY[cmd];
    if (n === undefined || i + n > tokens.length) {
      throw new RangeError(`glyph path: unexpected "${cmd}" at token ${i - 1}`);
    }
    const abs = tokens.slice(i, i + n).map((t) => round2(Number(t)));
    i += n;
    if (abs.some((v) => !Number.isFinite(v))) throw new RangeError("glyph path: bad number");
    if (cmd === "Z") {
      rest += "z";
      cx = sx;
      cy = sy;
    } else if (first === null) {
      if (cmd !== "M") throw new RangeError("glyph path: must start with M");
      first = [abs[0], abs[1]];
      cx = sx = abs[0];
      cy = sy = abs[1];
    } else {
      rest += cmd.toLowerCase() + numbers(abs.map((v, k) => round2(v - (k % 2 === 0 ? cx : cy))));
      cx = abs[n - 2];
      cy = abs[n - 1];
      if (cmd === "M") {
        sx = cx;
        sy = cy;
      }
    }
  }
  return first === null ? null : [first[0], first[1], rest];
}

/**
 * SVG path data of `text` in font units of `table` (y down, origin at the start of the baseline,
 * each character `table.advance` after the one before): scale it by size / `table.unitsPerEm` to
 * draw it at `size` px. Undefined when a character is not in the table (the caller then writes
 * the text as `<text>` for the renderer to shape).
 *
 * @example
 * textOutline("TP1 64,250.10", true) // "M77 0l0-730…zM677 0…"
 */
export function textOutline(
  text: string,
  bold: boolean,
  table: GlyphTable = GLYPH_TABLE,
): string | undefined {
  const glyphs = bold ? table.bold : table.regular;
  let d = "";
  let x = 0;
  for (const ch of text) {
    const g = glyphs[ch];
    if (g === undefined) return undefined;
    if (g !== null) d += `M${numbers([round2(x + g[0]), g[1]])}${g[2]}`;
    x += table.advance;
  }
  return d;
}

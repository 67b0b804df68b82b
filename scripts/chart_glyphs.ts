/**
 * `deno task chart:glyphs`: writes `shared/chart/glyph_table.ts`, the outlines of the characters
 * chart labels use (printable ASCII and `CHART_EXTRA_CHARS`, regular and bold), as resvg shapes
 * them from the bundled JetBrains Mono font. The PNG renderer draws labels from this table instead
 * of shaping them on every render (see `shared/chart/glyph_outlines.ts`). Run it after changing
 * the font, resvg or the character set; tests/chart/glyph_outlines.test.ts fails while the table
 * is stale.
 */

import { Resvg } from "@resvg/resvg-wasm";
import fontRegular from "@expo-google-fonts/jetbrains-mono/400Regular/JetBrainsMono_400Regular.ttf" with {
  type: "bytes",
};
import fontBold from "@expo-google-fonts/jetbrains-mono/700Bold/JetBrainsMono_700Bold.ttf" with {
  type: "bytes",
};
import {
  type GlyphOutline,
  type GlyphTable,
  parseGlyphPath,
  tableCharacters,
} from "../shared/chart/glyph_outlines.ts";
import { CHART_FONT_FAMILY } from "../shared/chart/svg.ts";
import { initChartRenderer } from "../supabase/functions/_shared/chart/render_png.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";

const HELP = `usage: deno task chart:glyphs
Writes shared/chart/glyph_table.ts: the outlines of the characters chart labels use, shaped by
resvg from the bundled JetBrains Mono (regular and bold). Run it after changing the font, resvg or
the character set (tests/chart/glyph_outlines.test.ts fails while the table is stale).`;

/** JetBrains Mono's units per em and advance (0.6 em): the layout assumes this advance too. */
const UNITS_PER_EM = 1000;
const ADVANCE = 600;

const TABLE_PATH = new URL("../shared/chart/glyph_table.ts", import.meta.url).pathname;

function xmlText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Shapes `texts` with resvg from the bundled font (regular or bold), each on its own at
 * {@link UNITS_PER_EM} px with its origin at (0, 0), and returns each one's outline as the
 * absolute path data resvg writes for it (`Resvg.toString()` writes text as the paths it draws;
 * a text of several glyphs gives their outlines joined): "" for a text without an outline.
 * Call `initChartRenderer()` first.
 */
export function shapeTexts(texts: readonly string[], bold: boolean): string[] {
  const weight = bold ? ' font-weight="700"' : "";
  const elements = texts.map((t, i) =>
    `<text id="t${i}" x="0" y="0" font-size="${UNITS_PER_EM}"${weight} xml:space="preserve">${
      xmlText(t)
    }</text>`
  );
  const resvg = new Resvg(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" font-family="${CHART_FONT_FAMILY}">${
      elements.join("")
    }</svg>`,
    {
      font: {
        fontBuffers: [fontRegular, fontBold],
        defaultFontFamily: CHART_FONT_FAMILY,
        monospaceFamily: CHART_FONT_FAMILY,
      },
    },
  );
  let tree: string;
  try {
    tree = resvg.toString();
  } finally {
    resvg.free();
  }
  const out = texts.map(() => "");
  for (const m of tree.matchAll(/<g id="t(\d+)">((?:\s*<path [^>]*\/>)*)\s*<\/g>/g)) {
    out[Number(m[1])] = [...m[2].matchAll(/ d="([^"]*)"/g)].map((d) => d[1]).join(" ");
  }
  return out;
}

/** The glyph table as resvg shapes {@link tableCharacters} from the bundled font now. */
export async function buildGlyphTable(): Promise<GlyphTable> {
  await initChartRenderer();
  const chars = tableCharacters();
  const weight = (bold: boolean): Record<string, GlyphOutline> => {
    const paths = shapeTexts(chars, bold);
    return Object.fromEntries(chars.map((c, i) => [c, parseGlyphPath(paths[i])]));
  };
  return { unitsPerEm: UNITS_PER_EM, advance: ADVANCE, regular: weight(false), bold: weight(true) };
}

function entries(glyphs: Readonly<Record<string, GlyphOutline>>): string {
  return Object.entries(glyphs).map(([c, g]) =>
    `    ${JSON.stringify(c)}: ${g === null ? "null" : JSON.stringify(g)},`
  ).join("\n");
}

/** The TypeScript source of `shared/chart/glyph_table.ts` for `table` (before `deno fmt`). */
export function glyphTableSource(table: GlyphTable): string {
  return `// Written by \`deno task chart:glyphs\` (scripts/chart_glyphs.ts): do not edit by hand.
/**
 * Outlines of the characters chart labels use (printable ASCII and CHART_EXTRA_CHARS), regular
 * and bold, as resvg shapes them from JetBrains Mono (npm @expo-google-fonts/jetbrains-mono 0.4.1):
 * font units, y down, origin at the start of the baseline; see glyph_outlines.ts.
 *
 * The outlines are JetBrains Mono's: Copyright 2020 The JetBrains Mono Project Authors
 * (https://github.com/JetBrains/JetBrainsMono), licensed under the SIL Open Font License 1.1
 * (https://openfontlicense.org; the text is in that npm package's LICENSE_FONT).
 */

import type { GlyphTable } from "./glyph_outlines.ts";

/** The outlines chart labels are drawn from. */
export const GLYPH_TABLE: GlyphTable = {
  unitsPerEm: ${table.unitsPerEm},
  advance: ${table.advance},
  regular: {
${entries(table.regular)}
  },
  bold: {
${entries(table.bold)}
  },
};
`;
}

/** Runs `deno task chart:glyphs`. */
export async function main(args: string[]): Promise<void> {
  const { positionals } = parseCli(args, HELP, {});
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${positionals[0]} (see --help)`);
  }
  const table = await buildGlyphTable();
  const source = glyphTableSource(table);
  await Deno.writeTextFile(TABLE_PATH, source);
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", TABLE_PATH] })
    .output();
  if (!fmt.success) throw new Error(`deno fmt ${TABLE_PATH} failed`);
  console.log(
    `wrote ${TABLE_PATH} (${Object.keys(table.regular).length} characters, regular and bold, ${
      Math.ceil(source.length / 1024)
    } KB)`,
  );
}

if (import.meta.main) await runCli(main);

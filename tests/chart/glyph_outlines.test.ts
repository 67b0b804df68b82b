/**
 * Labels drawn from the glyph table (shared/chart/glyph_outlines.ts) are what resvg's own text
 * shaping draws: the table is what resvg shapes from the bundled font now (a font or resvg upgrade
 * without `deno task chart:glyphs` fails here), every label of real charts composed from it equals
 * resvg's shaping of the whole label, and a label with a character outside the table is left to
 * resvg as `<text>`.
 */

import {
  deepEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import type { CandleSeries } from "../../shared/candles/types.ts";
import { parseGlyphPath, tableCharacters, textOutline } from "../../shared/chart/glyph_outlines.ts";
import { GLYPH_TABLE } from "../../shared/chart/glyph_table.ts";
import { layoutSignalChart } from "../../shared/chart/layout.ts";
import { sceneToSvg, svgDisplayedText } from "../../shared/chart/svg.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { buildGlyphTable, shapeTexts } from "../../scripts/chart_glyphs.ts";
import {
  initChartRenderer,
  renderSignalChart,
  sceneToPngSvg,
} from "../../supabase/functions/_shared/chart/render_png.ts";
import { fixtureSeries } from "../support/fixtures.ts";

/** Any path data (absolute or relative M, L, Q, C, Z) as absolute points rounded to 0.01. */
function absolute(d: string): string {
  const tokens = d.match(/[MLQCZmlqcz]|-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?/g) ?? [];
  const arity: Record<string, number> = { m: 2, l: 2, q: 4, c: 6, z: 0 };
  const out: string[] = [];
  let cx = 0, cy = 0, sx = 0, sy = 0;
  for (let i = 0; i < tokens.length;) {
    const cmd = tokens[i++];
    const n = arity[cmd.toLowerCase()];
    const rel = cmd === cmd.toLowerCase();
    const xs = tokens.slice(i, i + n).map(Number);
    i += n;
    if (n === 0) {
      out.push("Z");
      cx = sx;
      cy = sy;
      continue;
    }
    const abs = xs.map((v, k) => rel ? v + (k % 2 === 0 ? cx : cy) : v);
    out.push(cmd.toUpperCase(), ...abs.map((v) => String(Math.round(v * 100) / 100)));
    cx = abs[n - 2];
    cy = abs[n - 1];
    if (cmd.toLowerCase() === "m") {
      sx = cx;
      sy = cy;
    }
  }
  return out.join(" ");
}

function scaled(s: CandleSeries, k: number): CandleSeries {
  const m = (a: Float64Array) => a.map((x) => x * k);
  return { ...s, open: m(s.open), high: m(s.high), low: m(s.low), close: m(s.close) };
}

Deno.test("the glyph table is what resvg shapes from the bundled font now (else run deno task chart:glyphs)", async () => {
  const now = await buildGlyphTable();
  assertEquals(Object.keys(GLYPH_TABLE.regular).sort(), tableCharacters().sort());
  assertEquals(Object.keys(GLYPH_TABLE.bold).sort(), tableCharacters().sort());
  assertEquals(now, GLYPH_TABLE);
});

Deno.test("every label of real charts drawn from the table equals resvg's shaping of the whole label", async () => {
  await initChartRenderer();
  const labels: [Set<string>, Set<string>] = [new Set(), new Set()];
  const cases: [string, string, string, number][] = [
    ["BTCUSDT-1h-2024.json", "BTCUSDT", "1h", 1],
    ["ETHUSDT-1h-2024H1.json", "ETHUSDT", "1h", 1],
    ["BTCUSDT-1d-2020-2025.json", "BTCUSDT", "1d", 1],
    ["SOLUSDT-1h-2024H1.json", "TINYUSDT", "1h", 1e-7],
    ["ETHUSDT-15m-2025W02-W07.json", "BIGUSDT", "15m", 50],
  ];
  let charts = 0;
  for (const [file, symbol, interval, k] of cases) {
    const series = k === 1 ? fixtureSeries(file) : scaled(fixtureSeries(file), k);
    for (const signal of analyzeSeries(series)) {
      for (const confidence of ["probability", "score"] as const) {
        const scene = layoutSignalChart({ symbol, interval, candles: series, signal }, {
          confidence,
        });
        charts++;
        const svg = sceneToPngSvg(scene);
        assert(!svg.includes("<text"), `${symbol} ${signal.time}: a label was left as <text>`);
        for (const s of scene.shapes) {
          if (s.kind === "text") labels[s.bold ? 1 : 0].add(svgDisplayedText(s.text));
        }
      }
    }
  }
  assert(charts > 200, `only ${charts} charts`);
  for (const bold of [false, true]) {
    const texts = [...labels[bold ? 1 : 0]];
    assert(texts.length > 50, `only ${texts.length} ${bold ? "bold" : "regular"} labels`);
    const shaped = shapeTexts(texts, bold);
    texts.forEach((t, i) => {
      const ours = textOutline(t, bold);
      assert(ours !== undefined, `${JSON.stringify(t)} has a character outside the table`);
      assertEquals(
        absolute(ours),
        absolute(shaped[i]),
        `${bold ? "bold " : ""}${JSON.stringify(t)}`,
      );
    });
  }
});

Deno.test("a label with a character outside the table stays <text> for resvg to shape, and the chart still renders", async () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const signal = analyzeSeries(series).at(-1);
  assert(signal);
  const input = { symbol: "BTCÜSDT", interval: "1h", candles: series, signal };
  const svg = sceneToPngSvg(layoutSignalChart(input));
  const texts = svg.match(/<text[^>]*>[^<]*<\/text>/g) ?? [];
  assertEquals(texts.length, 1);
  assert(texts[0].includes("BTCÜSDT · 1h"), texts[0]);
  const r = await renderSignalChart(input);
  assert(r.ok, r.ok ? "" : r.error);
  // Without the odd character every label is an outline.
  assert(!sceneToPngSvg(layoutSignalChart({ ...input, symbol: "BTCUSDT" })).includes("<text"));
});

Deno.test("text outlines: characters side by side at the advance, spaces without outline, unknown characters refused", () => {
  const one = textOutline("1", false);
  assert(one?.startsWith("M90 0"), one);
  // "11" is the same glyph again one advance (600 units) to the right.
  assertEquals(textOutline("11", false), `${one}M690 0${one?.slice("M90 0".length)}`);
  assertEquals(textOutline(" ", false), "");
  assertEquals(textOutline("1 1", false), `${one}M1290 0${one?.slice("M90 0".length)}`);
  assertEquals(textOutline("€1", false), undefined);
  assertEquals(textOutline("", true), "");
  assertEquals(parseGlyphPath(""), null);
  assertEquals(parseGlyphPath("M 1 2 L 3.004 -4 Q 5 6 7 8 Z M 10 10 L 11 10 Z"), [
    1,
    2,
    "l2-6q2 10 4 12zm9 8l1 0z",
  ]);
  assertThrows(() => parseGlyphPath("M 0 0 A 1 1 0 0 0 2 2"), RangeError);
  assertThrows(() => parseGlyphPath("L 0 0"), RangeError);
});

Deno.test("outlined labels show what <text> shows: runs of spaces collapsed, ends trimmed", () => {
  assertEquals(svgDisplayedText("TP1   64,250.10"), "TP1 64,250.10");
  assertEquals(svgDisplayedText(" a\tb\n "), "a b");
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const signal = analyzeSeries(series).at(-1);
  assert(signal);
  const scene = layoutSignalChart({ symbol: "BTCUSDT", interval: "1h", candles: series, signal });
  // The level tags pad their names ("TP1   64,250.10"); both SVGs draw them with one space.
  const tag = scene.shapes.find((s) => s.kind === "text" && s.text.startsWith("TP1  "));
  assert(tag && tag.kind === "text");
  assert(sceneToSvg(scene).includes(`>${tag.text}</text>`));
  const outlined = sceneToPngSvg({ ...scene, shapes: [tag] });
  const d = outlined.match(/ d="([^"]*)"/)?.[1];
  assertEquals(d, textOutline(svgDisplayedText(tag.text), tag.bold === true));
});

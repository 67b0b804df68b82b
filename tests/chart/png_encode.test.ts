/**
 * The PNG encoder (@jsquash/png) is lossless and gets straight (not premultiplied) colours: each
 * golden case's PNG decodes to exactly the pixels resvg's own PNG encoder writes for the same SVG.
 */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Resvg } from "@resvg/resvg-wasm";
import { decode } from "fast-png";
import { layoutSignalChart } from "../../shared/chart/layout.ts";
import {
  encodePng,
  initChartRenderer,
  rasterise,
  sceneToPngSvg,
} from "../../supabase/functions/_shared/chart/render_png.ts";
import { GOLDEN_CASES, goldenInput } from "./golden_cases.ts";

Deno.test("the PNG decodes to exactly the pixels resvg's own encoder writes, for every golden case", async () => {
  await initChartRenderer();
  for (const c of GOLDEN_CASES) {
    const svg = sceneToPngSvg(layoutSignalChart(goldenInput(c), { theme: c.theme }));
    const ours = decode(await encodePng(rasterise(svg)));
    const resvgPng = new Resvg(svg).render().asPng();
    const theirs = decode(resvgPng);
    assert(ours.channels === 4 && ours.depth === 8, `${c.name}: ${ours.channels}x${ours.depth}`);
    assertEquals([ours.width, ours.height], [theirs.width, theirs.height]);
    assert(
      ours.data.length === theirs.data.length && ours.data.every((v, i) => v === theirs.data[i]),
      `${c.name}: decoded pixels differ`,
    );
  }
});

Deno.test("encodePng takes pixels that are a view into a larger buffer", async () => {
  await initChartRenderer();
  const big = new Uint8Array(4 * 6 + 8).fill(200);
  const pixels = big.subarray(8);
  pixels.set([1, 2, 3, 255], 0);
  const png = decode(await encodePng({ pixels, width: 3, height: 2 }));
  assertEquals([...png.data.slice(0, 8)], [1, 2, 3, 255, 200, 200, 200, 200]);
  assertEquals(png.data.length, 24);
});

/**
 * Golden images: each case in golden_cases.ts renders to the committed PNG in tests/fixtures/chart/
 * within a small tolerance (anti-aliasing may differ by a few levels across resvg builds; a moved
 * label, line or candle does not pass). On a mismatch the new image and a diff are written to
 * .test-results/chart/ for a person to look at; `deno task chart:golden` rewrites the goldens.
 */

import { ok as assert } from "node:assert/strict";
import { decode, encode } from "fast-png";
import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";
import { GOLDEN_CASES, goldenInput, goldenPath } from "./golden_cases.ts";

/** A channel differing by more than this counts the pixel as changed. */
const CHANNEL_TOLERANCE = 32;
/** Share of changed pixels allowed (0.05 % = 180 px of 800 × 450). */
const MAX_CHANGED = 0.0005;

interface Diff {
  changed: number;
  total: number;
  mask: Uint8Array;
}

function rgba(png: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const img = decode(png);
  if (img.channels !== 4 || img.depth !== 8) {
    throw new Error(`expected 8-bit RGBA, got ${img.channels} channels of ${img.depth} bits`);
  }
  return { width: img.width, height: img.height, data: img.data as Uint8Array };
}

function compare(a: Uint8Array, b: Uint8Array, pixels: number): Diff {
  const mask = new Uint8Array(pixels * 4);
  let changed = 0;
  for (let p = 0; p < pixels; p++) {
    let worst = 0;
    for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(a[p * 4 + c] - b[p * 4 + c]));
    const bad = worst > CHANNEL_TOLERANCE;
    if (bad) changed++;
    mask[p * 4] = bad ? 255 : a[p * 4] >> 2;
    mask[p * 4 + 1] = bad ? 0 : a[p * 4 + 1] >> 2;
    mask[p * 4 + 2] = bad ? 0 : a[p * 4 + 2] >> 2;
    mask[p * 4 + 3] = 255;
  }
  return { changed, total: pixels, mask };
}

for (const c of GOLDEN_CASES) {
  Deno.test(`chart ${c.name} matches its golden image`, async () => {
    const r = await renderSignalChart(goldenInput(c), { theme: c.theme });
    assert(r.ok, r.ok ? "" : r.error);
    const want = rgba(await Deno.readFile(goldenPath(c)));
    const got = rgba(r.png);
    assert(
      got.width === want.width && got.height === want.height,
      `size ${got.width}x${got.height}, golden ${want.width}x${want.height}`,
    );
    const d = compare(got.data, want.data, got.width * got.height);
    if (d.changed > d.total * MAX_CHANGED) {
      const dir = new URL("../../.test-results/chart/", import.meta.url).pathname;
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeFile(`${dir}${c.name}.actual.png`, r.png);
      await Deno.writeFile(
        `${dir}${c.name}.diff.png`,
        encode({ width: got.width, height: got.height, data: d.mask, channels: 4 }),
      );
    }
    assert(
      d.changed <= d.total * MAX_CHANGED,
      `${d.changed} of ${d.total} pixels differ (allowed ${
        Math.floor(d.total * MAX_CHANGED)
      }); see .test-results/chart/${c.name}.diff.png, or run deno task chart:golden after an intended change`,
    );
  });
}

Deno.test("the same input renders byte-identical PNGs", async () => {
  const input = goldenInput(GOLDEN_CASES[0]);
  const a = await renderSignalChart(input, { theme: "dark" });
  const b = await renderSignalChart(input, { theme: "dark" });
  assert(a.ok && b.ok);
  assert(a.png.length === b.png.length && a.png.every((x, i) => x === b.png[i]));
});

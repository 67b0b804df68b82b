/**
 * The chart renderer bundles with esbuild, as an Edge Function ships it, and the bundle renders with
 * no permissions at all (no file, network or environment access: the WebAssembly and the font are
 * inside it), giving the same PNG bytes as the unbundled code: fully self-contained, and with npm
 * packages kept as pinned `npm:` imports (how `deno task build` bundles) plus the bytes inlined.
 */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import * as esbuild from "esbuild";
import { bundleForEdge, inlineBytesImports } from "../../scripts/lib/bundle/esbuild_deno.ts";
import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";
import type { ChartInput } from "../../shared/chart/types.ts";
import { GOLDEN_CASES, goldenInput } from "./golden_cases.ts";

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

const DRIVER = `import { renderSignalChart } from "./chart.js";
const input = JSON.parse(await new Response(Deno.stdin.readable).text());
for (const k of ["openTime", "open", "high", "low", "close", "volume"]) {
  input.candles[k] = Float64Array.from(input.candles[k]);
}
const r = await renderSignalChart(input, { theme: "dark" });
if (!r.ok) throw new Error(r.error);
let s = "";
for (const b of r.png) s += String.fromCharCode(b);
console.log(btoa(s));
`;

/** Runs `driver.js` beside `chart.js` in `dir` with no permissions; returns the PNG it printed. */
async function runDriver(dir: string, input: ChartInput, npm: boolean): Promise<string> {
  await Deno.writeTextFile(`${dir}/driver.js`, DRIVER);
  const c = input.candles;
  const cols = ["openTime", "open", "high", "low", "close", "volume"] as const;
  const json = JSON.stringify({
    ...input,
    candles: { length: c.length, ...Object.fromEntries(cols.map((k) => [k, [...c[k]]])) },
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--no-lock",
      ...(npm ? [] : ["--no-npm"]),
      "--no-remote",
      "--no-prompt",
      `${dir}/driver.js`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(json));
  await w.close();
  const out = await child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("the self-contained chart bundle runs without permissions and draws the same PNG", async () => {
  const bundle = await bundleForEdge("supabase/functions/_shared/chart/render_png.ts");
  assert(bundle.length < 20 * 1024 * 1024, `bundle is ${bundle.length} bytes`);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/chart.js`, bundle);
    const input = goldenInput(GOLDEN_CASES[1]);
    const direct = await renderSignalChart(input, { theme: "dark" });
    assert(direct.ok);
    assertEquals(await runDriver(dir, input, false), base64(direct.png));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with npm packages kept as pinned imports, inlineBytesImports still inlines the wasm and font", async () => {
  const map: Record<string, string> = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ).imports;
  // Like `deno task build`: bare imports become pinned npm: externals.
  const externals: esbuild.Plugin = {
    name: "pinned",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (a) => {
        const key = Object.keys(map).find((k) => a.path === k || a.path.startsWith(`${k}/`));
        return key ? { path: map[key] + a.path.slice(key.length), external: true } : undefined;
      });
    },
  };
  const dir = await Deno.makeTempDir();
  try {
    await esbuild.build({
      entryPoints: [
        new URL("../../supabase/functions/_shared/chart/render_png.ts", import.meta.url).pathname,
      ],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      outfile: `${dir}/chart.js`,
      logLevel: "silent",
      plugins: [await inlineBytesImports(), externals],
    });
    const text = await Deno.readTextFile(`${dir}/chart.js`);
    assert(
      /from\s*"npm:@resvg\/resvg-wasm@2\.6\.2"/.test(text),
      "resvg's JS stays a pinned import",
    );
    assert(!/\.wasm"|\.ttf"|type:\s*"bytes"/.test(text), "no bytes import is left");
    const input = goldenInput(GOLDEN_CASES[1]);
    const direct = await renderSignalChart(input, { theme: "dark" });
    assert(direct.ok);
    assertEquals(await runDriver(dir, input, true), base64(direct.png));
  } finally {
    await esbuild.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

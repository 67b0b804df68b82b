/**
 * The chart renderer bundles (esbuild, as an Edge Function would ship it) into one self-contained
 * module that renders with no permissions at all (no file, network or environment access: the
 * WebAssembly and the font are inside the bundle) and gives the same PNG bytes as the unbundled code.
 */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { bundleForEdge } from "../../scripts/lib/bundle/esbuild_deno.ts";
import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";
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

Deno.test("the bundled chart renderer runs without permissions and draws the same PNG", async () => {
  const bundle = await bundleForEdge("supabase/functions/_shared/chart/render_png.ts");
  assert(bundle.length < 20 * 1024 * 1024, `bundle is ${bundle.length} bytes`);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/chart.js`, bundle);
    await Deno.writeTextFile(`${dir}/driver.js`, DRIVER);
    const input = goldenInput(GOLDEN_CASES[1]);
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
        "--no-npm",
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
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const direct = await renderSignalChart(input, { theme: "dark" });
    assert(direct.ok);
    assertEquals(new TextDecoder().decode(out.stdout).trim(), base64(direct.png));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

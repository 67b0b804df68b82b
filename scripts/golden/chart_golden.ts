/**
 * `deno task chart:golden`: rewrites the golden chart images in tests/fixtures/chart/ from the cases
 * in tests/chart/golden_cases.ts. Run it after an intended change to the chart, then look at every
 * image before committing it.
 */

import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";
import { GOLDEN_CASES, goldenInput, goldenPath } from "../../tests/chart/golden_cases.ts";
import { runCli } from "../lib/cli/run_cli.ts";

async function main(): Promise<void> {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(
      "usage: deno task chart:golden\nRewrites tests/fixtures/chart/*.png from the golden cases.",
    );
    return;
  }
  if (Deno.args.length) throw new Error(`unexpected argument ${Deno.args[0]} (see --help)`);
  for (const c of GOLDEN_CASES) {
    const r = await renderSignalChart(goldenInput(c), { theme: c.theme });
    if (!r.ok) throw new Error(`${c.name}: ${r.error}`);
    await Deno.writeFile(goldenPath(c), r.png);
    console.log(`wrote ${goldenPath(c)} (${r.png.length} bytes)`);
  }
}

if (import.meta.main) await runCli(main);

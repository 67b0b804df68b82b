/**
 * `deno task chart:golden`: rewrites the golden chart images in tests/fixtures/chart/ from the cases
 * in tests/chart/golden_cases.ts. Run it after an intended change to the chart, then look at every
 * image before committing it.
 */

import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";
import { GOLDEN_CASES, goldenInput, goldenPath } from "../../tests/chart/golden_cases.ts";
import { parseCli, runCli, UsageError } from "../lib/cli/run_cli.ts";

const HELP = `usage: deno task chart:golden
Rewrites the golden chart images in tests/fixtures/chart/ from tests/chart/golden_cases.ts. Look at
every image before committing it.`;

/** Runs `deno task chart:golden`. */
export async function main(args: string[]): Promise<void> {
  const { positionals } = parseCli(args, HELP, {});
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${positionals[0]} (see --help)`);
  }
  for (const c of GOLDEN_CASES) {
    const r = await renderSignalChart(goldenInput(c), { theme: c.theme });
    if (!r.ok) throw new Error(`${c.name}: ${r.error}`);
    await Deno.writeFile(goldenPath(c), r.png);
    console.log(`wrote ${goldenPath(c)} (${r.png.length} bytes)`);
  }
}

if (import.meta.main) await runCli(main);

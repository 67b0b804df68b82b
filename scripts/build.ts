/**
 * `deno task build [name...] [--json]`: bundles each Edge Function into one self-contained file,
 * `supabase/functions/<name>/bundle.js` (see scripts/build/bundle.ts), and prints its size.
 */

import { bundleAll, functionNames } from "./build/bundle.ts";
import { parseCli, repoRoot, runCli, UsageError } from "./lib/cli/run_cli.ts";

const HELP = `usage: deno task build [name...] [--json]
Bundles each Edge Function (supabase/functions/<name>/index.ts) into one file,
supabase/functions/<name>/bundle.js, that \`supabase functions deploy\` and the local stack run.
  name     only these functions (default: all)
  --json   one JSON object per bundle`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, { json: { type: "boolean" } });
  const root = repoRoot();
  const known = await functionNames(root);
  for (const n of positionals) {
    if (!known.includes(n)) {
      throw new UsageError(`unknown function ${n} (known: ${known.join(", ")})`);
    }
  }
  for (const b of await bundleAll(root, positionals)) {
    const rel = b.path.slice(root.length);
    if (values.json) console.log(JSON.stringify({ ...b, path: rel }));
    else {console.log(
        `${b.name.padEnd(22)} ${(b.bytes / 1024).toFixed(1).padStart(7)} KiB  ${rel}  (${
          b.npm.join(", ")
        })`,
      );}
  }
}

if (import.meta.main) await runCli(main);

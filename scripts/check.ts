/**
 * `deno task check [fmt|lint|types]...`: the project's static checks (`deno fmt --check`, `deno lint`,
 * `deno check shared/ scripts/ tests/`), each in turn; exit code 1 when one fails.
 * `deno task typecheck` is `check types`.
 */

import { parseCli, repoRoot, runCli, UsageError } from "./lib/cli/run_cli.ts";

const STEPS: Record<string, string[]> = {
  fmt: ["fmt", "--check"],
  lint: ["lint"],
  types: ["check", "shared/", "scripts/", "tests/", "supabase/functions/"],
};

const HELP = `usage: deno task check [fmt|lint|types]...
Static checks, in turn: fmt (deno fmt --check), lint (deno lint), types (deno check shared/ scripts/
tests/). Default: all three. Exit code 1 when one fails. \`deno task typecheck\` runs types alone.`;

/** Runs `deno task check`; returns 1 when a step failed. */
export async function main(args: string[]): Promise<number> {
  const { positionals } = parseCli(args, HELP, {});
  const wanted = positionals.length ? positionals : Object.keys(STEPS);
  const unknown = wanted.filter((s) => !(s in STEPS));
  if (unknown.length) {
    throw new UsageError(`unknown check ${unknown.join(", ")} (checks: fmt, lint, types)`);
  }
  for (const step of wanted) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: STEPS[step],
      cwd: repoRoot(),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(`error: check ${step} failed (deno ${STEPS[step].join(" ")})`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) await runCli(main);

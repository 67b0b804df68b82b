/**
 * Supabase CLI checks on a fresh throwaway database (what CI runs): installs the pinned CLI into
 * .cache/supabase-cli when missing, applies the local prelude, then
 *   1. `supabase migration up --db-url` (every migration),
 *   2. `supabase migration up --db-url` again (nothing left to apply),
 *   3. `supabase db lint --db-url --fail-on error`,
 *   4. every migration re-run once more over the applied schema (they are written to be re-runnable),
 *   5. `supabase db reset --db-url` (drops and re-applies migrations + seed).
 * Prints one line per step (or one JSON object with `--json`); exit code 1 when a step failed.
 *
 * Usage: `deno task db:cli-check [--json]`
 */

import { parseCli, repoRoot, runCli, UsageError } from "../lib/cli/run_cli.ts";
import { startTestDatabase } from "./harness.ts";
import { applyDatabase } from "./migrate.ts";

/** The Supabase CLI version this project is checked with. */
export const SUPABASE_CLI_VERSION = "2.117.0";

const HELP = `usage: deno task db:cli-check [--json]
Runs the Supabase CLI (supabase@${SUPABASE_CLI_VERSION}, installed into .cache/ on first use) against a fresh
throwaway database: migration up (twice), db lint --fail-on error, every migration re-run over the
applied schema, db reset. Needs Postgres binaries and npm. Exit code 1 when a step fails.
  --json   one JSON object {steps: [{name, ok, detail}], failed} instead of text lines`;

const ROOT = repoRoot();
const CLI_DIR = `${ROOT}.cache/supabase-cli`;
const CLI = `${CLI_DIR}/node_modules/.bin/supabase`;

/** Installs the pinned Supabase CLI from npm into .cache/supabase-cli unless already there. */
export async function ensureSupabaseCli(log: (line: string) => void = () => {}): Promise<string> {
  try {
    const out = await new Deno.Command(CLI, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    if (new TextDecoder().decode(out.stdout).trim() === SUPABASE_CLI_VERSION) return CLI;
  } catch { /* not installed */ }
  log(`cli-check: installing supabase@${SUPABASE_CLI_VERSION} into ${CLI_DIR}`);
  await Deno.mkdir(CLI_DIR, { recursive: true });
  const out = await new Deno.Command("npm", {
    args: [
      "i",
      "-E",
      "--no-audit",
      "--no-fund",
      "--prefix",
      CLI_DIR,
      `supabase@${SUPABASE_CLI_VERSION}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `npm i supabase@${SUPABASE_CLI_VERSION} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return CLI;
}

async function cli(args: string[]): Promise<{ ok: boolean; text: string }> {
  const out = await new Deno.Command(CLI, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  }).output();
  const text = (new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr)).trim();
  return { ok: out.success, text };
}

/** One checked step. */
export interface CheckStep {
  name: string;
  ok: boolean;
  /** The CLI's output when the step failed, else "". */
  detail: string;
}

/**
 * Runs every check; returns the number of failed steps. `log` receives progress lines, `onStep` each
 * step's result (default: printed as `ok: <name>` / `FAILED: <name>` and the output).
 */
export async function runCliChecks(
  log: (line: string) => void = console.log,
  onStep: (s: CheckStep) => void = (s) =>
    log(`${s.ok ? "ok" : "FAILED"}: ${s.name}${s.detail ? `\n${s.detail}` : ""}`),
): Promise<number> {
  await ensureSupabaseCli(log);
  const db = await startTestDatabase({ empty: true });
  let failed = 0;
  const step = (name: string, ok: boolean, detail = "") => {
    onStep({ name, ok, detail });
    if (!ok) failed++;
    return ok;
  };
  try {
    await applyDatabase(db.url, { root: ROOT, migrations: false });
    const url = `${db.url}?sslmode=disable`;
    const up = await cli(["migration", "up", "--db-url", url]);
    if (
      !step("supabase migration up", up.ok && /up to date/i.test(up.text), up.ok ? "" : up.text)
    ) {
      return failed;
    }
    const again = await cli(["migration", "up", "--db-url", url]);
    step(
      "supabase migration up again applies nothing",
      again.ok && !/Applying migration/.test(again.text),
      again.ok ? "" : again.text,
    );
    const lint = await cli(["db", "lint", "--db-url", url, "--fail-on", "error"]);
    step("supabase db lint --fail-on error", lint.ok, lint.ok ? "" : lint.text);
    try {
      await applyDatabase(db.url, { root: ROOT, force: true, seed: true });
      step("migrations and seed re-run over the applied schema", true);
    } catch (e) {
      step("migrations and seed re-run over the applied schema", false, (e as Error).message);
    }
    const reset = await cli(["db", "reset", "--db-url", url, "--yes"]);
    step("supabase db reset", reset.ok, reset.ok ? "" : reset.text);
  } finally {
    await db.stop();
  }
  return failed;
}

/** Runs `deno task db:cli-check`; returns 1 when a step failed. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, HELP, { json: { type: "boolean" } });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (values.json) {
    const steps: CheckStep[] = [];
    const failed = await runCliChecks((l) => console.error(l), (s) => steps.push(s));
    console.log(JSON.stringify({ steps, failed }));
    return failed ? 1 : 0;
  }
  const failed = await runCliChecks();
  console.log(failed ? `cli-check: ${failed} step(s) failed` : "cli-check: all steps passed");
  return failed ? 1 : 0;
}

if (import.meta.main) await runCli(main);

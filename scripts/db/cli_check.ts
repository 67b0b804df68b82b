/**
 * Supabase CLI checks on a fresh throwaway database (what CI runs): installs the pinned CLI into
 * .cache/supabase-cli when missing, applies the local prelude, then
 *   1. `supabase migration up --db-url` (every migration),
 *   2. `supabase migration up --db-url` again (nothing left to apply),
 *   3. `supabase db lint --db-url --fail-on error`,
 *   4. every migration re-run once more over the applied schema (they are written to be re-runnable),
 *   5. `supabase db advisors --type all --level info` (Supabase's splinter lints): no ERROR or WARN
 *      beyond the documented exclusions (scripts/db/advisors.ts), and no stale exclusion,
 *   6. the advisors again after planting two defects (a public table anon reads without RLS, a
 *      function with a mutable search_path): both must be reported, so the check can fail,
 *   7. `supabase db reset --db-url` (drops and re-applies migrations + seed).
 * Prints one line per step (or one JSON object with `--json`); exit code 1 when a step failed.
 *
 * Usage: `deno task db:cli-check [--json]`
 */

import { withSql } from "../lib/cli/database.ts";
import { parseCli, repoRoot, runCli, UsageError } from "../lib/cli/run_cli.ts";
import {
  type AdvisorVerdict,
  classifyFindings,
  findingObject,
  formatFindings,
} from "./advisors.ts";
import { startTestDatabase } from "./harness.ts";
import { applyDatabase } from "./migrate.ts";

/** The Supabase CLI version this project is checked with. */
export const SUPABASE_CLI_VERSION = "2.117.0";

const HELP = `usage: deno task db:cli-check [--json]
Runs the Supabase CLI (supabase@${SUPABASE_CLI_VERSION}, installed into .cache/ on first use) against a fresh
throwaway database: migration up (twice), db lint --fail-on error, every migration re-run over the
applied schema, db advisors (splinter's lints; no ERROR or WARN beyond the documented exclusions),
the advisors again on planted defects, db reset. Needs Postgres binaries and npm. Exit code 1 when a
step fails.
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

async function cli(args: string[]): Promise<{ ok: boolean; text: string; stdout: string }> {
  const out = await new Deno.Command(CLI, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const text = (stdout + new TextDecoder().decode(out.stderr)).trim();
  return { ok: out.success, text, stdout };
}

/** `supabase db advisors` (all lints, every level) on `url`, sorted by the project's exclusions. */
async function advisors(url: string): Promise<AdvisorVerdict> {
  const r = await cli([
    "db",
    "advisors",
    "--db-url",
    url,
    "--type",
    "all",
    "--level",
    "info",
    "--fail-on",
    "none",
    "--output-format",
    "json",
  ]);
  if (!r.ok) throw new Error(`supabase db advisors failed: ${r.text}`);
  try {
    return classifyFindings(JSON.parse(r.stdout));
  } catch (e) {
    throw new Error(`supabase db advisors: unreadable output (${(e as Error).message}): ${r.text}`);
  }
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
    try {
      const v = await advisors(url);
      log(
        `advisors: ${v.excluded.length} intended findings excluded, ${v.info.length} INFO, ` +
          `${v.failing.length} ERROR/WARN`,
      );
      if (v.info.length) log(formatFindings(v.info));
      step(
        "supabase db advisors: no ERROR or WARN beyond the documented exclusions",
        v.failing.length === 0 && v.stale.length === 0,
        [
          formatFindings(v.failing),
          ...v.stale.map((s) => `stale exclusion (no such finding any more): ${s}`),
        ].filter(Boolean).join("\n"),
      );
      await withSql(
        db.url,
        (sql) =>
          sql.unsafe(`create table public.advisor_canary (id integer primary key);
          grant select on public.advisor_canary to anon;
          create function public.advisor_canary_fn() returns integer language sql as 'select 1';`),
      );
      const planted = await advisors(url);
      const caught = (lint: string, object: string) =>
        planted.failing.some((f) => f.name === lint && findingObject(f) === object);
      const both = caught("rls_disabled_in_public", "public.advisor_canary") &&
        caught("function_search_path_mutable", "public.advisor_canary_fn");
      step(
        "supabase db advisors report planted defects (anon reads a table without RLS; mutable search_path)",
        both,
        both ? "" : `reported instead:\n${formatFindings(planted.failing)}`,
      );
      await withSql(
        db.url,
        (sql) =>
          sql.unsafe(`drop table public.advisor_canary; drop function public.advisor_canary_fn();`),
      );
    } catch (e) {
      step("supabase db advisors", false, (e as Error).message);
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

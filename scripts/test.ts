/**
 * The project's test command (`deno task test`): starts a throwaway Postgres, runs every Deno test and
 * the pgTAP suite, then prints one closing line `N passed, N failed[, N skipped]` that CI reads.
 *
 * Tests run with TMPDIR set to a fresh folder; anything left in it afterwards counts as one failure
 * (and is removed), so a run leaves nothing in /tmp.
 *
 * Env: CI=true makes missing pg_cron/pgTAP a failure instead of a skip.
 */

import { HelpRequested, runCli } from "./lib/cli/run_cli.ts";

import { existsSync } from "node:fs";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const root = new URL("..", import.meta.url).pathname;
const inCi = Deno.env.get("CI") === "true";

/** Reads the totals out of Deno's JUnit report. */
function junitCounts(xml: string): Counts {
  const head = xml.match(/<testsuites\b[^>]*>/)?.[0] ?? "";
  const attr = (name: string) => Number(head.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
  const skipped = (xml.match(/<skipped\b/g) ?? []).length;
  const total = attr("tests");
  const failed = attr("failures") + attr("errors");
  return { passed: total - failed - skipped, failed, skipped };
}

const unescapeXml = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))).replace(/&amp;/g, "&");

/**
 * Lists each failed test of Deno's JUnit report as `file > name: first line of the message`, so
 * the last lines a CI log keeps name what failed (Deno's own failure list scrolls away under the
 * pgTAP output).
 */
export function junitFailures(xml: string): string[] {
  const out: string[] = [];
  const re =
    /<testcase name="([^"]*)" classname="([^"]*)"[^>]*>\s*<(failure|error) message="([^"]*)"/g;
  for (const m of xml.matchAll(re)) {
    const message = unescapeXml(m[4]).split("\n")[0].slice(0, 300);
    out.push(`${unescapeXml(m[2])} > ${unescapeXml(m[1])}: ${message}`);
  }
  return out;
}

async function runDenoTests(
  env: Record<string, string>,
  filters: string[],
  failures: string[],
): Promise<Counts> {
  const junit = `${root}.test-results/junit.xml`;
  await Deno.mkdir(`${root}.test-results`, { recursive: true });
  try {
    await Deno.remove(junit);
  } catch { /* first run */ }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", `--junit-path=${junit}`, ...filters],
    cwd: root,
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  if (!existsSync(junit)) {
    console.error(`deno test exited with code ${status.code} and wrote no report`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const xml = await Deno.readTextFile(junit);
  const counts = junitCounts(xml);
  failures.push(...junitFailures(xml));
  if (!status.success && counts.failed === 0) counts.failed = 1; // e.g. a type error before any test ran
  return counts;
}

const HELP = `usage: deno task test [deno test arguments...]
Starts a throwaway Postgres, runs every Deno test and (with no arguments) the pgTAP suite, and ends
with one line "N passed, N failed[, N skipped]". Arguments go to \`deno test\` (e.g. a folder
tests/cli/ or --filter "name"). Env CI=true: missing pg_cron or pgTAP is a failure.`;

async function main(args: string[]): Promise<number> {
  const end = args.indexOf("--");
  const head = end < 0 ? args : args.slice(0, end);
  if (head.includes("--help") || head.includes("-h")) throw new HelpRequested(HELP);
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (c: Counts) => {
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  };
  const env: Record<string, string> = {};
  const failures: string[] = [];
  const harnessPath = `${root}scripts/db/harness.ts`;
  // deno-lint-ignore no-explicit-any
  let db: any = null;
  // deno-lint-ignore no-explicit-any
  let harness: any = null;
  if (existsSync(harnessPath)) {
    harness = await import(harnessPath);
    // pg_cron's jobs stay registered but never fire on the wall clock in this shared database:
    // tests run a job's SQL themselves when they need it (see harness.holdCronJobs).
    db = await harness.startTestDatabase({
      log: (l: string) => console.error(l),
      holdCronJobs: true,
    });
    env.TEST_DATABASE_URL = db.url;
    if (inCi && (!db.pgCron || !db.pgTap)) {
      console.error(`CI needs pg_cron and pgTAP (pg_cron=${db.pgCron}, pgTAP=${db.pgTap})`);
      total.failed += 1;
    }
  }
  // Tests get their own temp folder: whatever they leave behind is reported and removed.
  const tmp = await Deno.makeTempDir({ prefix: "wyckoff-test-" });
  await Deno.chmod(tmp, 0o755); // the postgres OS user must reach the clusters tests start in it
  env.TMPDIR = tmp;
  try {
    add(await runDenoTests(env, args, failures));
    const left: string[] = [];
    for await (const e of Deno.readDir(tmp)) left.push(e.name);
    if (left.length) {
      console.error(
        `tests left ${left.length} item(s) in their temp folder (removed): ${
          left.slice(0, 5).join(", ")
        }`,
      );
      failures.push(`temp folder: ${left.length} item(s) left behind`);
      total.failed += 1;
    }
    if (db && args.length === 0) {
      if (db.pgTap) {
        const r = await harness.runPgTap(db);
        console.log(r.output);
        add({ passed: r.passed, failed: r.failed, skipped: 0 });
        if (r.failed) failures.push(`pgTAP: ${r.failed} assertion(s) failed (see "not ok" above)`);
      } else {
        console.error("pgTAP/pg_prove not found: pgTAP suite skipped");
        total.skipped += 1;
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await db?.stop();
  }
  for (const f of failures) console.log(`FAILED ${f}`);
  const skipped = total.skipped ? `, ${total.skipped} skipped` : "";
  console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

if (import.meta.main) await runCli(main);

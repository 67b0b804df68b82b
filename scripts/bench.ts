/**
 * `deno task bench [part...]`: runs the benchmarks, each in its own process (so peak memory is per
 * part), and prints their figures. Parts: candles, indicators, analyzer, elliott, backtest, db, chart, discord, pipeline, relay.
 */

import { parseCli, repoRoot, runCli, UsageError } from "./lib/cli/run_cli.ts";

const PARTS: Record<string, string> = {
  candles: "scripts/bench/candles.ts",
  indicators: "scripts/bench/indicators.ts",
  analyzer: "scripts/bench/analyzer.ts",
  elliott: "scripts/bench/patterns_elliott.ts",
  backtest: "scripts/bench/backtest.ts",
  db: "scripts/bench/db.ts",
  chart: "scripts/bench/chart.ts",
  discord: "scripts/bench/discord.ts",
  pipeline: "scripts/bench/pipeline.ts",
  relay: "scripts/bench/relay.ts",
};

const HELP = `usage: deno task bench [part...] [-- part options]
Runs the speed and memory benchmarks, each part in its own process, and prints their figures
(figures measured while other work runs are noisy: note the load beside them).
Parts: ${Object.keys(PARTS).join(", ")} (default: all; db needs Postgres binaries).
Arguments after -- go to the one part named, e.g. deno task bench pipeline -- --poll-delay 0
(deno task bench pipeline -- --help lists that part's options).`;

/** Runs `deno task bench`; returns 1 when a part failed. */
export async function main(args: string[]): Promise<number> {
  const end = args.indexOf("--");
  const partArgs = end < 0 ? [] : args.slice(end + 1);
  const { positionals } = parseCli(end < 0 ? args : args.slice(0, end), HELP, {});
  const wanted = positionals.length ? positionals : Object.keys(PARTS);
  const unknown = wanted.filter((p) => !(p in PARTS));
  if (unknown.length) {
    throw new UsageError(
      `unknown benchmark ${unknown.join(", ")} (parts: ${Object.keys(PARTS).join(", ")})`,
    );
  }
  if (partArgs.length && wanted.length !== 1) {
    throw new UsageError("arguments after -- need exactly one part, e.g. bench pipeline -- --help");
  }
  let failed = 0;
  for (const part of wanted) {
    console.log(`\n== ${part} (${PARTS[part]})`);
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", PARTS[part], ...partArgs],
      cwd: repoRoot(),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(`benchmark ${part} exited with code ${code}`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.main) await runCli(main);

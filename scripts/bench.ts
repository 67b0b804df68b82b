/**
 * `deno task bench [part...]`: runs the benchmarks, each in its own process (so peak memory is per
 * part), and prints their figures. Parts: candles, indicators, analyzer, elliott, backtest, db.
 */

const PARTS: Record<string, string> = {
  candles: "scripts/bench/candles.ts",
  indicators: "scripts/bench/indicators.ts",
  analyzer: "scripts/bench/analyzer.ts",
  elliott: "scripts/bench/patterns_elliott.ts",
  backtest: "scripts/bench/backtest.ts",
  db: "scripts/bench/db.ts",
};

const root = new URL("..", import.meta.url).pathname;
const wanted = Deno.args.length ? Deno.args : Object.keys(PARTS);
const unknown = wanted.filter((p) => !(p in PARTS));
if (unknown.length) {
  console.error(
    `error: unknown benchmark ${unknown.join(", ")} (parts: ${Object.keys(PARTS).join(", ")})`,
  );
  Deno.exit(1);
}
let failed = 0;
for (const part of wanted) {
  console.log(`\n== ${part} (${PARTS[part]})`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PARTS[part]],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`benchmark ${part} exited with code ${code}`);
    failed++;
  }
}
Deno.exit(failed ? 1 : 0);

/**
 * Backtest benchmark (prints figures): the CLI end to end on BTCUSDT 1h 2024 (wall time including
 * process start), the engine over 1,000,000 candles with every analyzer method on, the simulation
 * loop alone, and `--walk-forward 5 --grid` through the CLI.
 */

import { runBacktest } from "../../shared/backtest/run.ts";
import { DEFAULT_BACKTEST_SETTINGS } from "../../shared/backtest/settings.ts";
import { simulate } from "../../shared/backtest/simulate.ts";
import { DEFAULT_ANALYZER_CONFIG } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { tiledSeries } from "./tiled.ts";

const root = new URL("../../", import.meta.url).pathname;
const BTC_1H = "tests/fixtures/binance/BTCUSDT-1h-2024.json";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time (ms) of one CLI run, process start included; throws if it fails. */
async function cliWallMs(args: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/backtest.ts", ...args],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (out.code !== 0) {
    throw new Error(`backtest ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return ms;
}

/** Runs the backtest benchmarks and returns the figures. */
export async function benchBacktest(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  await cliWallMs([BTC_1H, "--no-progress"]); // warm the module cache
  const plain: number[] = [];
  for (let i = 0; i < 5; i++) plain.push(await cliWallMs([BTC_1H, "--no-progress"]));
  out["CLI BTCUSDT 1h 2024 (8784 bars), wall ms incl. process start (median of 5; target < 1000)"] =
    Math.round(median(plain));

  const wf: number[] = [];
  for (let i = 0; i < 3; i++) {
    wf.push(await cliWallMs([BTC_1H, "--walk-forward", "5", "--grid", "--no-progress"]));
  }
  out["CLI --walk-forward 5 --grid on BTCUSDT 1h 2024, wall ms (median of 3; target < 10000)"] =
    Math.round(median(wf));

  const n = 1_000_000;
  const big = tiledSeries(n);
  const engine: number[] = [];
  let trades = 0;
  runBacktest(big, DEFAULT_ANALYZER_CONFIG, DEFAULT_BACKTEST_SETTINGS); // JIT warm-up
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const run = runBacktest(big, DEFAULT_ANALYZER_CONFIG, DEFAULT_BACKTEST_SETTINGS);
    engine.push(performance.now() - t0);
    trades = run.metrics.all.trades;
  }
  const ems = median(engine);
  out["engine 1M candles, all analyzers on + simulation + metrics (ms, median of 5)"] = Math.round(
    ems,
  );
  out["engine throughput, median run (candles/s; target >= 1,000,000)"] = Math.round(
    n / (ems / 1000),
  );
  out["engine throughput, best run (candles/s)"] = Math.round(n / (Math.min(...engine) / 1000));
  out["trades over 1M candles"] = trades;

  const signals = analyzeSeries(big, DEFAULT_ANALYZER_CONFIG);
  const sim: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    simulate(big, signals, DEFAULT_BACKTEST_SETTINGS);
    sim.push(performance.now() - t0);
  }
  const sms = median(sim);
  out["simulation loop alone, 1M candles (ms, median of 5)"] = Number(sms.toFixed(1));
  out["simulation loop alone (candles/s)"] = Math.round(n / (sms / 1000));
  return out;
}

if (import.meta.main) {
  const figures = await benchBacktest();
  for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${v}`);
}

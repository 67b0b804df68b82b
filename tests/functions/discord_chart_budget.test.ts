/**
 * The chart budget of a discord-notify run: a cold instance renders few charts in its first run, a
 * warm one many; a chart slower than its estimate is charged its wall time; every run renders at
 * least one; the hard cap holds.
 */

import assert from "node:assert/strict";
import {
  ChartBudget,
  chartCpuEstimate,
} from "../../supabase/functions/discord-notify/chart_budget.ts";
import type { ChartRenderer } from "../../supabase/functions/discord-notify/chart_hook.ts";
import type { CardSignal } from "../../supabase/functions/_shared/db_api.ts";
import type { Deps } from "../../supabase/functions/_shared/deps.ts";
import { CHART_BUDGET_MS } from "../../supabase/functions/discord-notify/run.ts";

const png = new Uint8Array([1]);
const instant: ChartRenderer = () => Promise.resolve({ ok: true, png });
const slow = (ms: number): ChartRenderer => () =>
  new Promise((r) => setTimeout(() => r({ ok: false, error: "slow" }), ms));
const signal = {} as CardSignal;
const deps = {} as Deps;

/** Charts one run renders with `render` until the budget says no (at most 100). */
async function chartsOfRun(budget: ChartBudget, render: ChartRenderer): Promise<number> {
  const wrapped = budget.wrap(render);
  let n = 0;
  while (budget.allows() && n < 100) {
    await wrapped(signal, deps, "probability");
    n++;
  }
  return n;
}

Deno.test("a cold instance renders 3 charts in its first run, 10 in its second, then 17 a run once warm", async () => {
  assert.deepEqual([1, 2, 5, 6, 50].map(chartCpuEstimate), [600, 350, 350, 80, 80]);
  const instance = { rendered: 0 };
  const runs: number[] = [];
  for (let i = 0; i < 4; i++) {
    runs.push(await chartsOfRun(new ChartBudget(CHART_BUDGET_MS, 20, instance), instant));
  }
  // 600 + 350 + 350 = 1300 ≤ 1400; then the 4th and 5th at 350 and 8 × 80 = 1340; then 17 × 80.
  assert.deepEqual(runs, [3, 10, 17, 17]);
  assert.equal(instance.rendered, 47);
});

Deno.test("a chart slower than its estimate is charged its wall time; the first chart of a run always fits; the cap holds", async () => {
  const warm = { rendered: 100 };
  const budget = new ChartBudget(300, 20, warm);
  // Charged 80 each, 3 would fit (240 + 80 > 300 stops the 4th); charged ≥ 120, only 2.
  assert.equal(await chartsOfRun(budget, slow(120)), 2, "charged ≥ 120 ms each, not 80");
  assert.ok(budget.spentMs >= 240);
  assert.equal(budget.charts, 2);
  const tiny = new ChartBudget(10, 20, { rendered: 0 });
  assert.equal(await chartsOfRun(tiny, instant), 1, "one chart per run, so every run progresses");
  assert.equal(await chartsOfRun(new ChartBudget(1e9, 5, warm), instant), 5, "the hard cap");
});

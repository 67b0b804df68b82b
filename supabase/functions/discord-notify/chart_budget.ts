/**
 * How many charts one sender run may render inside Supabase's 2 s of CPU per request.
 *
 * What a chart costs depends on how warm the instance is (`deno task bench discord`, process CPU
 * including V8's background compiler threads): the first chart of an instance about 0.5 s
 * (compiling resvg's WebAssembly, a first render in V8's baseline tier), the next four about 0.3 s
 * each (V8 recompiles the hot WebAssembly functions with its optimising tier), then 35–55 ms
 * (p50–p99). So a run charges each chart the larger of an estimate for its place in the instance's
 * life ({@link chartCpuEstimate}, the figures above with a margin) and its measured wall time
 * (which bounds the main thread's CPU from above and grows on a slower CPU), and renders the next
 * chart only while the charges stay within the run's budget.
 */

import type { ChartRenderer } from "./chart_hook.ts";

/** How many charts an instance has rendered (a warm instance renders cheaply). */
export interface InstanceCharts {
  rendered: number;
}

/** This instance's (process's) count, shared by every run it serves. */
export const THIS_INSTANCE: InstanceCharts = { rendered: 0 };

/**
 * Estimated CPU (ms) of the `k`-th chart (1-based) an instance renders: 600 for the first, 350 for
 * the 2nd to 5th, 80 after (measured about 520, 250–380 and 35–55 ms; see the module doc).
 */
export function chartCpuEstimate(k: number): number {
  return k <= 1 ? 600 : k <= 5 ? 350 : 80;
}

/** The chart budget of one run (see the module doc). */
export class ChartBudget {
  readonly #budgetMs: number;
  readonly #maxCharts: number;
  readonly #instance: InstanceCharts;
  #spentMs = 0;
  #charts = 0;

  /**
   * `budgetMs`: estimated CPU the run may spend on charts; `maxCharts`: a hard cap on their number;
   * `instance`: the charts its instance rendered before (default: this process's count).
   */
  constructor(budgetMs: number, maxCharts: number, instance: InstanceCharts = THIS_INSTANCE) {
    this.#budgetMs = budgetMs;
    this.#maxCharts = maxCharts;
    this.#instance = instance;
  }

  /** Charts rendered (or attempted) in this run. */
  get charts(): number {
    return this.#charts;
  }

  /** Estimated CPU charged so far (ms). */
  get spentMs(): number {
    return this.#spentMs;
  }

  /**
   * True when one more chart fits the run: its estimate within the budget and under the cap. The
   * first chart of a run always fits, so every run makes progress.
   */
  allows(): boolean {
    if (this.#charts === 0) return true;
    return this.#charts < this.#maxCharts &&
      this.#spentMs + chartCpuEstimate(this.#instance.rendered + 1) <= this.#budgetMs;
  }

  /** `render`, timed and charged to this budget. */
  wrap(render: ChartRenderer): ChartRenderer {
    return async (signal, deps, confidence) => {
      const estimate = chartCpuEstimate(this.#instance.rendered + 1);
      const t0 = performance.now();
      try {
        return await render(signal, deps, confidence);
      } finally {
        this.#instance.rendered++;
        this.#charts++;
        this.#spentMs += Math.max(estimate, performance.now() - t0);
      }
    };
  }
}

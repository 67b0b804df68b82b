/** Joins simulations of consecutive windows into one result (e.g. walk-forward test folds). */

import type { SimulationResult } from "./types.ts";

/** Error for results that are not consecutive windows of one series. */
export class ChainError extends Error {
  override name = "ChainError";
}

/**
 * Concatenates results whose windows follow each other (`a.end === b.start`); equity, trades and
 * counts are joined, initial equity is the first result's and final equity the last's.
 */
export function chainResults(results: readonly SimulationResult[]): SimulationResult {
  if (results.length === 0) throw new ChainError("no results to chain");
  for (let i = 1; i < results.length; i++) {
    if (results[i].start !== results[i - 1].end) {
      throw new ChainError(`windows are not consecutive at result ${i}`);
    }
  }
  const first = results[0];
  const last = results[results.length - 1];
  const equity = new Float64Array(last.end - first.start);
  let off = 0;
  for (const r of results) {
    equity.set(r.equity, off);
    off += r.equity.length;
  }
  return {
    start: first.start,
    end: last.end,
    initialEquity: first.initialEquity,
    finalEquity: last.finalEquity,
    equity,
    exposedBars: results.reduce((s, r) => s + r.exposedBars, 0),
    signalCount: results.reduce((s, r) => s + r.signalCount, 0),
    trades: results.flatMap((r) => r.trades),
    skipped: results.flatMap((r) => r.skipped),
    feesPaid: results.reduce((s, r) => s + r.feesPaid, 0),
  };
}

/** Assertions for the backtest tests, built on node:assert (jsr's @std/assert is unreachable here). */

import nodeAssert from "node:assert/strict";

/** Fails unless `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** Fails unless `actual` deep-equals `expected`. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Fails unless |actual − expected| ≤ tolerance (default 1e-9 relative to the larger magnitude, min 1e-12). */
export function assertAlmostEquals(actual: number, expected: number, tolerance?: number): void {
  const tol = tolerance ?? Math.max(1e-12, 1e-9 * Math.max(Math.abs(actual), Math.abs(expected)));
  if (!(Math.abs(actual - expected) <= tol)) {
    nodeAssert.fail(`expected ${actual} to be within ${tol} of ${expected}`);
  }
}

/** Fails unless `fn` throws an error whose message matches `pattern`. */
export function assertThrows(fn: () => unknown, pattern: RegExp): void {
  nodeAssert.throws(fn, (e: unknown) => e instanceof Error && pattern.test(e.message));
}

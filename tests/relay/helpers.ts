/** Small helpers shared by the relay tests. */

import assert from "node:assert/strict";

/** Awaits `fn`, asserts it rejects with an instance of `type`, and returns the error. */
export async function rejectsWith<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    assert.ok(
      e instanceof type,
      `expected ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    return e;
  }
  throw new assert.AssertionError({ message: `expected a ${type.name}, nothing was thrown` });
}

/** Polls `check` every 20 ms until it returns true; fails after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

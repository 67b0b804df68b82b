/** Reading numbers from option values, with one-line errors naming the option. */

import { UsageError } from "./run_cli.ts";

/** `v` as a finite number; throws {@link UsageError} `--<name>: not a number: <v>`. */
export function numberOption(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${name}: not a number: ${v}`);
  return n;
}

/** `v` as an integer ≥ 1; throws {@link UsageError} naming the option. */
export function positiveInt(name: string, v: string): number {
  if (!/^[1-9][0-9]*$/.test(v.trim())) {
    throw new UsageError(`--${name}: expected a positive integer, got ${v}`);
  }
  return Number(v);
}

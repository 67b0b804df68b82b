/** Decimal-number parsing for text candle fields. */

import { CandleError } from "./errors.ts";

/**
 * Parses a decimal string (e.g. `"42283.58000000"`) or passes a number through. Rejects empty text,
 * text that is not a number, surrounding blanks and words such as `"Infinity"` with CandleError
 * (rule `"number"`). Cheap checks only (it runs on millions of fields); range rules are
 * {@link validateCandles}'s job.
 */
export function toNumber(value: string | number, row: number | null, field: string): number {
  if (typeof value === "number") return value;
  const v = +value;
  if (v !== v || !plausibleEnds(value)) {
    const shown = JSON.stringify(value);
    throw new CandleError(row, "number", `${field} is not a decimal number (${field}=${shown})`);
  }
  return v;
}

function plausibleEnds(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  const a = s.charCodeAt(0);
  const z = s.charCodeAt(n - 1);
  // first: digit, "+", "-", "."; last: digit or "."
  return ((a >= 48 && a <= 57) || a === 43 || a === 45 || a === 46) &&
    ((z >= 48 && z <= 57) || z === 46);
}

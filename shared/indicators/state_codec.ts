/** JSON-safe encoding of indicator state numbers (NaN ↔ null) and the checks used when restoring state. */

/** A number as stored in an indicator state: `null` stands for NaN (JSON has no NaN). */
export type StateNumber = number | null;

/** Encodes a number for a JSON state: NaN (and ±Infinity, which JSON cannot hold) become null. */
export function encodeNumber(x: number): StateNumber {
  return Number.isFinite(x) ? x : null;
}

/** Decodes a state number: null becomes NaN; anything else must be a finite number. */
export function decodeNumber(x: unknown, what: string): number {
  if (x === null) return NaN;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new Error(`invalid indicator state: ${what} must be a finite number or null`);
  }
  return x;
}

/** Encodes a list of numbers for a JSON state. */
export function encodeNumbers(xs: ArrayLike<number>): StateNumber[] {
  const out: StateNumber[] = new Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = encodeNumber(xs[i]);
  return out;
}

/** Decodes a list of state numbers (null → NaN). */
export function decodeNumbers(x: unknown, what: string): number[] {
  if (!Array.isArray(x)) throw new Error(`invalid indicator state: ${what} must be an array`);
  return x.map((v, i) => decodeNumber(v, `${what}[${i}]`));
}

/** Checks that a state value is a plain object and returns it as a record. */
export function stateObject(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) {
    throw new Error(`invalid indicator state: ${what} must be an object`);
  }
  return x as Record<string, unknown>;
}

/** Reads a non-negative integer field of a state (counts). */
export function stateCount(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) {
    throw new Error(`invalid indicator state: ${what} must be a non-negative integer`);
  }
  return x;
}

/** Checks an indicator period: an integer ≥ `min` (1 unless stated). */
export function checkPeriod(period: number, what: string, min = 1): number {
  if (!Number.isSafeInteger(period) || period < min) {
    throw new Error(`${what} must be an integer ≥ ${min}, got ${period}`);
  }
  return period;
}

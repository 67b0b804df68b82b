/** Allocation-light scanning of numeric CSV text for the candle CSV parsers. */

import { CandleError } from "./errors.ts";

const POW10: number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_EXACT = 2 ** 53;

/**
 * The number written in `text[start, end)`, or NaN when it is not a plain decimal. Plain decimals
 * (`-?\d+(\.\d*)?` with < 2^53 as digits) are read without making a substring: digits / 10^k is
 * exactly what `Number()` returns (both operands exact, one correctly rounded division); anything
 * else (exponents, long mantissas) goes through `Number()` with the same checks as `toNumber`.
 */
export function decimalAt(text: string, start: number, end: number): number {
  let i = start;
  let sign = 1;
  const first = text.charCodeAt(i);
  if (first === 45 || first === 43) {
    if (first === 45) sign = -1;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) {
      frac = 0;
    } else {
      return slowDecimal(text, start, end);
    }
  }
  if (digits === 0) return NaN;
  if (m >= MAX_EXACT || frac > 22) return slowDecimal(text, start, end);
  return sign * (frac > 0 ? m / POW10[frac] : m);
}

function slowDecimal(text: string, start: number, end: number): number {
  const s = text.slice(start, end);
  const a = s.charCodeAt(0);
  const z = s.charCodeAt(s.length - 1);
  const ends = ((a >= 48 && a <= 57) || a === 43 || a === 45 || a === 46) &&
    ((z >= 48 && z <= 57) || z === 46);
  return ends ? +s : NaN;
}

/**
 * Reads the numeric CSV rows of `text` from offset `pos`: each line must have `names.length` fields;
 * the first `parsed` fields are read as numbers into `values` and `onRow(row, values)` is called
 * (row 0-based from `pos`). Accepts `\n` and `\r\n`, ignores trailing blank lines, and throws
 * CandleError (`csv_columns`, `number`, `csv_blank`); `lineOffset` is the number of lines before `pos`.
 */
export function scanNumericCsv(
  text: string,
  pos: number,
  lineOffset: number,
  names: readonly string[],
  parsed: number,
  onRow: (row: number, values: Float64Array) => void,
): void {
  const columns = names.length;
  const values = new Float64Array(parsed);
  const n = text.length;
  let row = 0;
  while (pos < n) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = n;
    let end = eol;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    if (isBlank(text, pos, end)) {
      if (!isBlank(text, eol, n)) {
        const line = lineOffset + row + 1;
        throw new CandleError(row, "csv_blank", `blank line ${line} inside the data`);
      }
      return;
    }
    let a = pos;
    let col = 0;
    while (true) {
      let b = text.indexOf(",", a);
      if (b < 0 || b > end) b = end;
      if (col < parsed) {
        const v = decimalAt(text, a, b);
        if (v !== v) {
          const f = names[col];
          const shown = JSON.stringify(text.slice(a, b));
          throw new CandleError(row, "number", `${f} is not a decimal number (${f}=${shown})`);
        }
        values[col] = v;
      }
      col++;
      if (b >= end) break;
      a = b + 1;
    }
    if (col !== columns) {
      throw new CandleError(
        row,
        "csv_columns",
        `expected ${columns} columns (${names.join(",")}), got ${col}`,
      );
    }
    onRow(row, values);
    row++;
    pos = eol + 1;
  }
}

function isBlank(text: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

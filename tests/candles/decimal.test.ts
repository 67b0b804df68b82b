/** decimalAt and toNumber read decimal text exactly as Number() does and reject non-numbers. */

import assert from "node:assert/strict";
import { decimalAt } from "../../shared/candles/csv_scan.ts";
import { toNumber } from "../../shared/candles/decimal.ts";
import { CandleError } from "../../shared/candles/errors.ts";
import { fixtureRows } from "./fixture.ts";

const at = (s: string) => decimalAt(s, 0, s.length);

Deno.test("decimalAt equals Number() on every numeric field of every real fixture", () => {
  let checked = 0;
  for (const entry of Deno.readDirSync(new URL("../fixtures/binance/", import.meta.url))) {
    for (const row of fixtureRows(entry.name) as unknown[][]) {
      for (let c = 0; c < 11; c++) {
        const s = String(row[c]);
        assert.equal(at(s), Number(s), `${entry.name}: ${s}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 400_000);
});

Deno.test("decimalAt reads signs, bare fractions, long mantissas and exponents like Number()", () => {
  for (
    const s of [
      "0",
      "-1.5",
      "+2.25",
      ".5",
      "7.",
      "0.1",
      "0.30000000000000004",
      "345054272.10398644",
      "123456789012345678901234567890",
      "1e5",
      "2.5E-3",
      "0.00000001",
    ]
  ) assert.equal(at(s), Number(s), s);
  assert.equal(decimalAt("x,42.5,y", 2, 6), 42.5);
});

Deno.test("decimalAt gives NaN for text that is not a decimal number", () => {
  for (
    const s of ["", "-", ".", "1.2.3", "abc", "1,5", " 1", "1 ", "Infinity", "NaN", "0x1f", "1e"]
  ) {
    assert.ok(Number.isNaN(at(s)), JSON.stringify(s));
  }
});

Deno.test("toNumber passes numbers through and names the field of a bad string", () => {
  assert.equal(toNumber(3, 0, "open"), 3);
  assert.equal(toNumber("42283.58000000", 0, "open"), 42283.58);
  assert.throws(
    () => toNumber("Infinity", 4, "high"),
    (e: unknown) =>
      e instanceof CandleError && e.rule === "number" &&
      e.message === 'row 4: high is not a decimal number (high="Infinity")',
  );
});

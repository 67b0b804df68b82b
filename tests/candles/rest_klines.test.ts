/** parseRestKlines on real Binance REST rows and on malformed rows. */

import assert from "node:assert/strict";
import { CandleError } from "../../shared/candles/errors.ts";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { fixtureRows } from "./fixture.ts";

function rejects(rows: unknown, rule: string, message: string): void {
  assert.throws(
    () => parseRestKlines(rows),
    (e: unknown) => e instanceof CandleError && e.rule === rule && e.message === message,
  );
}

Deno.test("REST rows of the real BTCUSDT 1h 2024 fixture parse into candles with every field", () => {
  const candles = parseRestKlines(fixtureRows("BTCUSDT-1h-2024.json"));
  assert.equal(candles.length, 8784);
  assert.deepEqual(candles[0], {
    openTime: 1704067200000,
    open: 42283.58,
    high: 42554.57,
    low: 42261.02,
    close: 42475.23,
    volume: 1271.68108,
    closeTime: 1704070799999,
    quoteVolume: 53957248.973789,
    trades: 47134,
    takerBuyBase: 682.57581,
    takerBuyQuote: 28957416.819645,
  });
  assert.equal(candles[8783].openTime, Date.UTC(2024, 11, 31, 23));
});

Deno.test("numeric (not string) prices are accepted", () => {
  const [c] = parseRestKlines([[
    1_704_067_200_000,
    1,
    2,
    0.5,
    1.5,
    10,
    1_704_067_259_999,
    15,
    3,
    4,
    6,
    "0",
  ]]);
  assert.equal(c.high, 2);
  assert.equal(c.takerBuyQuote, 6);
});

Deno.test("a row with too few or too many columns is rejected with its row (rule shape)", () => {
  const rows = fixtureRows("BTCUSDT-1h-2024.json").slice(0, 3) as unknown[][];
  rejects(
    [rows[0], rows[1].slice(0, 6)],
    "shape",
    "row 1: Too small: expected array to have >=12 items",
  );
  rejects([[...rows[0], "x"]], "shape", "row 0: Too big: expected array to have <=12 items");
});

Deno.test("a field of the wrong type is rejected naming the column (rule shape)", () => {
  const row = fixtureRows("BTCUSDT-1h-2024.json")[0] as unknown[];
  rejects(
    [row, row, ["1704067200000", ...row.slice(1)]],
    "shape",
    "row 2: column 1 (open_time): Invalid input: expected number, received string",
  );
  const noTrades = [...row];
  noTrades[8] = "47134";
  rejects(
    [noTrades],
    "shape",
    "row 0: column 9 (trades): Invalid input: expected number, received string",
  );
  rejects([{ open: 1 }], "shape", "row 0: Invalid input: expected tuple, received object");
});

Deno.test("a price that is not a decimal number is rejected (rule number)", () => {
  const row = [...fixtureRows("BTCUSDT-1h-2024.json")[0] as unknown[]];
  row[3] = "42,261.02";
  rejects([row], "number", 'row 0: low is not a decimal number (low="42,261.02")');
  row[3] = "";
  rejects([row], "number", 'row 0: low is not a decimal number (low="")');
  row[3] = " 1";
  rejects([row], "number", 'row 0: low is not a decimal number (low=" 1")');
});

Deno.test("input that is not an array is rejected without a row", () => {
  rejects({ rows: [] }, "shape", "expected an array of kline rows, got an object");
  assert.deepEqual(parseRestKlines([]), []);
});

/** validateCandles and assertInterval: each rule rejects its bad input with its own message. */

import assert from "node:assert/strict";
import { assertInterval } from "../../shared/candles/assert_interval.ts";
import { CandleError } from "../../shared/candles/errors.ts";
import type { Candle } from "../../shared/candles/types.ts";
import { validateCandles } from "../../shared/candles/validate.ts";
import { fixtureCandles } from "./fixture.ts";

const HOUR = 3_600_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00Z

function good(i: number): Candle {
  return {
    openTime: T0 + i * HOUR,
    open: 100,
    high: 110,
    low: 90,
    close: 105,
    volume: 5,
    closeTime: T0 + (i + 1) * HOUR - 1,
  };
}

/** Three good hourly candles with row 1 changed by `patch`. */
function withRow1(patch: Partial<Candle>): Candle[] {
  return [good(0), { ...good(1), ...patch }, good(2)];
}

function rejects(candles: Candle[], rule: string, message: string, interval?: "1h"): void {
  assert.throws(
    () => validateCandles(candles, interval),
    (e: unknown) => {
      assert.ok(e instanceof CandleError);
      assert.equal(e.rule, rule);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes("\n"));
      return true;
    },
  );
}

Deno.test("real Binance candles pass validation with their interval", () => {
  validateCandles(fixtureCandles("BTCUSDT-1h-2024.json"), "1h");
  validateCandles(fixtureCandles("BTCUSDT-1d-2020-2025.json"), "1d");
});

Deno.test("a non-positive or non-finite price is rejected (rule price)", () => {
  rejects(withRow1({ open: 0 }), "price", "row 1: open is not a positive finite number (open=0)");
  rejects(withRow1({ low: -1 }), "price", "row 1: low is not a positive finite number (low=-1)");
  rejects(
    withRow1({ close: NaN }),
    "price",
    "row 1: close is not a positive finite number (close=NaN)",
  );
  rejects(
    withRow1({ high: Infinity }),
    "price",
    "row 1: high is not a positive finite number (high=Infinity)",
  );
});

Deno.test("high below low is rejected (rule high_low)", () => {
  rejects(
    withRow1({ high: 1, low: 2, open: 1.5, close: 1.5 }),
    "high_low",
    "row 1: high < low (high=1, low=2)",
  );
});

Deno.test("high below open or close is rejected (rule high_oc)", () => {
  rejects(
    withRow1({ high: 104 }),
    "high_oc",
    "row 1: high < max(open, close) (high=104, open=100, close=105)",
  );
  rejects(
    withRow1({ open: 111 }),
    "high_oc",
    "row 1: high < max(open, close) (high=110, open=111, close=105)",
  );
});

Deno.test("low above open or close is rejected (rule low_oc)", () => {
  rejects(
    withRow1({ low: 101 }),
    "low_oc",
    "row 1: low > min(open, close) (low=101, open=100, close=105)",
  );
});

Deno.test("negative or non-finite volume is rejected and zero volume accepted (rule volume)", () => {
  rejects(
    withRow1({ volume: -0.5 }),
    "volume",
    "row 1: volume is negative or not finite (volume=-0.5)",
  );
  rejects(
    withRow1({ volume: NaN }),
    "volume",
    "row 1: volume is negative or not finite (volume=NaN)",
  );
  rejects(
    withRow1({ quoteVolume: -1 }),
    "volume",
    "row 1: quoteVolume is negative or not finite (quoteVolume=-1)",
  );
  validateCandles(withRow1({ volume: 0 }), "1h");
});

Deno.test("an open time off the interval grid is rejected (rule aligned)", () => {
  rejects(
    withRow1({ openTime: T0 + HOUR + 60_000, closeTime: T0 + 2 * HOUR - 1 }),
    "aligned",
    "row 1: open_time 1704070860000 (2024-01-01T01:01:00.000Z) is not aligned to 1h",
    "1h",
  );
  // Without an interval alignment is not checked.
  validateCandles(withRow1({ openTime: T0 + HOUR + 60_000, closeTime: T0 + 2 * HOUR - 1 }));
});

Deno.test("open times that do not strictly increase are rejected (rule order)", () => {
  rejects(
    [good(0), good(2), good(1)],
    "order",
    "row 2: open_time 1704070800000 (2024-01-01T01:00:00.000Z) is not after the previous row's " +
      "1704074400000 (2024-01-01T02:00:00.000Z)",
  );
  rejects(
    [good(0), good(0)],
    "order",
    "row 1: open_time 1704067200000 (2024-01-01T00:00:00.000Z) is not after the previous row's " +
      "1704067200000 (2024-01-01T00:00:00.000Z)",
  );
});

Deno.test("a fractional or negative open time is rejected (rule time)", () => {
  rejects(
    withRow1({ openTime: 1.5 }),
    "time",
    "row 1: open_time is not a non-negative integer ms timestamp (open_time=1.5)",
  );
});

Deno.test("a close time outside its candle is rejected (rule close_time)", () => {
  rejects(
    withRow1({ closeTime: T0 + 2 * HOUR }),
    "close_time",
    "row 1: close_time 1704074400000 is outside [1704070800000, 1704074399999]",
    "1h",
  );
  rejects(
    withRow1({ closeTime: T0 }),
    "close_time",
    "row 1: close_time 1704067200000 is before open_time 1704070800000",
  );
});

Deno.test("a candle that closed early is accepted", () => {
  // Real case: BTCUSDT 4h 2021-02-11T00:00Z closed at 03:40:54.773 (row 246 of the fixture).
  const candles = fixtureCandles("BTCUSDT-4h-2021Q1.json");
  const early = candles[246];
  assert.equal(early.closeTime, 1613014854773);
  assert.notEqual(early.closeTime, early.openTime + 4 * HOUR - 1);
  validateCandles(candles, "4h");
  validateCandles(withRow1({ closeTime: T0 + HOUR + 1 }), "1h");
});

Deno.test("an unknown interval is rejected and a known one returned (rule interval)", () => {
  assert.equal(assertInterval("1M"), "1M");
  assert.equal(assertInterval("15m"), "15m");
  assert.throws(
    () => assertInterval("2m"),
    (e: unknown) =>
      e instanceof CandleError && e.rule === "interval" && e.row === null &&
      e.message ===
        'unknown interval "2m" (expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M)',
  );
  assert.throws(() => assertInterval("1H"), CandleError);
});

Deno.test("an empty list is valid", () => {
  validateCandles([], "1h");
});

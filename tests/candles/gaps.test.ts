/** findGaps on the real fixtures, on fixtures with rows removed and on calendar months. */

import assert from "node:assert/strict";
import { countMissing, findGaps } from "../../shared/candles/gaps.ts";
import type { Interval } from "../../shared/candles/intervals.ts";
import { parseOhlcvCsv } from "../../shared/candles/ohlcv_csv.ts";
import { fixtureCandles, fixturePath } from "./fixture.ts";

const HOUR = 3_600_000;

const FIXTURES: [string, Interval][] = [
  ["BTCUSDT-15m-2025W02-W07.json", "15m"],
  ["BTCUSDT-1d-2020-2025.json", "1d"],
  ["BTCUSDT-1h-2024.json", "1h"],
  ["BTCUSDT-4h-2021Q1.json", "4h"],
  ["BTCUSDT-4h-2023-2024.json", "4h"],
  ["ETHUSDT-15m-2025W02-W07.json", "15m"],
  ["ETHUSDT-1h-2024H1.json", "1h"],
  ["SOLUSDT-15m-2025W02-W07.json", "15m"],
  ["SOLUSDT-1h-2024H1.json", "1h"],
];

Deno.test("the real Binance fixtures have no gaps", () => {
  for (const [name, interval] of FIXTURES) {
    const times = fixtureCandles(name).map((c) => c.openTime);
    assert.deepEqual(findGaps(times, interval), [], name);
  }
  const ohlcv = parseOhlcvCsv(
    Deno.readTextFileSync(fixturePath("ohlcv/BTCUSDT-1m-2021-02-19.csv")),
  );
  assert.deepEqual(findGaps(ohlcv.map((c) => c.openTime), "1m"), []);
});

Deno.test("rows removed from a real fixture show up as gaps with their bounds and count", () => {
  const candles = fixtureCandles("BTCUSDT-1h-2024.json");
  // Drop row 10 alone and rows 100..104 (5 candles).
  const kept = candles.filter((_, i) => i !== 10 && (i < 100 || i > 104));
  const gaps = findGaps(Float64Array.from(kept, (c) => c.openTime), "1h");
  assert.deepEqual(gaps, [
    {
      after: candles[9].openTime,
      from: candles[10].openTime,
      to: candles[10].openTime,
      missing: 1,
    },
    {
      after: candles[99].openTime,
      from: candles[100].openTime,
      to: candles[104].openTime,
      missing: 5,
    },
  ]);
  assert.equal(countMissing(gaps), 6);
});

Deno.test("monthly candles step by calendar month", () => {
  const months = [
    Date.UTC(2024, 0, 1),
    Date.UTC(2024, 1, 1),
    Date.UTC(2024, 4, 1),
    Date.UTC(2024, 5, 1),
  ];
  assert.deepEqual(findGaps(months, "1M"), [
    {
      after: Date.UTC(2024, 1, 1),
      from: Date.UTC(2024, 2, 1),
      to: Date.UTC(2024, 3, 1),
      missing: 2,
    },
  ]);
  assert.deepEqual(findGaps([Date.UTC(2023, 11, 1), Date.UTC(2024, 0, 1)], "1M"), []);
});

Deno.test("an open time off the grid ends the gap at the last grid time before it", () => {
  assert.deepEqual(findGaps([0, HOUR, 3 * HOUR + 60_000], "1h"), [
    { after: HOUR, from: 2 * HOUR, to: 3 * HOUR, missing: 2 },
  ]);
});

Deno.test("fewer than two candles or non-increasing times give no gaps", () => {
  assert.deepEqual(findGaps([], "1h"), []);
  assert.deepEqual(findGaps([HOUR], "1h"), []);
  assert.deepEqual(findGaps([2 * HOUR, HOUR], "1h"), []);
});

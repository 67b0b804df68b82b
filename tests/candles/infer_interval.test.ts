/** inferInterval: the most common spacing of open times, if it is a Binance interval. */

import assert from "node:assert/strict";
import { inferInterval } from "../../shared/candles/infer_interval.ts";
import { fixtureCandles } from "./fixture.ts";

Deno.test("the interval of each real fixture is inferred from its spacing", () => {
  const cases: [string, string][] = [
    ["BTCUSDT-15m-2025W02-W07.json", "15m"],
    ["BTCUSDT-1h-2024.json", "1h"],
    ["BTCUSDT-4h-2021Q1.json", "4h"],
    ["BTCUSDT-1d-2020-2025.json", "1d"],
  ];
  for (const [name, interval] of cases) {
    assert.equal(inferInterval(fixtureCandles(name).map((c) => c.openTime)), interval, name);
  }
});

Deno.test("gaps do not change the inferred interval", () => {
  const times = fixtureCandles("BTCUSDT-1h-2024.json").map((c) => c.openTime);
  const holed = times.filter((_, i) => i % 3 !== 0 || i < 10);
  assert.equal(inferInterval(holed), "1h");
});

Deno.test("month starts are 1M and weeks are 1w", () => {
  const months = Array.from({ length: 13 }, (_, m) => Date.UTC(2024, m, 1));
  assert.equal(inferInterval(months), "1M");
  const mondays = Array.from({ length: 5 }, (_, w) => Date.UTC(2024, 0, 1 + 7 * w));
  assert.equal(inferInterval(mondays), "1w");
});

Deno.test("no interval is inferred from one candle or an unknown spacing", () => {
  assert.equal(inferInterval([0]), null);
  assert.equal(inferInterval([]), null);
  assert.equal(inferInterval([0, 7 * 60_000, 14 * 60_000]), null);
});

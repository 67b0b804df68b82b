/** Rolling 1h candles up to 4h. */

import { resampleSeries } from "../../shared/backtest/resample.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { assertEquals, assertThrows } from "./assert.ts";

const H = 3_600_000;

Deno.test("1h bars roll up to UTC-aligned 4h bars and incomplete buckets are dropped", () => {
  // 2h..13h: the first bucket (0h–4h) has only 2 bars and the last (12h–16h) 2 bars.
  const candles = Array.from({ length: 12 }, (_, k) => {
    const i = k + 2;
    return { openTime: i * H, open: i, high: i + 0.5, low: i - 0.5, close: i + 0.25, volume: 1 };
  });
  const s = resampleSeries(seriesFromCandles(candles, { interval: "1h", symbol: "X" }), "4h");
  assertEquals(s.length, 2);
  assertEquals([...s.openTime], [4 * H, 8 * H]);
  assertEquals([...s.open], [4, 8]);
  assertEquals([...s.high], [7.5, 11.5]);
  assertEquals([...s.low], [3.5, 7.5]);
  assertEquals([...s.close], [7.25, 11.25]);
  assertEquals([...s.volume], [4, 4]);
  assertEquals([s.interval, s.symbol], ["4h", "X"]);
});

Deno.test("rolling down or to a non-multiple is refused", () => {
  const s = seriesFromCandles(
    [0, 1].map((i) => ({ openTime: i * 4 * H, open: 1, high: 1, low: 1, close: 1, volume: 1 })),
    { interval: "4h" },
  );
  assertThrows(() => resampleSeries(s, "1h"), /cannot roll/);
  assertThrows(() => resampleSeries(s, "6h"), /cannot roll/);
  assertThrows(() => resampleSeries(s, "1w"), /calendar/);
});

/** seriesFromCandles, candleAt, sliceSeries and emptySeries. */

import assert from "node:assert/strict";
import {
  candleAt,
  emptySeries,
  seriesFromCandles,
  sliceSeries,
} from "../../shared/candles/series.ts";
import { fixtureCandles } from "./fixture.ts";

Deno.test("a series from real candles round-trips every candle through candleAt", () => {
  const candles = fixtureCandles("BTCUSDT-4h-2021Q1.json");
  const s = seriesFromCandles(candles, { symbol: "BTCUSDT", interval: "4h" });
  assert.equal(s.length, 540);
  assert.equal(s.symbol, "BTCUSDT");
  assert.equal(s.interval, "4h");
  assert.ok(s.closeTime && s.quoteVolume && s.trades && s.takerBuyBase && s.takerBuyQuote);
  for (let i = 0; i < candles.length; i++) assert.deepEqual(candleAt(s, i), candles[i]);
});

Deno.test("an optional column is present only when every candle has the field", () => {
  const candles = fixtureCandles("BTCUSDT-4h-2021Q1.json").slice(0, 3);
  delete candles[1].trades;
  const s = seriesFromCandles(candles);
  assert.equal(s.trades, undefined);
  assert.ok(s.closeTime);
  assert.equal("symbol" in s, false);
  assert.equal(candleAt(s, 1).trades, undefined);
  const bare = seriesFromCandles([{ openTime: 0, open: 1, high: 1, low: 1, close: 1, volume: 0 }]);
  assert.deepEqual(Object.keys(bare).sort(), [
    "close",
    "high",
    "length",
    "low",
    "open",
    "openTime",
    "volume",
  ]);
});

Deno.test("sliceSeries gives views on the same buffers, not copies", () => {
  const s = seriesFromCandles(fixtureCandles("BTCUSDT-4h-2021Q1.json"), { interval: "4h" });
  const part = sliceSeries(s, 10, 20);
  assert.equal(part.length, 10);
  assert.equal(part.interval, "4h");
  assert.equal(part.close.buffer, s.close.buffer);
  assert.equal(part.takerBuyQuote?.buffer, s.takerBuyQuote?.buffer);
  assert.deepEqual(candleAt(part, 0), candleAt(s, 10));
  s.close[10] = 1;
  assert.equal(part.close[0], 1);
  assert.equal(sliceSeries(s, 530).length, 10);
  assert.equal(sliceSeries(s, 600).length, 0);
});

Deno.test("emptySeries has length 0 and candleAt rejects an index outside the series", () => {
  const e = emptySeries();
  assert.equal(e.length, 0);
  assert.equal(e.open.length, 0);
  assert.deepEqual(seriesFromCandles([]).openTime, new Float64Array(0));
  assert.throws(() => candleAt(e, 0), /candle index 0 is outside the series \(length 0\)/);
  const s = seriesFromCandles(fixtureCandles("BTCUSDT-4h-2021Q1.json"));
  assert.throws(() => candleAt(s, 540), RangeError);
  assert.throws(() => candleAt(s, -1), RangeError);
});

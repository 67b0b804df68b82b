/** parseWsKline: raw and combined-stream events, closed and open candles, malformed messages. */

import assert from "node:assert/strict";
import { CandleError } from "../../shared/candles/errors.ts";
import { parseWsKline } from "../../shared/candles/ws_kline.ts";
import { fixtureRows } from "./fixture.ts";

/** A kline event built from a real REST row (BTCUSDT 1h 2024-01-01T00:00Z). */
function event(closed: boolean): Record<string, unknown> {
  const r = fixtureRows("BTCUSDT-1h-2024.json")[0] as (string | number)[];
  return {
    e: "kline",
    E: 1704070800005,
    s: "BTCUSDT",
    k: {
      t: r[0],
      T: r[6],
      s: "BTCUSDT",
      i: "1h",
      f: 3_340_000_000,
      L: 3_340_047_133,
      o: r[1],
      c: r[4],
      h: r[2],
      l: r[3],
      v: r[5],
      n: r[8],
      x: closed,
      q: r[7],
      V: r[9],
      Q: r[10],
      B: "0",
    },
  };
}

function rejects(msg: unknown, rule: string, message: string): void {
  assert.throws(
    () => parseWsKline(msg),
    (e: unknown) => {
      assert.ok(e instanceof CandleError);
      assert.equal(e.message, message);
      assert.equal(e.rule, rule);
      assert.equal(e.row, null);
      return true;
    },
  );
}

Deno.test("a raw closed kline event gives symbol, interval, closed=true and the candle", () => {
  const k = parseWsKline(event(true));
  assert.equal(k.symbol, "BTCUSDT");
  assert.equal(k.interval, "1h");
  assert.equal(k.closed, true);
  assert.equal(k.eventTime, 1704070800005);
  assert.deepEqual(k.candle, {
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
});

Deno.test("an update of a candle still open gives closed=false", () => {
  assert.equal(parseWsKline(event(false)).closed, false);
});

Deno.test("a combined-stream message is unwrapped, also from JSON text", () => {
  const wrapped = { stream: "btcusdt@kline_1h", data: event(true) };
  assert.deepEqual(parseWsKline(wrapped), parseWsKline(event(true)));
  assert.deepEqual(parseWsKline(JSON.stringify(wrapped)), parseWsKline(event(true)));
  assert.equal(
    parseWsKline({ stream: "btcusdt@kline_1h@+08:00", data: event(false) }).closed,
    false,
  );
});

Deno.test("a stream name that disagrees with the event is rejected (rule stream)", () => {
  rejects(
    { stream: "ethusdt@kline_1h", data: event(true) },
    "stream",
    'stream "ethusdt@kline_1h" does not match the event (expected "btcusdt@kline_1h")',
  );
});

Deno.test("malformed kline messages get a clear one-line error", () => {
  assert.throws(
    () => parseWsKline("{not json"),
    (e: unknown) =>
      e instanceof CandleError && e.rule === "shape" &&
      /^kline message is not JSON \(.+\)$/.test(e.message),
  );
  rejects(null, "shape", "expected a kline event object, got null");
  rejects(
    { ...event(true), e: "trade" },
    "shape",
    'malformed kline event: e: Invalid input: expected "kline"',
  );
  const noClose = event(true);
  delete (noClose.k as Record<string, unknown>).c;
  rejects(
    noClose,
    "shape",
    "malformed kline event: k.c: Invalid input: expected string, received undefined",
  );
  rejects(
    { stream: "btcusdt@kline_1h", data: noClose },
    "shape",
    "malformed kline event: data.k.c: Invalid input: expected string, received undefined",
  );
  const badPrice = event(true);
  (badPrice.k as Record<string, unknown>).h = "abc";
  rejects(badPrice, "number", 'k.h is not a decimal number (k.h="abc")');
  const badInterval = event(true);
  (badInterval.k as Record<string, unknown>).i = "1H";
  rejects(
    badInterval,
    "interval",
    'unknown interval "1H" (expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M)',
  );
});

Deno.test("a kline event breaking a candle rule is rejected naming symbol and interval", () => {
  const lowHigh = event(true);
  (lowHigh.k as Record<string, unknown>).l = "50000";
  rejects(lowHigh, "high_low", "BTCUSDT 1h: high < low (high=42554.57, low=50000)");
  const misaligned = event(true);
  (misaligned.k as Record<string, unknown>).t = 1704067200000 + 1000;
  rejects(
    misaligned,
    "aligned",
    "BTCUSDT 1h: open_time 1704067201000 (2024-01-01T00:00:01.000Z) is not aligned to 1h",
  );
});

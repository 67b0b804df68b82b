/** klineNameInfo and detectKlineFormat: what a kline file's path and first line say. */

import assert from "node:assert/strict";
import { detectKlineFormat } from "../../scripts/lib/klines/kline_format.ts";
import { klineNameInfo } from "../../scripts/lib/klines/kline_file_name.ts";

Deno.test("symbol and interval come from SYMBOL-interval-period file names", () => {
  assert.deepEqual(klineNameInfo("tests/fixtures/binance/BTCUSDT-1h-2024.json"), {
    symbol: "BTCUSDT",
    interval: "1h",
  });
  assert.deepEqual(klineNameInfo("/data/ETHUSDT-15m-2025W02-W07.json"), {
    symbol: "ETHUSDT",
    interval: "15m",
  });
  assert.deepEqual(klineNameInfo("BTCUSDT-1h-2024-01.csv"), { symbol: "BTCUSDT", interval: "1h" });
  assert.deepEqual(klineNameInfo("C:\\klines\\1000PEPEUSDT-4h.csv"), {
    symbol: "1000PEPEUSDT",
    interval: "4h",
  });
});

Deno.test("the interval in a name is case-sensitive: 1M is a month, 1m a minute", () => {
  assert.equal(klineNameInfo("BTCUSDT-1M-2024.csv").interval, "1M");
  assert.equal(klineNameInfo("BTCUSDT-1m-2024.csv").interval, "1m");
  assert.equal(klineNameInfo("BTCUSDT-1H-2024.csv").interval, null);
});

Deno.test("symbol and interval come from the SYMBOL/interval/file folder layout", () => {
  assert.deepEqual(klineNameInfo("archive/BTCUSDT/1h/2024-01-01.json"), {
    symbol: "BTCUSDT",
    interval: "1h",
  });
  assert.deepEqual(klineNameInfo("x/1d/2024.csv"), { symbol: null, interval: "1d" });
});

Deno.test("names that say nothing give nulls", () => {
  assert.deepEqual(klineNameInfo("candles.json"), { symbol: null, interval: null });
  assert.deepEqual(klineNameInfo("data/2024-01-01.csv"), { symbol: null, interval: null });
  assert.deepEqual(klineNameInfo("btcusdt-1h.csv"), { symbol: null, interval: null });
});

Deno.test("the format is detected from the content", () => {
  assert.equal(detectKlineFormat('\n [[1,"2"]]'), "rest-json");
  assert.equal(
    detectKlineFormat("open_time,open,high,low,close,volume\r\n1,2,3,4,5,6"),
    "ohlcv-csv",
  );
  assert.equal(
    detectKlineFormat("1704067200000,1,2,3,4,5,1704070799999,6,7,8,9,0\n"),
    "archive-csv",
  );
  assert.equal(
    detectKlineFormat(
      "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n",
    ),
    "archive-csv",
  );
  assert.equal(detectKlineFormat("# Readme\n"), null);
  assert.equal(detectKlineFormat('{"rows": []}'), null);
});

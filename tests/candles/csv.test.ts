/** parseArchiveCsv (ms and µs timestamps) and parseOhlcvCsv on real rows and on malformed text. */

import assert from "node:assert/strict";
import { parseArchiveCsv } from "../../shared/candles/archive_csv.ts";
import { CandleError } from "../../shared/candles/errors.ts";
import { parseOhlcvCsv } from "../../shared/candles/ohlcv_csv.ts";
import { validateCandles } from "../../shared/candles/validate.ts";
import { dataPath, fixtureCandles, fixturePath } from "./fixture.ts";

function rejects(run: () => unknown, rule: string, message: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof CandleError);
    assert.equal(e.message, message);
    assert.equal(e.rule, rule);
    return true;
  });
}

Deno.test("an archive CSV with ms timestamps gives the same candles as the REST rows it was made from", () => {
  const csv = parseArchiveCsv(Deno.readTextFileSync(dataPath("BTCUSDT-1h-2024-01.csv")));
  assert.equal(csv.length, 48);
  assert.deepEqual(csv, fixtureCandles("BTCUSDT-1h-2024.json").slice(0, 48));
  validateCandles(csv, "1h");
});

Deno.test("an archive CSV with µs timestamps (spot 2025+) is converted to ms", () => {
  const csv = parseArchiveCsv(Deno.readTextFileSync(dataPath("BTCUSDT-15m-2025-01.csv")));
  const rest = fixtureCandles("BTCUSDT-15m-2025W02-W07.json").slice(0, 96);
  assert.equal(csv.length, 96);
  assert.deepEqual(csv, rest);
  assert.equal(csv[0].openTime, Date.UTC(2025, 0, 6));
  assert.equal(csv[0].closeTime, Date.UTC(2025, 0, 6, 0, 15) - 1);
  validateCandles(csv, "15m");
});

Deno.test("ms and µs rows may be mixed; each row is detected on its own", () => {
  const text = Deno.readTextFileSync(dataPath("BTCUSDT-1h-2024-01.csv")).split("\n").slice(0, 2);
  const f = text[1].split(",");
  f[0] = String(Number(f[0]) * 1000);
  f[6] = String(Number(f[6]) * 1000 + 999);
  const candles = parseArchiveCsv(`${text[0]}\r\n${f.join(",")}\r\n`);
  assert.deepEqual(candles, fixtureCandles("BTCUSDT-1h-2024.json").slice(0, 2));
});

Deno.test("an archive CSV with a futures-style header line skips it", () => {
  const body = Deno.readTextFileSync(dataPath("BTCUSDT-1h-2024-01.csv"));
  const header =
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";
  assert.deepEqual(parseArchiveCsv(`${header}\n${body}`), parseArchiveCsv(body));
});

Deno.test("archive CSV rows with the wrong column count, bad numbers or inner blank lines are rejected", () => {
  const lines = Deno.readTextFileSync(dataPath("BTCUSDT-1h-2024-01.csv")).split("\n");
  rejects(
    () => parseArchiveCsv(`${lines[0]}\n${lines[1]}\n1704074400000,1,2,3`),
    "csv_columns",
    "row 2: expected 12 columns (open_time,open,high,low,close,volume,close_time,quote_volume," +
      "trades,taker_buy_base,taker_buy_quote,ignore), got 4",
  );
  rejects(
    () => parseArchiveCsv(`${lines[0]}\n${lines[1].replace("42475.23000000", "n/a")}`),
    "number",
    'row 1: open is not a decimal number (open="n/a")',
  );
  rejects(
    () => parseArchiveCsv(`${lines[0]}\n\n${lines[1]}\n`),
    "csv_blank",
    "row 1: blank line 2 inside the data",
  );
});

Deno.test("the real OHLCV CSV fixture parses into 10080 one-minute candles", () => {
  const candles = parseOhlcvCsv(
    Deno.readTextFileSync(fixturePath("ohlcv/BTCUSDT-1m-2021-02-19.csv")),
  );
  assert.equal(candles.length, 10080);
  assert.deepEqual(candles[0], {
    openTime: 1613692800000,
    open: 51552.61,
    high: 51657.05,
    low: 51545,
    close: 51613.38,
    volume: 134.989218,
  });
  validateCandles(candles, "1m");
});

Deno.test("an OHLCV CSV without its header or with the wrong column count is rejected", () => {
  rejects(
    () => parseOhlcvCsv("time,o,h,l,c,v\n1,2,3,4,5,6\n"),
    "csv_header",
    'expected the header open_time,open,high,low,close,volume, got "time,o,h,l,c,v"',
  );
  rejects(
    () =>
      parseOhlcvCsv(
        "open_time,open,high,low,close,volume\n1704067200000,1,2,0.5,1.5,10\n1704067260000,1,2,0.5\n",
      ),
    "csv_columns",
    "row 1: expected 6 columns (open_time,open,high,low,close,volume), got 4",
  );
  assert.deepEqual(parseOhlcvCsv("open_time,open,high,low,close,volume\n"), []);
});

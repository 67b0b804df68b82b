/** One timestamp-unit rule for every parser: seconds, ms and µs are converted, anything else refused. */

import assert from "node:assert/strict";
import { parseArchiveCsv } from "../../shared/candles/archive_csv.ts";
import { OHLCV_HEADER, parseOhlcvCsv } from "../../shared/candles/ohlcv_csv.ts";
import type { Candle } from "../../shared/candles/types.ts";
import { CandleError } from "../../shared/candles/errors.ts";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { timeUnitOf, toMillis } from "../../shared/candles/time_unit.ts";
import { parseWsKline } from "../../shared/candles/ws_kline.ts";
import { fixtureRows } from "./fixture.ts";

const ROW = fixtureRows("BTCUSDT-1h-2024.json")[0] as (string | number)[];
const OPEN = ROW[0] as number; // 2024-01-01T00:00Z in ms
const CLOSE = ROW[6] as number;

function wsEvent(scale: (ms: number) => number, closeScale = scale): Record<string, unknown> {
  return {
    e: "kline",
    E: scale(OPEN + 3_600_005),
    s: "BTCUSDT",
    k: {
      t: scale(OPEN),
      T: closeScale(CLOSE),
      s: "BTCUSDT",
      i: "1h",
      f: 1,
      L: 2,
      o: ROW[1],
      c: ROW[4],
      h: ROW[2],
      l: ROW[3],
      v: ROW[5],
      n: ROW[8],
      x: true,
      q: ROW[7],
      V: ROW[9],
      Q: ROW[10],
      B: "0",
    },
  };
}

const micros = (ms: number) => ms * 1000 + (ms % 1000 === 999 ? 999 : 0);

Deno.test("timeUnitOf reads seconds, ms and µs by magnitude and refuses the rest", () => {
  assert.equal(timeUnitOf(OPEN / 1000), "s");
  assert.equal(timeUnitOf(OPEN), "ms");
  assert.equal(timeUnitOf(OPEN * 1000), "us");
  for (const bad of [-1, 0, 12345, 1.5e9 + 0.5, 1e17, NaN, Infinity]) {
    assert.equal(timeUnitOf(bad), null, String(bad));
  }
  assert.equal(toMillis(CLOSE * 1000 + 999), CLOSE);
});

Deno.test("a WebSocket kline sent with timeUnit=MICROSECOND gives the same candle in ms", () => {
  const ms = parseWsKline(wsEvent((t) => t));
  const us = parseWsKline(wsEvent(micros));
  assert.deepEqual(us, ms);
  assert.equal(us.candle.openTime, OPEN);
  assert.equal(us.candle.closeTime, CLOSE);
  assert.equal(us.eventTime, OPEN + 3_600_005);
});

Deno.test("a WebSocket kline mixing units, or with no unit, is refused naming the units", () => {
  assert.throws(
    () => parseWsKline(wsEvent(micros, (t) => t)),
    (e: unknown) =>
      e instanceof CandleError && e.rule === "time" &&
      e.message === "BTCUSDT 1h: k.t is in microseconds but k.T in milliseconds",
  );
  assert.throws(
    () => parseWsKline(wsEvent(() => 12345)),
    (e: unknown) =>
      e instanceof CandleError && e.rule === "time" &&
      /^BTCUSDT 1h: k\.t 12345 is not a time in seconds, milliseconds or microseconds/.test(
        e.message,
      ),
  );
});

Deno.test("REST rows in µs (X-MBX-TIME-UNIT: MICROSECOND) or seconds parse to the same candles", () => {
  const rows = fixtureRows("BTCUSDT-1h-2024.json").slice(0, 3) as (string | number)[][];
  const ms = parseRestKlines(rows);
  const us = parseRestKlines(
    rows.map((
      r,
    ) => [micros(r[0] as number), ...r.slice(1, 6), micros(r[6] as number), ...r.slice(7)]),
  );
  assert.deepEqual(us, ms);
  const s = parseRestKlines(
    rows.map((r) => [+r[0] / 1000, ...r.slice(1, 6), Math.floor(+r[6] / 1000), ...r.slice(7)]),
  );
  assert.deepEqual(s, ms);
  assert.throws(
    () => parseRestKlines([[-5, ...rows[0].slice(1)]]),
    (e: unknown) =>
      e instanceof CandleError && e.rule === "time" && e.row === 0 &&
      e.message.startsWith("row 0: open_time -5 is not a time"),
  );
});

Deno.test("archive CSV rows with no plausible time unit are refused with the row", () => {
  const line = (t: number, close = CLOSE) =>
    [t, ...ROW.slice(1, 6), close, ...ROW.slice(7)].join(",");
  assert.equal(parseArchiveCsv(line(OPEN * 1000, micros(CLOSE)) + "\n")[0].openTime, OPEN);
  assert.throws(
    () => parseArchiveCsv(line(OPEN) + "\n" + line(42) + "\n"),
    (e: unknown) => e instanceof CandleError && e.rule === "time" && e.row === 1,
  );
});

// Every format in every unit: the same candles as the millisecond original, and the same refusals.

type Scale = { open: (ms: number) => number; close: (ms: number) => number };
const UNITS: Record<string, Scale> = {
  seconds: { open: (ms) => ms / 1000, close: (ms) => Math.floor(ms / 1000) },
  milliseconds: { open: (ms) => ms, close: (ms) => ms },
  microseconds: { open: (ms) => ms * 1000, close: (ms) => ms * 1000 + 999 },
};
const ROWS = fixtureRows("BTCUSDT-1h-2024.json").slice(0, 24) as (string | number)[][];

/** Each format: the 24 real rows written with times scaled, parsed back. */
const FORMATS: Record<string, (rows: (string | number)[][], s: Scale) => Candle[]> = {
  "REST JSON": (rows, s) =>
    parseRestKlines(
      rows.map((r) => [s.open(+r[0]), ...r.slice(1, 6), s.close(+r[6]), ...r.slice(7)]),
    ),
  "WebSocket": (rows, s) =>
    rows.map((r) =>
      parseWsKline({
        e: "kline",
        E: s.close(+r[6] + 6),
        s: "BTCUSDT",
        k: {
          t: s.open(+r[0]),
          T: s.close(+r[6]),
          s: "BTCUSDT",
          i: "1h",
          f: 1,
          L: 2,
          o: r[1],
          c: r[4],
          h: r[2],
          l: r[3],
          v: r[5],
          n: r[8],
          x: true,
          q: r[7],
          V: r[9],
          Q: r[10],
          B: "0",
        },
      }).candle
    ),
  "archive CSV": (rows, s) =>
    parseArchiveCsv(
      rows.map((r) => [s.open(+r[0]), ...r.slice(1, 6), s.close(+r[6]), ...r.slice(7)].join(","))
        .join("\n") + "\n",
    ),
  "OHLCV CSV": (rows, s) =>
    parseOhlcvCsv(
      `${OHLCV_HEADER}\n` + rows.map((r) => [s.open(+r[0]), ...r.slice(1, 6)].join(",")).join("\n"),
    ),
};

for (const [format, parse] of Object.entries(FORMATS)) {
  Deno.test(`${format} in seconds, milliseconds and microseconds gives the same candles`, () => {
    const ms = parse(ROWS, UNITS.milliseconds);
    assert.equal(ms[0].openTime, Date.UTC(2024, 0, 1));
    for (const [unit, scale] of Object.entries(UNITS)) {
      assert.deepEqual(parse(ROWS, scale), ms, `${format} in ${unit}`);
    }
  });

  Deno.test(`${format}: a time in no unit is refused naming the units tried`, () => {
    const broken = ROWS.map((r, i) => i === 5 ? [12345, ...r.slice(1)] : r);
    assert.throws(
      () => parse(broken, UNITS.milliseconds),
      (e: unknown) =>
        e instanceof CandleError && e.rule === "time" &&
        /12345 is not a time in seconds, milliseconds or microseconds since 1970/.test(e.message) &&
        (format === "WebSocket" || e.row === 5),
    );
  });
}

Deno.test("an open time and close time in different units are refused by every format with both", () => {
  const mixed: Scale = { open: UNITS.seconds.open, close: UNITS.milliseconds.close };
  for (const format of ["REST JSON", "archive CSV"]) {
    assert.throws(
      () => FORMATS[format](ROWS, mixed),
      (e: unknown) =>
        e instanceof CandleError && e.rule === "time" && e.row === 0 &&
        e.message === "row 0: open_time is in seconds but close_time in milliseconds",
      format,
    );
  }
  assert.throws(
    () => FORMATS["WebSocket"](ROWS, mixed),
    /k\.t is in seconds but k\.T in milliseconds/,
  );
});

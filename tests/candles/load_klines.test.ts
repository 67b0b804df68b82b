/** loadKlineFile and loadKlineFolder on real files and on broken copies of them. */

import assert from "node:assert/strict";
import {
  KlineFileError,
  loadKlineFile,
  loadKlineFolder,
} from "../../scripts/lib/klines/load_klines.ts";
import { dataPath, fixturePath } from "./fixture.ts";

const REST = fixturePath("binance/BTCUSDT-4h-2021Q1.json");
const OHLCV = fixturePath("ohlcv/BTCUSDT-1m-2021-02-19.csv");

async function expectFileError(
  run: () => Promise<unknown>,
  message: string,
  row: number | null,
  rule: string,
): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof KlineFileError);
    assert.equal(e.message, message);
    assert.equal(e.row, row);
    assert.equal(e.rule, rule);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
}

const TMP = Deno.makeTempDirSync({ prefix: "klines-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** Writes `text` to `name` in a fresh folder under TMP and returns its path. */
async function tempFile(name: string, text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: TMP });
  const path = `${dir}/${name}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("a REST JSON fixture loads with symbol and interval from its name and no gaps", async () => {
  const k = await loadKlineFile(REST);
  assert.equal(k.symbol, "BTCUSDT");
  assert.equal(k.interval, "4h");
  assert.equal(k.format, "rest-json");
  assert.equal(k.candles.length, 540);
  assert.equal(k.series.length, 540);
  assert.equal(k.series.interval, "4h");
  assert.equal(k.series.symbol, "BTCUSDT");
  assert.deepEqual(k.gaps, []);
});

Deno.test("the OHLCV CSV fixture loads as 1m candles", async () => {
  const k = await loadKlineFile(OHLCV);
  assert.equal(k.format, "ohlcv-csv");
  assert.equal(k.interval, "1m");
  assert.equal(k.symbol, "BTCUSDT");
  assert.equal(k.candles.length, 10080);
  assert.equal(k.series.closeTime, undefined);
  assert.deepEqual(k.gaps, []);
});

Deno.test("archive CSVs in ms and µs load as the same candles as the REST rows", async () => {
  const ms = await loadKlineFile(dataPath("BTCUSDT-1h-2024-01.csv"));
  assert.equal(ms.format, "archive-csv");
  assert.equal(ms.interval, "1h");
  assert.equal(ms.candles[47].openTime, Date.UTC(2024, 0, 2, 23));
  const us = await loadKlineFile(dataPath("BTCUSDT-15m-2025-01.csv"));
  assert.equal(us.interval, "15m");
  assert.equal(us.candles[0].openTime, Date.UTC(2025, 0, 6));
});

Deno.test("without a telling name the interval is inferred from the spacing", async () => {
  const path = await tempFile("candles.json", await Deno.readTextFile(REST));
  const k = await loadKlineFile(path);
  assert.equal(k.symbol, null);
  assert.equal(k.interval, "4h");
  const named = await loadKlineFile(path, { symbol: "BTCUSDT", interval: "4h" });
  assert.equal(named.symbol, "BTCUSDT");
  assert.equal(named.series.symbol, "BTCUSDT");
});

Deno.test("the folder layout SYMBOL/interval/file gives symbol and interval", async () => {
  const path = await tempFile("BTCUSDT/1m/2021-02-19.csv", await Deno.readTextFile(OHLCV));
  const k = await loadKlineFile(path);
  assert.equal(k.symbol, "BTCUSDT");
  assert.equal(k.interval, "1m");
});

Deno.test("a file with rows removed loads and reports its gaps", async () => {
  const rows = JSON.parse(await Deno.readTextFile(REST)) as unknown[][];
  const kept = rows.filter((_, i) => i < 100 || i > 102);
  const path = await tempFile("BTCUSDT-4h-holes.json", JSON.stringify(kept));
  const k = await loadKlineFile(path);
  assert.deepEqual(k.gaps, [{
    after: rows[99][0],
    from: rows[100][0],
    to: rows[102][0],
    missing: 3,
  }]);
});

Deno.test("a broken row is reported on one line with its 1-based row and rule", async () => {
  const rows = JSON.parse(await Deno.readTextFile(REST)) as unknown[][];
  rows[16][2] = "1"; // row 17 of the file: high below low
  const path = await tempFile("BTCUSDT-4h-bad.json", JSON.stringify(rows));
  await expectFileError(
    () => loadKlineFile(path),
    `${path}: row 17: high < low (high=1, low=${Number(rows[16][3])})`,
    17,
    "high_low",
  );
  const lines = (await Deno.readTextFile(OHLCV)).split("\n");
  lines[5] = lines[5].replace(/^(\d+),/, "$1x,"); // data row 5 (line 6)
  const csv = await tempFile("BTCUSDT-1m-bad.csv", lines.join("\n"));
  await expectFileError(
    () => loadKlineFile(csv),
    `${csv}: row 5: open_time is not a decimal number (open_time="${lines[5].split(",")[0]}")`,
    5,
    "number",
  );
});

Deno.test("an interval that disagrees with the candle spacing is an error", async () => {
  await expectFileError(
    () => loadKlineFile(REST, { interval: "1h" }),
    `${REST}: interval 1h (given) disagrees with the candle spacing (4h)`,
    null,
    "interval",
  );
  const path = await tempFile("BTCUSDT-1d-2021.json", await Deno.readTextFile(REST));
  await expectFileError(
    () => loadKlineFile(path),
    `${path}: interval 1d (from the file name) disagrees with the candle spacing (4h)`,
    null,
    "interval",
  );
  await expectFileError(
    () => loadKlineFile(REST, { interval: "4H" }),
    `${REST}: unknown interval "4H" (expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M)`,
    null,
    "interval",
  );
});

Deno.test("unreadable, empty, unrecognised and invalid JSON files get one-line errors", async () => {
  await assert.rejects(
    () => loadKlineFile("/nonexistent/BTCUSDT-1h.json"),
    (e: unknown) =>
      e instanceof KlineFileError && e.rule === "file" &&
      /^\/nonexistent\/BTCUSDT-1h\.json: cannot read \(.+\)$/.test(e.message),
  );
  const empty = await tempFile("empty.json", "\n");
  await expectFileError(() => loadKlineFile(empty), `${empty}: empty file`, null, "file");
  const md = await tempFile("notes.csv", "hello,world\n");
  await expectFileError(
    () => loadKlineFile(md),
    `${md}: unrecognised kline file (expected a JSON array of Binance REST rows, a CSV with the ` +
      "header open_time,open,high,low,close,volume, or a 12-column Binance archive CSV)",
    null,
    "format",
  );
  const cut = await tempFile("cut.json", '[[1704067200000,"1"');
  await assert.rejects(
    () => loadKlineFile(cut),
    (e: unknown) =>
      e instanceof KlineFileError && e.rule === "file" &&
      e.message.startsWith(`${cut}: invalid JSON (`) && !e.message.includes("\n"),
  );
});

Deno.test("loadKlineFolder loads every json and csv file below a folder, sorted by path", async () => {
  const dir = await Deno.makeTempDir({ dir: TMP });
  await Deno.mkdir(`${dir}/ETHUSDT/1h`, { recursive: true });
  await Deno.copyFile(REST, `${dir}/BTCUSDT-4h-2021Q1.json`);
  await Deno.copyFile(dataPath("BTCUSDT-1h-2024-01.csv"), `${dir}/ETHUSDT/1h/2024-01.csv`);
  await Deno.writeTextFile(`${dir}/notes.txt`, "ignored");
  const all = await loadKlineFolder(`${dir}/`);
  assert.deepEqual(all.map((k) => k.path), [
    `${dir}/BTCUSDT-4h-2021Q1.json`,
    `${dir}/ETHUSDT/1h/2024-01.csv`,
  ]);
  assert.deepEqual(all.map((k) => [k.symbol, k.interval]), [["BTCUSDT", "4h"], ["ETHUSDT", "1h"]]);
  await assert.rejects(
    () => loadKlineFolder(`${dir}/missing`),
    (e: unknown) =>
      e instanceof KlineFileError && e.message.startsWith(`${dir}/missing: cannot list (`),
  );
});

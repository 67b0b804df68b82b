/**
 * The four kline CLIs (`signals`, `indicators`, `backtest`, `klines:check`) take the same inputs and
 * treat them the same way: many files and folders, non-kline files in folders skipped with a note,
 * empty input refused, gaps warned about, an unclosed last candle dropped, `--symbol` upper-cased and
 * `--interval` checked against the list of Binance intervals.
 */

import assert from "node:assert/strict";
import { INTERVALS } from "../../shared/candles/intervals.ts";
import { fixturePath } from "../support/fixtures.ts";
import { hasStackTrace, runTask } from "../support/run_cli.ts";

const CLIS = ["signals", "indicators", "backtest", "klines:check"];
const REST_4H = fixturePath("binance/BTCUSDT-4h-2021Q1.json");
const ARCHIVE_1H = new URL("../candles/data/BTCUSDT-1h-2024-01.csv", import.meta.url).pathname;

const TMP = await Deno.makeTempDir({ prefix: "kline-inputs-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** A folder with two kline files (one nested) and two files that are not kline files. */
async function klineFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: TMP });
  await Deno.mkdir(`${dir}/BTCUSDT/1h`, { recursive: true });
  await Deno.copyFile(REST_4H, `${dir}/BTCUSDT-4h-2021Q1.json`);
  await Deno.copyFile(ARCHIVE_1H, `${dir}/BTCUSDT/1h/2024-01.csv`);
  await Deno.writeTextFile(`${dir}/notes.json`, '{"not": "klines"}\n');
  await Deno.writeTextFile(`${dir}/BTCUSDT/readme.csv`, "name,value\nx,1\n");
  return dir;
}

/** What each CLI's output must contain for the two files of {@link klineFolder}. */
function assertBothFiles(cli: string, stdout: string): void {
  const expect: Record<string, RegExp[]> = {
    signals: [/ over 540 candles \(BTCUSDT 4h\)/, / over 48 candles \(BTCUSDT 1h\)/],
    indicators: [/BTCUSDT 4h: 540 bars/, /BTCUSDT 1h: 48 bars/],
    backtest: [/^BTCUSDT 4h .*2021-01-01 → /m, /^BTCUSDT 1h .*2024-01-01 → /m],
    "klines:check": [
      /BTCUSDT-4h-2021Q1\.json: BTCUSDT 4h rest-json, 540 candles/,
      /2024-01\.csv: BTCUSDT 1h archive-csv, 48 candles/,
    ],
  };
  for (const re of expect[cli]) assert.match(stdout, re, cli);
}

Deno.test("all four CLIs take several files and folders, and skip non-kline files in folders", async () => {
  const dir = await klineFolder();
  for (const cli of CLIS) {
    const folder = await runTask(cli, [dir]);
    assert.equal(folder.code, 0, `${cli}: ${folder.stderr}`);
    assertBothFiles(cli, folder.stdout);
    assert.equal(
      folder.stderr,
      `note: ${dir}/BTCUSDT/readme.csv: skipped, not a kline file\n` +
        `note: ${dir}/notes.json: skipped, not a kline file\n`,
      cli,
    );
    const files = await runTask(cli, [REST_4H, `${dir}/BTCUSDT/1h/2024-01.csv`]);
    assert.equal(files.code, 0, `${cli}: ${files.stderr}`);
    assertBothFiles(cli, files.stdout);
    assert.equal(files.stderr, "", cli);
  }
});

Deno.test("a non-kline file named directly, a missing path or an empty folder is one error line", async () => {
  const dir = await klineFolder();
  const empty = await Deno.makeTempDir({ dir: TMP });
  const cases: [string[], string][] = [
    [[`${dir}/notes.json`], `error: ${dir}/notes.json: unrecognised kline file (expected `],
    [[`${dir}/nope.json`], `error: ${dir}/nope.json: no such file or folder\n`],
    [[empty], `error: ${empty}: no .json or .csv files in this folder\n`],
    [[], "error: expected one or more kline files or folders (see --help)\n"],
  ];
  for (const cli of CLIS) {
    for (const [args, start] of cases) {
      const r = await runTask(cli, args);
      assert.equal(r.code, 1, `${cli} ${args}`);
      assert.ok(r.stderr.startsWith(start), `${cli} ${args}: ${r.stderr}`);
      assert.equal(r.stderr.split("\n").length, 2, `${cli}: one line`);
      assert.equal(r.stdout, "", cli);
    }
  }
});

Deno.test("an option after the files is read as an option: -x is refused before any file is read", async () => {
  for (const cli of CLIS) {
    const r = await runTask(cli, [REST_4H, ARCHIVE_1H, "-x"]);
    assert.equal(r.code, 1, cli);
    assert.equal(r.stderr, "error: unknown option -x (see --help)\n", cli);
    assert.equal(r.stdout, "", cli);
  }
});

Deno.test("empty input ([] or a header-only CSV) is one clear error and exit 1 in every CLI", async () => {
  const json = `${TMP}/BTCUSDT-1h-empty.json`;
  const csv = `${TMP}/BTCUSDT-1h-empty.csv`;
  await Deno.writeTextFile(json, "[]\n");
  await Deno.writeTextFile(csv, "open_time,open,high,low,close,volume\n");
  for (const cli of CLIS) {
    for (const f of [json, csv]) {
      const r = await runTask(cli, [f]);
      assert.equal(r.code, 1, `${cli} ${f}`);
      assert.equal(r.stderr, `error: ${f}: no candles (the file holds no kline rows)\n`, cli);
      assert.equal(r.stdout, "", cli);
    }
  }
});

Deno.test("a series with gaps is analysed with a warning naming the count and the first gap", async () => {
  const rows = JSON.parse(await Deno.readTextFile(REST_4H)) as unknown[];
  const gapped = [...rows.slice(0, 100), ...rows.slice(103, 300), ...rows.slice(310)];
  const path = `${TMP}/BTCUSDT-4h-gaps.json`;
  await Deno.writeTextFile(path, JSON.stringify(gapped));
  const warning = `warning: ${path}: 2 gaps, 13 missing candles (first: 2021-01-17T16:00Z .. ` +
    "2021-01-18T00:00Z missing); indicators and patterns run across them\n";
  for (const cli of ["signals", "indicators", "backtest"]) {
    const r = await runTask(cli, [path]);
    assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
    assert.equal(r.stderr, warning, cli);
  }
  const check = await runTask("klines:check", [path]);
  assert.match(check.stdout, /, 2 gaps, 13 missing \(first after 2021-01-17T12:00Z\),/);
  assert.equal(check.stderr, "", "the check's summary line already says it");
});

Deno.test("a last candle that has not closed yet is dropped with a note, in every CLI", async () => {
  // The 4h fixture moved so that its last candle is the one forming now (as a live REST response ends).
  const rows = JSON.parse(await Deno.readTextFile(REST_4H)) as (string | number)[][];
  const h4 = 4 * 3_600_000;
  const moved = (lastOpen: number) => {
    const shift = lastOpen - Number(rows[rows.length - 1][0]);
    const out = rows.map((
      r,
    ) => [Number(r[0]) + shift, ...r.slice(1, 6), Number(r[6]) + shift, ...r.slice(7)]);
    out[out.length - 1][6] = lastOpen + h4 - 1;
    return out;
  };
  const forming = Math.floor(Date.now() / h4) * h4;
  const path = `${TMP}/BTCUSDT-4h-live.json`;
  await Deno.writeTextFile(path, JSON.stringify(moved(forming)));
  const lastOpen = new Date(forming).toISOString().replace(":00.000Z", "Z");
  const note = `note: ${path}: last candle (open ${lastOpen}) has not closed yet; left out\n`;
  for (const cli of CLIS) {
    const r = await runTask(cli, [path]);
    assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
    assert.equal(r.stderr, note, cli);
  }
  const ind = await runTask("indicators", [path, "--json", "--last", "1"]);
  assert.equal(JSON.parse(ind.stdout).openTime, forming - h4);
  const check = await runTask("klines:check", [path]);
  assert.match(check.stdout, / 539 candles /);

  // A candle that opens in the future is not a forming candle: that file is wrong.
  await Deno.writeTextFile(path, JSON.stringify(moved(forming + h4)));
  const bad = await runTask("signals", [path]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: .*: row 539: candle closes in the future .*\n$/);
});

Deno.test("--symbol is upper-cased; a bad --symbol or --interval is refused listing what is valid", async () => {
  const noName = `${TMP}/klines.json`;
  await Deno.copyFile(REST_4H, noName);
  const sig = await runTask("signals", [noName, "--symbol", "btcusdt", "--json", "--last", "1"]);
  assert.equal(JSON.parse(sig.stdout).symbol, "BTCUSDT");
  const check = await runTask("klines:check", [noName, "--symbol", "ethbtc"]);
  assert.match(check.stdout, /klines\.json: ETHBTC 4h rest-json/);
  const intervals = `(expected one of ${INTERVALS.join(" ")})`;
  for (const cli of CLIS) {
    const r = await runTask(cli, [REST_4H, "--interval", "1x"]);
    assert.equal(r.stderr, `error: --interval: unknown interval "1x" ${intervals}\n`, cli);
    const s = await runTask(cli, [REST_4H, "--symbol", "btc/usdt"]);
    assert.equal(
      s.stderr,
      'error: --symbol: expected 2 to 20 letters or digits like BTCUSDT, got "btc/usdt"\n',
      cli,
    );
    assert.ok(!hasStackTrace(r.stderr + s.stderr));
  }
  const resample = await runTask("backtest", [REST_4H, "--resample", "1x"]);
  assert.equal(resample.stderr, `error: --resample: unknown interval "1x" ${intervals}\n`);
});

Deno.test("an OHLCV CSV in seconds or µs loads as the right dates; a time in no unit is refused", async () => {
  const rows = (JSON.parse(await Deno.readTextFile(REST_4H)) as (string | number)[][]).slice(0, 50);
  const csv = (scale: (ms: number) => number) =>
    "open_time,open,high,low,close,volume\n" +
    rows.map((r) => [scale(+r[0]), ...r.slice(1, 6)].join(",")).join("\n") + "\n";
  const want =
    /: symbol unknown 4h ohlcv-csv, 50 candles 2021-01-01T00:00Z \.\. 2021-01-09T04:00Z, /;
  for (
    const [unit, scale] of [["s", (t: number) => t / 1000], [
      "us",
      (t: number) => t * 1000,
    ]] as const
  ) {
    const path = `${TMP}/klines-${unit}.csv`;
    await Deno.writeTextFile(path, csv(scale));
    const r = await runTask("klines:check", [path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, want, unit);
  }
  const path = `${TMP}/klines-bad-unit.csv`;
  await Deno.writeTextFile(path, csv((t) => (t === +rows[7][0] ? 1_700_000 : t)));
  const r = await runTask("signals", [path]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: ${path}: row 8: open_time 1700000 is not a time in seconds, milliseconds or ` +
      "microseconds since 1970 (expected an integer from 1e9 s to 1e17 µs)\n",
  );
});

Deno.test("klines:check reports every bad file on its own line, checks the rest, and exits 1", async () => {
  const dir = await Deno.makeTempDir({ dir: TMP });
  const rows = JSON.parse(await Deno.readTextFile(REST_4H)) as unknown[][];
  rows[9][2] = "1"; // row 10: high below low
  await Deno.writeTextFile(`${dir}/BTCUSDT-4h-a.json`, JSON.stringify(rows));
  await Deno.copyFile(REST_4H, `${dir}/BTCUSDT-4h-b.json`);
  await Deno.writeTextFile(`${dir}/BTCUSDT-4h-c.json`, "[]");
  const r = await runTask("klines:check", [dir]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`^error: ${dir}/BTCUSDT-4h-a\\.json: row 10: high < low .*\\n`),
  );
  assert.match(r.stderr, new RegExp(`\\nerror: ${dir}/BTCUSDT-4h-c\\.json: no candles .*\\n$`));
  assert.equal(r.stderr.split("\n").length, 3);
  assert.match(r.stdout, /^.*BTCUSDT-4h-b\.json: BTCUSDT 4h rest-json, 540 candles .*\n$/);
});

Deno.test("evaluate and calibrate read folders as the other CLIs do: non-kline files skipped with a note", async () => {
  const dir = await klineFolder();
  const notes = `note: ${dir}/BTCUSDT/readme.csv: skipped, not a kline file\n` +
    `note: ${dir}/notes.json: skipped, not a kline file\n`;
  const ev = await runTask("evaluate", [dir, "--replications", "10"]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(ev.stderr, notes);
  assert.match(ev.stdout, /^BTCUSDT 4h /m);
  assert.match(ev.stdout, /^BTCUSDT 1h /m);
  const out = `${dir}/model.json`;
  const cal = await runTask("calibrate", [dir, "--to", "2024-12-31", "--out", out]);
  assert.equal(cal.code, 1, "too few setups in two small files");
  assert.equal(cal.stderr, `${notes}error: only 5 candidate setups: too few to fit\n`);

  const empty = await Deno.makeTempDir({ dir: TMP });
  for (const task of ["evaluate", "calibrate"]) {
    const extra = task === "calibrate" ? ["--to", "2024-12-31", "--out", out] : [];
    for (
      const [path, message] of [
        [`${dir}/nope.json`, `${dir}/nope.json: no such file or folder`],
        [empty, `${empty}: no .json or .csv files in this folder`],
      ]
    ) {
      const r = await runTask(task, [path, ...extra]);
      assert.equal(r.code, 1, task);
      assert.equal(r.stderr, `error: ${message}\n`, task);
    }
  }
  await Deno.writeTextFile(`${empty}/notes.json`, "{}\n");
  const none = await runTask("evaluate", [empty]);
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr,
    `note: ${empty}/notes.json: skipped, not a kline file\nerror: no kline files in ${empty}\n`,
  );
});

const REST_1H = fixturePath("binance/BTCUSDT-1h-2025W02-W07.json");

/** A folder holding REST_4H and REST_1H split into two consecutive files `BTCUSDT/1h/2025-01-{a,b}.json`. */
async function splitSeriesFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: TMP });
  await Deno.mkdir(`${dir}/BTCUSDT/1h`, { recursive: true });
  await Deno.copyFile(REST_4H, `${dir}/BTCUSDT-4h-2021Q1.json`);
  const rows = JSON.parse(await Deno.readTextFile(REST_1H)) as unknown[];
  const half = rows.length / 2;
  await Deno.writeTextFile(`${dir}/BTCUSDT/1h/2025-01-a.json`, JSON.stringify(rows.slice(0, half)));
  await Deno.writeTextFile(`${dir}/BTCUSDT/1h/2025-01-b.json`, JSON.stringify(rows.slice(half)));
  return dir;
}

Deno.test("signals, indicators and backtest join the files of one series in a folder, as evaluate and --replay do", async () => {
  const dir = await splitSeriesFolder();
  const joined = await runTask("signals", [dir, "--json"]);
  assert.equal(joined.code, 0, joined.stderr);
  const whole = await runTask("signals", [REST_4H, REST_1H, "--json"]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(joined.stdout, whole.stdout, "the split series gives the signals of the whole file");
  assert.ok(joined.stdout.includes('"interval":"1h"'), "the 1h series has signals to compare");
  const table = await runTask("signals", [dir]);
  assert.match(table.stdout, / over 1008 candles \(BTCUSDT 1h\)/);
  assert.match(table.stdout, / over 540 candles \(BTCUSDT 4h\)/, "another series stays separate");
  assert.equal(table.stdout.match(/ signals? .*over /g)?.length, 2, table.stdout);
  assert.match(
    table.stdout,
    new RegExp(`^${dir}/BTCUSDT/1h/2025-01-a\\.json \\.\\. 2025-01-b\\.json \\(2 files\\)$`, "m"),
  );
  const ind = await runTask("indicators", [dir]);
  assert.match(ind.stdout, /BTCUSDT 1h: 1008 bars/);
  const bt = await runTask("backtest", [dir, "--no-progress"]);
  assert.equal(bt.code, 0, bt.stderr);
  assert.match(bt.stdout, /^BTCUSDT 1h .*2025-01-06 → /m);
  assert.match(bt.stdout, /^BTCUSDT 4h .*2021-01-01 → /m);
  assert.equal(bt.stdout.match(/^BTCUSDT 1h /gm)?.length, 1, bt.stdout);
});

Deno.test("files of one series in a folder that overlap are refused naming both; a gap between them is warned about", async () => {
  const dir = await splitSeriesFolder();
  const series = `${dir}/BTCUSDT/1h`;
  await Deno.copyFile(`${series}/2025-01-a.json`, `${series}/2025-01-a2.json`);
  const overlap = await runTask("signals", [series]);
  assert.equal(overlap.code, 1);
  assert.equal(
    overlap.stderr,
    `error: ${series}/2025-01-a2.json: overlaps ${series}/2025-01-a.json (same series); keep one copy of each candle\n`,
  );
  await Deno.remove(`${series}/2025-01-a2.json`);
  const rows = JSON.parse(await Deno.readTextFile(`${series}/2025-01-b.json`)) as unknown[];
  await Deno.writeTextFile(`${series}/2025-01-b.json`, JSON.stringify(rows.slice(24)));
  const gap = await runTask("signals", [series]);
  assert.equal(gap.code, 0, gap.stderr);
  assert.equal(
    gap.stderr,
    `warning: ${series}/2025-01-a.json .. 2025-01-b.json (2 files): 1 gap, 24 missing candles ` +
      "(first: 2025-01-27T00:00Z .. 2025-01-27T23:00Z missing); indicators and patterns run across them\n",
  );
  assert.match(gap.stdout, / over 984 candles \(BTCUSDT 1h\)/);
});

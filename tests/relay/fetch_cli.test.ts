/**
 * `deno task fetch` as a real process against the fake Binance: the file it writes is byte for byte
 * the recorded REST rows, an interrupted file resumes to the same bytes, a still-open candle is never
 * written, and bad input is one error line.
 */

import assert from "node:assert/strict";
import { type FakeBinance, loadReplayFile, startFakeBinance } from "../../scripts/fakes/binance.ts";
import { fixturePath } from "../support/fixtures.ts";
import { runScript } from "../support/run_cli.ts";

const FIXTURE = fixturePath("binance/BTCUSDT-1h-2024.json");
const btc = loadReplayFile(FIXTURE);
const eth = loadReplayFile(fixturePath("binance/ETHUSDT-1h-2024H1.json"));
const recorded = Deno.readTextFileSync(FIXTURE);

async function withFake(startTime: number, fn: (fake: FakeBinance, dir: string) => Promise<void>) {
  const fake = await startFakeBinance({ series: [btc, eth], startTime, autoStart: false });
  const dir = await Deno.makeTempDir({ prefix: "fetch-test-" });
  try {
    await fn(fake, dir);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const AFTER_2024 = Date.UTC(2025, 0, 2);

Deno.test("fetch writes the year exactly as Binance sent it, in pages of 1,000", async () => {
  await withFake(AFTER_2024, async (fake, dir) => {
    const out = `${dir}/btc.json`;
    const r = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--to",
      "2024-12-31",
      "--out",
      out,
      "--rest-url",
      fake.restUrl,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `BTCUSDT 1h: 8784 candles in ${out}`);
    assert.equal(await Deno.readTextFile(out), recorded, "byte for byte the recorded file");
    assert.deepEqual(fake.stats.rest.requests, { time: 1, klines: 9 });
    assert.equal(r.stderr, "", "no progress bar when stderr is not a terminal");
  });
});

Deno.test("an interrupted file resumes where it stopped and ends identical to a full download", async () => {
  await withFake(AFTER_2024, async (fake, dir) => {
    const out = `${dir}/btc.json`;
    // A download cut off in the middle of a row.
    await Deno.writeTextFile(out, recorded.slice(0, 300_001));
    const r = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--out",
      out,
      "--rest-url",
      fake.restUrl,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.candles, 8784);
    assert.ok(
      summary.resumedAfter > 600 && summary.fetched === 8784 - summary.resumedAfter,
      r.stdout,
    );
    assert.match(r.stderr, /resuming after \d+ candles/);
    assert.equal(await Deno.readTextFile(out), recorded);
    assert.equal(
      fake.stats.rest.requests.klines,
      Math.ceil(summary.fetched / 1000),
      "only the missing pages were asked for (a full download takes 9)",
    );
    // A finished file run again: nothing new, unchanged.
    const again = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--out",
      out,
      "--rest-url",
      fake.restUrl,
      "--json",
    ]);
    assert.equal(JSON.parse(again.stdout).fetched, 0);
    assert.equal(await Deno.readTextFile(out), recorded);
  });
});

Deno.test("fetch never writes the candle still open at Binance's time", async () => {
  await withFake(btc.rows[100][0] + 1_800_000, async (fake, dir) => {
    const out = `${dir}/now.json`;
    const r = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--out",
      out,
      "--rest-url",
      fake.restUrl,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(await Deno.readTextFile(out));
    assert.equal(rows.length, 100);
    assert.deepEqual(rows, btc.rows.slice(0, 100));
  });
});

Deno.test("fetch: bad input and Binance's refusals are one error line, exit 1", async () => {
  await withFake(AFTER_2024, async (fake, dir) => {
    await Deno.writeTextFile(`${dir}/notes.txt`, "hello\n");
    const url = ["--rest-url", fake.restUrl];
    const cases: [string[], RegExp][] = [
      [["BTCUSDT", "1h", ...url], /^error: --from DATE is required/],
      [["BTCUSDT", "1H", "--from", "2024-01-01", ...url], /^error: unknown interval 1H/],
      [
        ["BTC/USDT", "1h", "--from", "2024-01-01", ...url],
        /^error: SYMBOL: expected 2 to 20 letters or digits like BTCUSDT, got "BTC\/USDT"$/,
      ],
      [
        ["BTCUSDT", "1h", "--from", "2024-02-01", "--to", "2024-01-01", ...url],
        /^error: --to is before --from/,
      ],
      [["BTCUSDT", "1h", "--from", "yesterday", ...url], /^error: --from: expected a date/],
      [["BTCUSDT", "1h", "--from", "2024-02-30", ...url], /^error: --from: not a valid date/],
      [
        ["BTCUSDT", "1h", "--from", "2024-01-01", "--out", `${dir}/nope/x.json`, ...url],
        /^error: --out \S+\/nope\/x\.json: no such folder/,
      ],
      [
        ["BTCUSDT", "1h", "--from", "2024-01-01", "--out", `${dir}/notes.txt`, ...url],
        /not a kline file/,
      ],
      [
        ["NOPEUSDT", "1h", "--from", "2024-01-01", "--out", `${dir}/x.json`, ...url],
        /^error: Binance does not list the spot symbol NOPEUSDT \(.*Binance refused the request \(HTTP 400, code -1121: Invalid symbol\.\)\)$/,
      ],
      [
        ["BTCUSDT", "1h", "--from", "2024-01-01", "--rest-url", "ftp://x"],
        /^error: --rest-url: expected an http/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await runScript("fetch.ts", args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr.trim(), pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left, ["notes.txt"], "a refused run leaves no file behind");
    assert.equal(await Deno.readTextFile(`${dir}/notes.txt`), "hello\n");
    fake.rest.region451 = true;
    const r = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--out",
      `${dir}/y.json`,
      ...url,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 451, restricted location/);
    assert.ok(!(await exists(`${dir}/y.json`)), "no file when the first request fails");
  });
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a download with no candle, or whose Binance stops answering, leaves no file", async () => {
  await withFake(AFTER_2024, async (fake, dir) => {
    const future = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2025-06-01",
      "--out",
      `${dir}/future.json`,
      "--rest-url",
      fake.restUrl,
    ]);
    assert.equal(future.code, 1);
    assert.equal(
      future.stderr,
      "error: Binance has no closed BTCUSDT 1h candle from 2025-06-01; no file written\n",
    );
    assert.ok(!(await exists(`${dir}/future.json`)));

    for (let i = 0; i < 5; i++) fake.rest.faults.push({ status: 503, path: "time" });
    const down = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--out",
      `${dir}/down.json`,
      "--rest-url",
      fake.restUrl,
    ]);
    assert.equal(down.code, 1);
    const last = down.stderr.trim().split("\n").at(-1) ?? "";
    assert.ok(
      last.startsWith(`error: no answer from ${fake.restUrl}: /api/v3/time: Binance unavailable`),
      last,
    );
    assert.match(last, /point --rest-url or BINANCE_REST_URL at a reachable Binance$/);
    assert.ok(!(await exists(`${dir}/down.json`)));
  });
});

Deno.test("resuming a file of another symbol or interval is refused and changes nothing", async () => {
  await withFake(AFTER_2024, async (fake, dir) => {
    const out = `${dir}/btc.json`;
    const url = ["--rest-url", fake.restUrl, "--out", out];
    const first = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-31",
      ...url,
    ]);
    assert.equal(first.code, 0, first.stderr);
    const bytes = await Deno.readTextFile(out);
    const cases: [string[], RegExp][] = [
      [
        ["ETHUSDT", "1h", "--from", "2024-01-01", "--to", "2024-02-29"],
        /^error: \S+btc\.json: its last candle \(2024-01-31T23:00Z\) is not Binance's ETHUSDT 1h candle: the file holds another series/,
      ],
      [
        ["BTCUSDT", "4h", "--from", "2024-01-01", "--to", "2024-02-29"],
        /^error: \S+btc\.json: not 4h klines \(row 2: open_time .* is not aligned to 4h\)/,
      ],
      [
        ["BTCUSDT", "15m", "--from", "2024-01-01", "--to", "2024-02-29"],
        /^error: \S+btc\.json: not 15m klines \(row 1: close_time/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await runScript("fetch.ts", [...args, ...url]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(await Deno.readTextFile(out), bytes, `${args.join(" ")} changed the file`);
    }
    const more = await runScript("fetch.ts", [
      "BTCUSDT",
      "1h",
      "--from",
      "2024-01-01",
      "--to",
      "2024-02-29",
      ...url,
    ]);
    assert.equal(more.code, 0, more.stderr);
    assert.equal(
      more.stdout.trim(),
      `BTCUSDT 1h: 1440 candles in ${out} (696 new, resumed after 744)`,
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(out)), btc.rows.slice(0, 1440));
  });
});

Deno.test("fetch upper-cases SYMBOL as the other tasks do --symbol: btcusdt downloads BTCUSDT", async () => {
  await withFake(AFTER_2024, async (fake, dir) => {
    const out = `${dir}/btc.json`;
    const r = await runScript("fetch.ts", [
      "btcusdt",
      "1h",
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-02",
      "--out",
      out,
      "--rest-url",
      fake.restUrl,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `BTCUSDT 1h: 48 candles in ${out}`);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(out)), btc.rows.slice(0, 48));
  });
});

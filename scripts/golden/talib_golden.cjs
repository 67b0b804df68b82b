#!/usr/bin/env node
/**
 * Writes TA-Lib golden values for the indicator tests (tests/fixtures/golden/*.json).
 *
 * Needs Node 20 and npm `talib@1.1.6` (TA-Lib's C sources built with node-gyp: python3, g++),
 * installed outside the tracked tree into .cache/talib on first use (`npm i --no-save --prefix
 * .cache/talib talib@1.1.6`). Run: `deno task golden` (or `node scripts/golden/talib_golden.cjs`).
 * Override the talib location with TALIB_DIR=/path/to/node_modules/talib.
 *
 * Each output file holds, per indicator, an array aligned to the input bars: null during TA-Lib's
 * warm-up (before its begIndex), then TA-Lib's doubles exactly as JSON numbers (shortest round-trip form).
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const HELP = `usage: deno task golden
Regenerates the TA-Lib golden values in tests/fixtures/golden/ from the Binance fixtures.
Installs npm talib@1.1.6 into .cache/talib on first use (needs Node 20, python3, g++).
Env TALIB_DIR=/path/to/node_modules/talib uses another build.`;

const ROOT = path.resolve(__dirname, "..", "..");
const TALIB_DIR = process.env.TALIB_DIR ??
  path.join(ROOT, ".cache", "talib", "node_modules", "talib");

/** Fixtures to compute golden values for (paths relative to tests/fixtures/binance). */
const FIXTURES = [
  "BTCUSDT-1h-2024.json",
  "SOLUSDT-15m-2025W02-W07.json",
  "BTCUSDT-1d-2020-2025.json",
];

function loadTalib() {
  if (
    !process.env.TALIB_DIR && !fs.existsSync(path.join(TALIB_DIR, "build", "Release", "talib.node"))
  ) {
    console.error("golden: installing talib@1.1.6 into .cache/talib");
    const r = spawnSync(
      "npm",
      [
        "i",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
        path.join(ROOT, ".cache", "talib"),
        "talib@1.1.6",
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    if (r.status !== 0) {
      console.error("error: npm i talib@1.1.6 failed (needs python3 and g++ for node-gyp)");
      process.exit(1);
    }
  }
  try {
    return require(path.join(TALIB_DIR, "build", "Release", "talib.node"));
  } catch (err) {
    console.error(
      `error: cannot load talib from ${TALIB_DIR}: ${err.message.split("\n")[0]}`,
    );
    process.exit(1);
  }
}

/** Runs one TA-Lib function over the whole series and returns its outputs aligned to the bars. */
function run(talib, n, params) {
  const res = talib.execute({ startIdx: 0, endIdx: n - 1, ...params });
  if (res.error) throw new Error(`${params.name}: ${res.error}`);
  const out = {};
  for (const [key, values] of Object.entries(res.result)) {
    const aligned = new Array(n).fill(null);
    for (let i = 0; i < res.nbElement; i++) aligned[res.begIndex + i] = values[i];
    out[key] = aligned;
  }
  return { begIndex: res.begIndex, out };
}

function main() {
  const talib = loadTalib();
  const outDir = path.join(ROOT, "tests", "fixtures", "golden");
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of FIXTURES) {
    const rows = JSON.parse(
      fs.readFileSync(path.join(ROOT, "tests", "fixtures", "binance", file), "utf8"),
    );
    const n = rows.length;
    const high = rows.map((r) => Number(r[2]));
    const low = rows.map((r) => Number(r[3]));
    const close = rows.map((r) => Number(r[4]));

    const series = {};
    const lookback = {};
    const put = (name, key, r) => {
      series[name] = r.out[key];
      lookback[name] = r.begIndex;
    };
    put("rsi14", "outReal", run(talib, n, { name: "RSI", inReal: close, optInTimePeriod: 14 }));
    for (const p of [20, 50, 200]) {
      put(`ema${p}`, "outReal", run(talib, n, { name: "EMA", inReal: close, optInTimePeriod: p }));
    }
    put("sma20", "outReal", run(talib, n, { name: "SMA", inReal: close, optInTimePeriod: 20 }));
    const macd = run(talib, n, {
      name: "MACD",
      inReal: close,
      optInFastPeriod: 12,
      optInSlowPeriod: 26,
      optInSignalPeriod: 9,
    });
    put("macd", "outMACD", macd);
    put("macdSignal", "outMACDSignal", macd);
    put("macdHist", "outMACDHist", macd);
    put("atr14", "outReal", run(talib, n, { name: "ATR", high, low, close, optInTimePeriod: 14 }));
    const bb = run(talib, n, {
      name: "BBANDS",
      inReal: close,
      optInTimePeriod: 20,
      optInNbDevUp: 2,
      optInNbDevDn: 2,
      optInMAType: 0,
    });
    put("bbUpper", "outRealUpperBand", bb);
    put("bbMiddle", "outRealMiddleBand", bb);
    put("bbLower", "outRealLowerBand", bb);

    const golden = {
      source: `tests/fixtures/binance/${file}`,
      generator: "scripts/golden/talib_golden.cjs",
      talib: `npm talib@${talib.version} (TA-Lib C, default compatibility, unstable periods 0)`,
      length: n,
      lookback,
      series,
    };
    const target = path.join(outDir, file.replace(/\.json$/, ".talib.json"));
    // One series per line keeps diffs readable without bloating the file.
    const lines = Object.entries(series).map(([k, v]) =>
      `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`
    );
    const head = { ...golden };
    delete head.series;
    const text = JSON.stringify(head, null, 2).replace(
      /\n}$/,
      `,\n  "series": {\n${lines.join(",\n")}\n  }\n}\n`,
    );
    JSON.parse(text); // sanity: the file must stay valid JSON
    fs.writeFileSync(target, text);
    console.log(
      `wrote ${path.relative(ROOT, target)} (${n} bars, ${(text.length / 1024).toFixed(0)} KiB)`,
    );
  }
}

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
} else if (args.length) {
  console.error(`error: unexpected argument ${args[0]} (see --help)`);
  process.exit(1);
} else {
  main();
}

#!/usr/bin/env node
/**
 * Writes TA-Lib golden values for the indicator tests (tests/fixtures/golden/*.json).
 *
 * Needs Node 20 and npm `talib@1.1.6` (TA-Lib's C sources built with node-gyp), installed outside the
 * tracked tree:  npm i --prefix .cache/talib talib@1.1.6
 * Run from the repository root:  node scripts/golden/talib_golden.cjs
 * Override the talib location with TALIB_DIR=/path/to/node_modules/talib.
 *
 * Each output file holds, per indicator, an array aligned to the input bars: null during TA-Lib's
 * warm-up (before its begIndex), then TA-Lib's doubles exactly as JSON numbers (shortest round-trip form).
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");

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
  try {
    return require(path.join(TALIB_DIR, "build", "Release", "talib.node"));
  } catch (err) {
    console.error(
      `talib_golden: cannot load talib from ${TALIB_DIR} (run: npm i --prefix .cache/talib talib@1.1.6): ${err.message}`,
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

main();

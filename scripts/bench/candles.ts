/**
 * Speed figures for the candle library on ~1M real-derived rows: parsing (REST rows, archive CSV,
 * OHLCV CSV), validation, gap detection, interval inference and series building.
 * Run: `deno run --allow-read scripts/bench/candles.ts [rows]`.
 */

import { parseArchiveCsv } from "../../shared/candles/archive_csv.ts";
import { findGaps } from "../../shared/candles/gaps.ts";
import { inferInterval } from "../../shared/candles/infer_interval.ts";
import { parseOhlcvCsv } from "../../shared/candles/ohlcv_csv.ts";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { validateCandles } from "../../shared/candles/validate.ts";

/** One measured step: median wall time over the runs and the derived throughput. */
export interface KlineBenchFigure {
  step: string;
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

const HOUR = 3_600_000;

/**
 * REST rows of BTCUSDT 1h 2024 (real) repeated back to back with shifted times until `rows` rows.
 * Prices and volumes are the real ones; open/close times continue hour by hour without gaps.
 */
export function tiledRestRows(source: unknown[][], rows: number): unknown[][] {
  const out: unknown[][] = new Array(rows);
  const t0 = source[0][0] as number;
  for (let i = 0; i < rows; i++) {
    const r = source[i % source.length];
    const t = t0 + i * HOUR;
    out[i] = [t, r[1], r[2], r[3], r[4], r[5], t + HOUR - 1, r[7], r[8], r[9], r[10], r[11]];
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(step: string, rows: number, runs: number, fn: () => unknown): KlineBenchFigure {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  const ms = median(times);
  return { step, rows, ms, rowsPerSecond: rows / (ms / 1000) };
}

/** Measures every step on `rows` rows (median of `runs` runs after one warm-up run each). */
export function runKlineBench(source: unknown[][], rows = 1_000_000, runs = 5): KlineBenchFigure[] {
  const rest = tiledRestRows(source, rows);
  const archive = rest.map((r) => r.join(",")).join("\n") + "\n";
  const ohlcv = "open_time,open,high,low,close,volume\n" +
    rest.map((r) => r.slice(0, 6).join(",")).join("\n") + "\n";
  const candles = parseRestKlines(rest);
  const times = Float64Array.from(candles, (c) => c.openTime);
  const steps: [string, () => unknown][] = [
    ["parseRestKlines", () => parseRestKlines(rest)],
    ["parseArchiveCsv", () => parseArchiveCsv(archive)],
    ["parseOhlcvCsv", () => parseOhlcvCsv(ohlcv)],
    ["validateCandles (1h)", () => validateCandles(candles, "1h")],
    ["findGaps (1h)", () => findGaps(times, "1h")],
    ["inferInterval", () => inferInterval(times)],
    ["seriesFromCandles", () => seriesFromCandles(candles)],
  ];
  return steps.map(([name, fn]) => {
    fn();
    return measure(name, rows, runs, fn);
  });
}

if (import.meta.main) {
  const rows = Number(Deno.args[0] ?? 1_000_000);
  const fixture = new URL("../../tests/fixtures/binance/BTCUSDT-1h-2024.json", import.meta.url);
  const source = JSON.parse(await Deno.readTextFile(fixture)) as unknown[][];
  console.log(`candle library, ${rows} rows (BTCUSDT 1h 2024 tiled), median of 5 runs`);
  for (const f of runKlineBench(source, rows)) {
    const rate = (f.rowsPerSecond / 1e6).toFixed(2);
    console.log(
      `${f.step.padEnd(22)} ${f.ms.toFixed(1).padStart(8)} ms  ${rate.padStart(6)} M rows/s`,
    );
  }
}

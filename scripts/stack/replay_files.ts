/**
 * The series a `deno task start --replay FILE...` run replays: the loaded kline files turned into
 * replay series (REST rows, ./feed.ts `replaySeries`), with the files of one series joined in time
 * order. A folder of monthly files (`BTCUSDT/1h/2024-01-01.json`, `2024-02-01.json`, …, the layout
 * of Binance's archive and of `deno task fetch` run month by month) is one series, as the database
 * stores it; files of one series that overlap are refused naming both, before anything starts.
 */

import type { LoadedKlines } from "../lib/klines/load_klines.ts";
import { UsageError } from "../lib/cli/run_cli.ts";
import { INTERVAL_MS } from "../../shared/candles/intervals.ts";
import type { ReplaySeries } from "../fakes/binance.ts";
import { replaySeries } from "./feed.ts";

/** A replay series and the files it was joined from (in time order). */
export interface JoinedReplay {
  series: ReplaySeries;
  paths: string[];
  /** Candles missing between consecutive files (each file's own gaps are warned about when loaded). */
  missingBetweenFiles: number;
}

/**
 * Joins `files` into one replay series per symbol and interval, in the order each series' first file
 * appears. A file named twice counts once. Throws {@link UsageError} (one line) for a file whose
 * symbol or interval is unknown, or for two files of one series whose candles overlap.
 */
export function joinReplayFiles(files: readonly LoadedKlines[]): JoinedReplay[] {
  const groups = new Map<string, LoadedKlines[]>();
  for (const f of files) {
    if (!f.symbol || !f.interval) {
      throw new UsageError(
        `${f.path}: cannot tell symbol and interval (name the file SYMBOL-interval-….json, or put it in SYMBOL/interval/)`,
      );
    }
    const key = `${f.symbol} ${f.interval}`;
    const g = groups.get(key) ?? [];
    if (!g.some((x) => x.path === f.path)) g.push(f);
    groups.set(key, g);
  }
  const out: JoinedReplay[] = [];
  for (const [key, g] of groups) {
    const parts = g.map((f) => ({ path: f.path, s: replaySeries(f) }))
      .filter((p) => p.s.rows.length > 0)
      .sort((a, b) => a.s.rows[0][0] - b.s.rows[0][0]);
    const step = INTERVAL_MS[g[0].interval!];
    let missing = 0;
    for (let i = 1; i < parts.length; i++) {
      const prev = parts[i - 1].s.rows;
      const last = prev[prev.length - 1][0];
      const first = parts[i].s.rows[0][0];
      if (first <= last) {
        throw new UsageError(
          `${parts[i].path}: overlaps ${parts[i - 1].path} (both hold ${key} candles from ${
            iso(first)
          }); replay each candle from one file only`,
        );
      }
      missing += Math.max(0, Math.round((first - last) / step) - 1);
    }
    out.push({
      series: { ...parts[0].s, rows: parts.flatMap((p) => p.s.rows) },
      paths: parts.map((p) => p.path),
      missingBetweenFiles: missing,
    });
  }
  return out;
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 16) + "Z";
}

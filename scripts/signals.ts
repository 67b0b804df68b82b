/**
 * `deno task signals <file|folder>... [--json] [--last N]`: prints the analyzer's signals for kline
 * files, as a table per series (the files of one series in a folder joined) or one JSON object per
 * signal.
 */

import type { Signal } from "../shared/signals/types.ts";
import { signalRecord } from "../shared/signals/record.ts";
import { analyzeSeries } from "../shared/signals/window.ts";
import {
  ANALYZER_HELP,
  ANALYZER_OPTIONS,
  analyzerConfigFromOptions,
} from "./lib/cli/analyzer_options.ts";
import { KLINE_INPUT_HELP, KLINE_INPUT_OPTIONS, loadKlineInputs } from "./lib/cli/kline_inputs.ts";
import { positiveInt } from "./lib/cli/numbers.ts";
import { LineWriter, parseCli, runCli } from "./lib/cli/run_cli.ts";
import { alignTable, formatPrice, priceDecimals } from "./lib/report/format.ts";

const HELP =
  `usage: deno task signals <file|folder>... [--json] [--last N] [--symbol S] [--interval I] [settings]
Prints the analyzer's signals for kline files: a table per series (time, direction, entry, stop,
targets, confidence, methods, reason), or one JSON object per signal. The files of one
series in a folder (e.g. BTCUSDT/1h/ of monthly files) are joined into one series.
  --json        one JSON object per signal (fields: README "Signals")
  --last N      only the last N signals of each series
${KLINE_INPUT_HELP}
${ANALYZER_HELP}`;

/** Short reason: the pattern behind each agreeing method, e.g. `SOS 4.2x vol + 4/6 checks`. */
export function shortReason(s: Signal): string {
  const parts: string[] = [];
  for (const c of s.contributions) {
    if (c.share <= 0) continue;
    if (c.method === "wyckoff") {
      const ev = s.patterns.wyckoff.filter((e) => e.direction === s.direction).at(-1);
      const name = ev === undefined
        ? "event"
        : ev.kind.length === 3
        ? ev.kind.toUpperCase()
        : ev.kind;
      parts.push(ev === undefined ? "Wyckoff" : `${name} ${ev.volumeRatio.toFixed(1)}x vol`);
    } else if (c.method === "elliott") {
      const count = s.patterns.elliott;
      parts.push(
        count === null
          ? "Elliott"
          : `${count.kind === "impulse" ? "impulse" : "ABC"} ${count.trend} done`,
      );
    } else {
      const m = c.detail.match(/^(\d+\/\d+)/);
      parts.push(`${m ? m[1] : "?"} checks`);
    }
  }
  return parts.join(" + ");
}

/** The table for one series' signals (header first). */
export function signalTable(signals: readonly Signal[]): string[] {
  const d = priceDecimals(signals.flatMap((s) => [s.entry, s.stopLoss, ...s.takeProfits]));
  const rows = [
    ["time (UTC)", "dir", "entry", "stop", "tp1", "tp2", "tp3", "conf", "methods", "reason"],
  ];
  for (const s of signals) {
    rows.push([
      new Date(s.time).toISOString().slice(0, 16).replace("T", " "),
      s.direction,
      formatPrice(s.entry, d),
      formatPrice(s.stopLoss, d),
      ...s.takeProfits.map((t) => formatPrice(t, d)),
      s.confidence.toFixed(2),
      s.contributions.filter((c) => c.share > 0)
        .map((c) => `${c.method} ${Math.round(c.share * 100)}%`).join(", "),
      shortReason(s),
    ]);
  }
  return alignTable(rows, "ll      ll");
}

/** Runs `deno task signals`. */
export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    json: { type: "boolean" },
    last: { type: "string" },
    ...KLINE_INPUT_OPTIONS,
    ...ANALYZER_OPTIONS,
  });
  const last = values.last === undefined ? null : positiveInt("last", values.last);
  const config = await analyzerConfigFromOptions(values);
  const files = await loadKlineInputs(positionals, values);
  const out = new LineWriter();
  for (const [i, f] of files.entries()) {
    const all = analyzeSeries(f.series, config);
    const signals = last === null ? all : all.slice(-last);
    if (values.json) {
      for (const s of signals) out.line(JSON.stringify(signalRecord(s, f.symbol, f.interval)));
      continue;
    }
    if (files.length > 1) out.line(`${i > 0 ? "\n" : ""}${f.path}`);
    if (signals.length > 0) { for (const l of signalTable(signals)) out.line(l); }
    const n = f.series.length;
    const days = n > 1 ? (f.series.openTime[n - 1] - f.series.openTime[0]) / 86_400_000 : 0;
    const perMonth = days > 0 ? (all.length / days) * 30.44 : 0;
    const shown = signals.length < all.length ? ` (showing the last ${signals.length})` : "";
    out.line(
      `${all.length} signal${all.length === 1 ? "" : "s"}${shown} over ${n} candles (${
        f.symbol ?? "symbol unknown"
      } ${f.interval ?? "interval unknown"}), ${perMonth.toFixed(1)} per month`,
    );
  }
  out.flush();
}

if (import.meta.main) await runCli(main);

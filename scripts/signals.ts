/**
 * `deno task signals <file> [--json]`: prints the analyzer's signals for a kline file, as a table or
 * one JSON object per signal.
 */

import { parseArgs } from "node:util";
import { signalRecord } from "../shared/signals/record.ts";
import { analyzeSeries } from "../shared/signals/window.ts";
import {
  ANALYZER_HELP,
  ANALYZER_OPTIONS,
  analyzerConfigFromOptions,
} from "./lib/cli/analyzer_options.ts";
import { LineWriter, runCli } from "./lib/cli/run_cli.ts";
import {
  KLINE_FILE_HELP,
  KLINE_FILE_OPTIONS,
  loadCliKlineFile,
} from "./lib/cli/kline_file_options.ts";

const HELP = `usage: deno task signals <file> [--json] [--symbol S] [--interval I] [settings]
Reads a kline file (Binance REST JSON, Binance archive CSV, OHLCV CSV) and prints the signals.
  --json        one JSON object per signal
${KLINE_FILE_HELP}
${ANALYZER_HELP}`;

function p(x: number): string {
  return x.toPrecision(7);
}

await runCli(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: "boolean" },
      ...KLINE_FILE_OPTIONS,
      ...ANALYZER_OPTIONS,
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const config = await analyzerConfigFromOptions(values);
  const loaded = await loadCliKlineFile(positionals, values);
  const signals = analyzeSeries(loaded.series, config);
  const out = new LineWriter();
  if (values.json) {
    for (const s of signals) {
      out.line(JSON.stringify(signalRecord(s, loaded.symbol, loaded.interval)));
    }
    out.flush();
    return;
  }
  out.line(
    [
      "time (UTC)      ",
      "dir  ",
      "entry     ",
      "stop      ",
      "tp1       ",
      "tp2       ",
      "tp3       ",
      "conf",
      "methods",
    ].join(" "),
  );
  for (const s of signals) {
    const methods = s.contributions.filter((c) => c.share > 0)
      .map((c) => `${c.method} ${Math.round(c.share * 100)}%`).join(", ");
    out.line([
      new Date(s.time).toISOString().slice(0, 16).replace("T", " "),
      s.direction.padEnd(5),
      p(s.entry).padEnd(10),
      p(s.stopLoss).padEnd(10),
      ...s.takeProfits.map((t) => p(t).padEnd(10)),
      s.confidence.toFixed(2),
      methods,
    ].join(" "));
  }
  const n = loaded.series.length;
  const days = n > 1 ? (loaded.series.openTime[n - 1] - loaded.series.openTime[0]) / 86_400_000 : 0;
  const perMonth = days > 0 ? (signals.length / days) * 30.44 : 0;
  out.line(
    `${signals.length} signals over ${n} candles (${loaded.symbol ?? "?"} ${
      loaded.interval ?? "?"
    }), ${perMonth.toFixed(1)} per month`,
  );
  out.flush();
});

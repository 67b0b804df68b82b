/**
 * `deno task fetch SYMBOL INTERVAL --from DATE [--to DATE] [--out FILE] [--rest-url URL] [--json]`:
 * downloads closed Binance klines into a file in the format of Binance's REST answer (the fixtures'
 * format: one row per line, decimals exactly as Binance sent them), through the project's one REST
 * client (≤ 1,000 rows a call, weight budget, Retry-After, only closed candles by Binance's clock).
 * Rows are written as they arrive; running the same command again resumes an interrupted file.
 */

import { type Interval, INTERVAL_MS, isInterval } from "../shared/candles/intervals.ts";
import { CandleError } from "../shared/candles/errors.ts";
import { parseRestKlines } from "../shared/candles/rest_klines.ts";
import { validateCandles } from "../shared/candles/validate.ts";
import {
  BINANCE_REST_URLS,
  BinanceError,
  BinanceRest,
} from "../supabase/functions/_shared/binance_rest.ts";
import { processEnv } from "../supabase/functions/_shared/env.ts";
import { parseUtcDate } from "./lib/cli/backtest_options.ts";
import { ProgressBar } from "./lib/cli/progress.ts";
import { checkOutputPath } from "./lib/cli/output_file.ts";
import { note, oneLine, parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { binanceSymbol } from "./lib/cli/kline_inputs.ts";
import { openForAppend, type RestRow } from "./lib/klines/rest_json_file.ts";

const HELP =
  `usage: deno task fetch SYMBOL INTERVAL --from DATE [--to DATE] [--out FILE] [--rest-url URL] [--json]
Downloads closed Binance spot klines into FILE as a JSON array of REST rows (one per line, decimals
as Binance sent them): the format every task here reads. Running it again resumes an interrupted file.
  SYMBOL            e.g. BTCUSDT (upper-cased: btcusdt = BTCUSDT)
  INTERVAL          1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M (case-sensitive)
  --from DATE       first open time, UTC: 2024-01-01 or 2024-01-01T12:00
  --to DATE         last open time, inclusive (a date covers its whole day; default: the newest closed)
  --out FILE        default SYMBOL-INTERVAL-FROM[_TO].json in the current folder
  --rest-url URL    Binance REST base URL (env BINANCE_REST_URL; default ${BINANCE_REST_URLS.dataApi})
  --json            print a JSON summary instead of a line of text
A progress bar is drawn on stderr when it is a terminal.`;

const DAY_MS = 86_400_000;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    from: { type: "string" },
    to: { type: "string" },
    out: { type: "string" },
    "rest-url": { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length !== 2) throw new UsageError("expected SYMBOL and INTERVAL (see --help)");
  const symbol = binanceSymbol("SYMBOL", positionals[0]);
  const interval = positionals[1];
  if (!isInterval(interval)) {
    throw new UsageError(
      `unknown interval ${interval} (Binance intervals are case-sensitive: 1m, 1h, 4h, 1d, 1M...)`,
    );
  }
  if (values.from === undefined) throw new UsageError("--from DATE is required (see --help)");
  const from = parseUtcDate("from", values.from);
  const to = values.to === undefined
    ? undefined
    : parseUtcDate("to", values.to) + (/^\d{4}-\d{2}-\d{2}$/.test(values.to) ? DAY_MS - 1 : 0);
  if (to !== undefined && to < from) throw new UsageError("--to is before --from");
  const baseUrl = restUrl(values["rest-url"]);
  const out = values.out ??
    `${symbol}-${interval}-${values.from.slice(0, 10)}${
      values.to ? `_${values.to.slice(0, 10)}` : ""
    }.json`;

  if (values.out !== undefined) await checkOutputPath("out", out);

  let file;
  try {
    file = await openForAppend(out);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let written = 0;
  try {
    if (file.firstOpenTime !== null && file.firstOpenTime < from) {
      throw new UsageError(
        `${out} starts at ${
          iso(file.firstOpenTime)
        }, before --from: not this download (choose another --out)`,
      );
    }
    checkExistingInterval(file.existingRows, interval, out);
    // A resumed file's last row is asked for again: Binance's row for it must be the stored one,
    // or the file holds another symbol's klines (REST rows do not name their symbol).
    const stored = file.existingRows.at(-1) ?? null;
    const start = file.lastOpenTime === null ? from : file.lastOpenTime;
    const resuming = () =>
      note(`${out}: resuming after ${file.existing} candles (last ${iso(Number(stored?.[0]))})`);
    if (file.existing > 0 && to !== undefined && start > to) resuming();
    const rest = new BinanceRest({
      baseUrl,
      onEvent: (e) =>
        note(
          `binance: ${e.type === "retry" ? "retrying" : "waiting"} ${
            Math.round(e.waitMs / 1000)
          } s (${e.detail ?? e.status ?? e.type})`,
        ),
    });
    const progress = new ProgressBar(!values.json);
    const serverTime = await rest.serverTime();
    const total = estimate(from, Math.min(to ?? serverTime, serverTime), interval);
    if (to === undefined || start <= to) {
      let verify = stored;
      for await (
        const rows of rest.closedKlines({
          symbol,
          interval,
          startTime: start,
          endTime: to,
          serverTime,
        })
      ) {
        let page = rows;
        if (verify !== null) {
          checkSameRow(verify, page[0], symbol, interval, out);
          resuming();
          verify = null;
          page = page.slice(1);
        }
        if (page.length === 0) continue;
        validateCandles(parseRestKlines(page), interval);
        await file.append(page);
        written += page.length;
        progress.update(`${symbol} ${interval}`, Math.min(total, file.existing + written), total);
      }
      if (verify !== null) checkSameRow(verify, undefined, symbol, interval, out);
    }
    progress.clear();
    if (file.existing + written === 0) {
      throw new UsageError(
        `Binance has no closed ${symbol} ${interval} candle from ${values.from}${
          values.to === undefined ? "" : ` to ${values.to}`
        }; no file written`,
      );
    }
    await file.finish();
  } catch (e) {
    file.close();
    if (e instanceof BinanceError) {
      // -1121 is Binance's "Invalid symbol" (Binance spot API docs, error codes).
      const message = e.kind === "unavailable"
        ? `no answer from ${baseUrl}: ${e.message}; check the network, or point --rest-url or BINANCE_REST_URL at a reachable Binance`
        : e.code === -1121
        ? `Binance does not list the spot symbol ${symbol} (${e.message})`
        : e.message;
      throw new UsageError(
        `${message}${
          written ? ` (${written} new candles kept in ${out}; run again to resume)` : ""
        }`,
      );
    }
    throw e;
  }
  const summary = {
    symbol,
    interval,
    file: out,
    candles: file.existing + written,
    fetched: written,
    resumedAfter: file.existing,
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `${symbol} ${interval}: ${summary.candles} candles in ${out}` +
        (file.existing ? ` (${written} new, resumed after ${file.existing})` : ""),
    );
  }
}

function restUrl(flag: string | undefined): string {
  const env = processEnv().BINANCE_REST_URL;
  const v = flag ?? (env || BINANCE_REST_URLS.dataApi);
  const source = flag !== undefined ? "--rest-url" : env ? "BINANCE_REST_URL" : "default";
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${source}: not a URL: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new UsageError(`${source}: expected an http(s):// URL, got ${v}`);
  }
  return v;
}

/**
 * Refuses to resume `out` when its rows are not klines of `interval` (open times off the interval's
 * grid, or close times beyond their candle), before anything is written. Throws {@link UsageError}.
 */
function checkExistingInterval(rows: readonly RestRow[], interval: Interval, out: string): void {
  if (rows.length === 0) return;
  try {
    validateCandles(parseRestKlines(rows), interval);
  } catch (e) {
    const why = e instanceof CandleError && e.row !== null
      ? `row ${e.row + 1}: ${e.detail}`
      : oneLine(e);
    throw new UsageError(
      `${out}: not ${interval} klines (${why}): not this download (choose another --out)`,
    );
  }
}

/**
 * Compares a resumed file's last row with Binance's row for the same open time (open time, open,
 * high, low, close, volume). Throws {@link UsageError} when they differ or Binance has none.
 */
function checkSameRow(
  stored: RestRow,
  fetched: RestRow | undefined,
  symbol: string,
  interval: Interval,
  out: string,
): void {
  const key = (r: RestRow) => JSON.stringify(r.slice(0, 6).map(String));
  if (fetched !== undefined && key(fetched) === key(stored)) return;
  throw new UsageError(
    `${out}: its last candle (${
      iso(Number(stored[0]))
    }) is not Binance's ${symbol} ${interval} candle: the file holds another series (choose another --out)`,
  );
}

/** Expected number of candles opening in [from, end] (ms), for the progress bar. */
function estimate(from: number, end: number, interval: Interval): number {
  if (interval === "1M") {
    const a = new Date(from);
    const b = new Date(end);
    return Math.max(
      1,
      (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1,
    );
  }
  return Math.max(1, Math.floor((end - from) / INTERVAL_MS[interval]) + 1);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(":00.000Z", "Z");
}

if (import.meta.main) await runCli(main);

/**
 * The symbol and timeframe options of the commands, checked against the tracked series (active
 * symbols × their timeframes). Every refusal is an {@link OptionError} the user sees, naming what
 * is tracked.
 */

import { type Interval, isInterval } from "../../../shared/candles/intervals.ts";
import { type SeriesKey, trackedSeries } from "../_shared/db_api.ts";
import type { Sql } from "../_shared/deps.ts";
import { OptionError, type OptionValues } from "./interaction.ts";

/** `btcusdt ` → `BTCUSDT`; OptionError unless it looks like a Binance symbol. */
export function symbolOption(values: OptionValues): string {
  const s = String(values.symbol ?? "").trim().toUpperCase();
  if (!/^[A-Z0-9]{2,20}$/.test(s)) {
    throw new OptionError(`symbol must be 2 to 20 letters and digits, like BTCUSDT`);
  }
  return s;
}

/** The timeframe option (null when not given); OptionError unless it is a Binance interval. */
export function timeframeOption(values: OptionValues): Interval | null {
  if (values.timeframe === undefined) return null;
  const t = String(values.timeframe).trim();
  if (!isInterval(t)) {
    throw new OptionError(`timeframe must be a Binance interval such as 15m, 1h, 4h or 1d`);
  }
  return t;
}

function list(xs: readonly string[]): string {
  return xs.length ? xs.join(", ") : "none";
}

/**
 * Checks that `symbol` (and `interval`, when given) is tracked; returns the tracked series.
 * OptionError naming the tracked symbols or the symbol's timeframes otherwise.
 */
export async function requireTracked(
  sql: Sql,
  symbol: string,
  interval: Interval | null,
): Promise<SeriesKey[]> {
  const tracked = await trackedSeries(sql);
  const mine = tracked.filter((k) => k.symbol === symbol);
  if (mine.length === 0) {
    throw new OptionError(
      `${symbol} is not tracked (tracked: ${list([...new Set(tracked.map((k) => k.symbol))])})`,
    );
  }
  if (interval && !mine.some((k) => k.interval === interval)) {
    throw new OptionError(
      `${symbol} is not analysed on ${interval} (its timeframes: ${
        list(mine.map((k) => k.interval))
      })`,
    );
  }
  return mine;
}

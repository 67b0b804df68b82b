/**
 * `/backtest symbol timeframe [days]`: answered at once with a deferred response (type 5, within
 * Discord's 3 s), then the backtester runs on the stored candles in the background and the original
 * response is edited with trades, win rate, expectancy in R, return against buy-and-hold and the
 * maximum drawdown (or a clear message when too little history is stored). The run is stored in
 * `backtests`.
 *
 * Cost: the analyzer runs over the period plus {@link WARMUP_BARS} earlier candles, at most
 * {@link MAX_WINDOW_BARS} + warm-up candles (a year of 1h candles fits), inside the 2 s of CPU an
 * Edge Function request gets (measured by `deno task bench discord`).
 */

import { INTERVAL_MS } from "../../../../shared/candles/intervals.ts";
import type { CandleSeries } from "../../../../shared/candles/types.ts";
import { computeMetrics } from "../../../../shared/backtest/metrics.ts";
import { DEFAULT_BACKTEST_SETTINGS } from "../../../../shared/backtest/settings.ts";
import { simulate } from "../../../../shared/backtest/simulate.ts";
import { parseAnalyzerConfig } from "../../../../shared/signals/config.ts";
import { analyzeSeries } from "../../../../shared/signals/window.ts";
import {
  analyzerSettings,
  loadCandles,
  saveBacktest,
  type SeriesKey,
} from "../../_shared/db_api.ts";
import type { Deps } from "../../_shared/deps.ts";
import { DISCLAIMER } from "../../_shared/discord_card.ts";
import { BACKTEST_DEFAULT_DAYS } from "../../_shared/discord_commands.ts";
import type { Embed } from "../../_shared/discord_embed.ts";
import { DiscordRest } from "../../_shared/discord_rest.ts";
import { realClock } from "../../_shared/discord_rate_limit.ts";
import { errorLine } from "../../_shared/log.ts";
import { formatR, formatShare, formatUtc } from "../../_shared/price_format.ts";
import { type CommandInteraction, OptionError, type OptionValues } from "../interaction.ts";
import { deferred } from "../responses.ts";
import { requireTracked, symbolOption, timeframeOption } from "../series_options.ts";

/** Candles fed to the analyzer before the period starts (its indicators' warm-up, EMA200 included). */
export const WARMUP_BARS = 500;
/** Most candles in a backtested period (a year of 1h candles is 8,760). */
export const MAX_WINDOW_BARS = 9000;
/** Fewest candles of a period worth a backtest. */
export const MIN_WINDOW_BARS = 50;

const DAY = 86_400_000;

/** What a backtest found (or why it could not run). */
export type BacktestOutcome =
  | { ok: false; message: string }
  | {
    ok: true;
    key: SeriesKey;
    /** The period's first open time and last bar's close (ms). */
    from: number;
    to: number;
    bars: number;
    /** The requested days were cut to this many (history or the candle cap). */
    days: number;
    requestedDays: number;
    trades: number;
    winRate: number | null;
    expectancyR: number | null;
    totalR: number;
    profitFactor: number | null;
    returnPct: number;
    buyAndHoldPct: number;
    maxDrawdownPct: number;
    signals: number;
  };

/**
 * Backtests `key` over the last `days` days of `series` (its candles, oldest first, the period's
 * warm-up included) with the analyzer settings `config` and the default costs (0.1 % fee per side,
 * 2 bp slippage, 1 % risk per trade).
 */
export function backtestSeries(
  key: SeriesKey,
  series: CandleSeries,
  days: number,
  config: unknown,
): BacktestOutcome {
  const barMs = INTERVAL_MS[key.interval];
  const n = series.length;
  const wanted = Math.ceil((days * DAY) / barMs);
  const window = Math.min(wanted, MAX_WINDOW_BARS, Math.max(0, n - WARMUP_BARS));
  if (window < MIN_WINDOW_BARS) {
    return {
      ok: false,
      message:
        `Too little data: ${n} ${key.interval} candles of ${key.symbol} are stored; a backtest needs at least ${
          WARMUP_BARS + MIN_WINDOW_BARS
        } (${WARMUP_BARS} to warm the analyzer up, then ${MIN_WINDOW_BARS} to trade). History fills in as the relay and the backfill run.`,
    };
  }
  const start = n - window;
  const signals = analyzeSeries(series, parseAnalyzerConfig(config));
  const settings = DEFAULT_BACKTEST_SETTINGS;
  const sim = simulate(series, signals, settings, { start, end: n });
  const m = computeMetrics(series, sim, settings);
  return {
    ok: true,
    key,
    from: m.from,
    to: m.to,
    bars: m.bars,
    days: Math.round((window * barMs) / DAY),
    requestedDays: days,
    trades: m.all.trades,
    winRate: m.all.winRate,
    expectancyR: m.all.expectancyR,
    totalR: sim.trades.reduce((s, t) => s + t.r, 0),
    profitFactor: m.all.profitFactor,
    returnPct: m.totalReturnPct,
    buyAndHoldPct: m.buyAndHoldReturnPct,
    maxDrawdownPct: m.maxDrawdown.maxDrawdownPct,
    signals: m.signals,
  };
}

function signedPct(p: number): string {
  return `${p >= 0 ? "+" : "−"}${Math.abs(p).toFixed(2)}%`;
}

/** The embed that replaces the deferred response. */
export function backtestEmbed(o: Extract<BacktestOutcome, { ok: true }>): Embed {
  const cut = o.days < o.requestedDays
    ? ` (asked ${o.requestedDays}; ${
      o.bars >= MAX_WINDOW_BARS
        ? `at most ${MAX_WINDOW_BARS} candles fit one run`
        : "no more history is stored"
    })`
    : "";
  return {
    title: `Backtest · ${o.key.symbol} ${o.key.interval} · ${o.days} days`,
    description: `${formatUtc(o.from)} to ${formatUtc(o.to)}, ${o.bars} candles${cut}.`,
    color: o.returnPct >= o.buyAndHoldPct ? 0x2ecc71 : 0xe67e22,
    fields: [
      { name: "Trades", value: `${o.trades} (${o.signals} signals)`, inline: true },
      {
        name: "Win rate",
        value: o.winRate === null ? "—" : formatShare(o.winRate),
        inline: true,
      },
      {
        name: "Expectancy",
        value: o.expectancyR === null ? "—" : `${formatR(o.expectancyR)} per trade`,
        inline: true,
      },
      { name: "Total", value: formatR(o.totalR), inline: true },
      {
        name: "Profit factor",
        value: o.profitFactor === null ? "—" : o.profitFactor.toFixed(2),
        inline: true,
      },
      {
        name: "Return vs buy-and-hold",
        value: `${signedPct(o.returnPct)} vs ${signedPct(o.buyAndHoldPct)}`,
        inline: true,
      },
      { name: "Max drawdown", value: `−${o.maxDrawdownPct.toFixed(2)}%`, inline: true },
    ],
    footer: {
      text:
        `Signal at the bar's close, entry at the next open; 0.1% fee a side, 2 bp slippage, 1% risk a trade. Past results, ${DISCLAIMER.toLowerCase()}.`,
    },
  };
}

/**
 * Runs the backtest and edits the interaction's original response with the result (or the
 * reason it could not run). Never throws: failures are logged and shown to the user.
 */
export async function finishBacktest(
  deps: Deps,
  i: CommandInteraction,
  key: SeriesKey,
  days: number,
  userId: string,
): Promise<void> {
  let body: { content?: string; embeds?: Embed[] };
  try {
    const rows = Math.min(Math.ceil((days * DAY) / INTERVAL_MS[key.interval]), MAX_WINDOW_BARS) +
      WARMUP_BARS;
    const series = await loadCandles(deps.sql, key, { maxRows: rows });
    const outcome = backtestSeries(key, series, days, await analyzerSettings(deps.sql));
    if (!outcome.ok) body = { content: outcome.message };
    else {
      await saveBacktest(deps.sql, {
        ...key,
        fromTime: outcome.from,
        toTime: outcome.to,
        params: { days, source: "discord" },
        summary: { ...outcome, key: undefined },
        trades: outcome.trades,
        winRate: outcome.winRate,
        totalR: outcome.totalR,
        requestedBy: userId,
      });
      body = { embeds: [backtestEmbed(outcome)] };
    }
  } catch (e) {
    deps.log.error("backtest failed", {
      series: `${key.symbol} ${key.interval}`,
      error: errorLine(e),
    });
    body = { content: "The backtest failed on the server; it is logged. Try again later." };
  }
  const rest = new DiscordRest({
    apiUrl: deps.env.DISCORD_API_URL,
    fetch: deps.fetch,
    clock: { now: deps.now, sleep: realClock.sleep },
    timeoutMs: deps.env.DISCORD_TIMEOUT_MS,
  });
  const r = await rest.editOriginalResponse(i.application_id, i.token, {
    ...body,
    allowed_mentions: { parse: [] },
  });
  if (!r.ok) deps.log.error("could not edit the /backtest response", { error: r.message });
}

/** Answers /backtest: checks the options now, defers, and finishes in the background. */
export async function backtestCommand(
  deps: Deps,
  i: CommandInteraction,
  userId: string,
  values: OptionValues,
): Promise<Response> {
  const symbol = symbolOption(values);
  const interval = timeframeOption(values);
  if (!interval) throw new OptionError("timeframe is required");
  const days = typeof values.days === "number" ? values.days : BACKTEST_DEFAULT_DAYS;
  await requireTracked(deps.sql, symbol, interval);
  deps.waitUntil(finishBacktest(deps, i, { symbol, interval }, days, userId));
  return deferred();
}

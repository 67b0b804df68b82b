/**
 * A test world for the relay: throwaway test symbols in the real test database, the fake Binance
 * replaying real fixture rows under those symbols over real sockets, and helpers to read back what
 * was stored and compare it with the source rows.
 */

import postgres from "postgres";
import {
  type FakeBinance,
  type FakeBinanceOptions,
  type KlineRow,
  loadReplayFile,
  startFakeBinance,
} from "../../scripts/fakes/binance.ts";
import type { LogEntry } from "../../scripts/lib/cli/log.ts";
import type { RelayOptions } from "../../scripts/relay/relay.ts";
import type { Interval } from "../../shared/candles/intervals.ts";
import { testDatabaseUrl } from "../db/test_database.ts";
import { fixturePath } from "../support/fixtures.ts";

/** One replayed series: a fixture file served as `symbol`, rows [from, to). */
export interface WorldSeries {
  file: string;
  symbol: string;
  interval: Interval;
  from?: number;
  to?: number;
  /**
   * Rows [start, end) of the selection left out: the symbol was halted then (Binance status
   * BREAK), so the stream sends nothing for it and REST has no candle in between.
   */
  halt?: [start: number, end: number];
}

/** What a test gets. */
export interface World {
  sql: postgres.Sql;
  fake: FakeBinance;
  /** Source rows per `SYMBOL interval`. */
  sources: Map<string, KlineRow[]>;
  /** Log entries of relays built with {@link relayOptions}. */
  logs: LogEntry[];
  series: { symbol: string; interval: Interval }[];
}

/** Test symbols' series over the 2025-01-06 weeks: 3 symbols × 15m and 1h. */
export function threeByTwo(prefix: string, rows15m: number, rows1h: number): WorldSeries[] {
  const out: WorldSeries[] = [];
  for (const base of ["BTC", "ETH", "SOL"]) {
    out.push({
      file: `${base}USDT-15m-2025W02-W07.json`,
      symbol: `${prefix}${base}`,
      interval: "15m",
      to: rows15m,
    });
    out.push({
      file: `${base}USDT-1h-2025W02-W07.json`,
      symbol: `${prefix}${base}`,
      interval: "1h",
      to: rows1h,
    });
  }
  return out;
}

/**
 * Creates the test symbols (active, with their intervals), starts the fake with `fakeOptions`,
 * runs `fn`, and removes everything (the symbols' candles go with them).
 */
export async function withWorld(
  series: WorldSeries[],
  fakeOptions: Partial<FakeBinanceOptions>,
  fn: (w: World) => Promise<void>,
): Promise<void> {
  const sql = postgres(testDatabaseUrl(), { max: 4, onnotice: () => {} });
  const symbols = new Map<string, Set<string>>();
  for (const s of series) {
    symbols.set(s.symbol, (symbols.get(s.symbol) ?? new Set()).add(s.interval));
  }
  const replay = series.map((s) => {
    const r = loadReplayFile(fixturePath(`binance/${s.file}`), {
      symbol: s.symbol,
      interval: s.interval,
      from: s.from,
      to: s.to,
    });
    if (s.halt) r.rows = [...r.rows.slice(0, s.halt[0]), ...r.rows.slice(s.halt[1])];
    return r;
  });
  const sources = new Map(replay.map((r) => [`${r.symbol} ${r.interval}`, r.rows]));
  for (const [symbol, tfs] of symbols) {
    await sql`delete from public.symbols where symbol = ${symbol}`;
    await sql`insert into public.symbols (symbol, base_asset, quote_asset, display_name, active, timeframes)
      values (${symbol}, 'TST', 'USDT', ${symbol}, true, ${[...tfs]})`;
  }
  const fake = await startFakeBinance({ series: replay, ...fakeOptions });
  try {
    await fn({
      sql,
      fake,
      sources,
      logs: [],
      series: series.map((s) => ({ symbol: s.symbol, interval: s.interval })),
    });
  } finally {
    await fake.close();
    for (const symbol of symbols.keys()) {
      await sql`delete from public.symbols where symbol = ${symbol}`;
    }
    await sql.end();
  }
}

/** Relay options for a world: its database, the fake's URLs, fast reconnects, logs collected. */
export function relayOptions(w: World, extra: Partial<RelayOptions> = {}): RelayOptions {
  return {
    sql: w.sql,
    series: w.series,
    wsUrl: w.fake.wsUrl,
    restUrl: w.fake.restUrl,
    relayId: `test-${crypto.randomUUID().slice(0, 8)}`,
    log: (e) => w.logs.push(e),
    backoff: { initialMs: 20, maxMs: 200, stableMs: 1000 },
    heartbeatMs: 500,
    refreshSeriesMs: 0,
    ...extra,
  };
}

/** Stored candles of a series as REST-like rows of numbers (open/close times in ms). */
export async function storedRows(
  sql: postgres.Sql,
  symbol: string,
  interval: string,
): Promise<number[][]> {
  const rows = await sql<Record<string, string | number>[]>`
    select public.epoch_ms(open_time) as t, open, high, low, close, volume,
           public.epoch_ms(close_time) as ct, quote_volume, trades, taker_buy_base, taker_buy_quote
    from public.candles where symbol = ${symbol} and timeframe = ${interval} order by open_time`;
  return rows.map((r) =>
    [
      r.t,
      r.open,
      r.high,
      r.low,
      r.close,
      r.volume,
      r.ct,
      r.quote_volume,
      r.trades,
      r.taker_buy_base,
      r.taker_buy_quote,
    ].map(Number)
  );
}

/** Source rows as numbers, in the shape of {@link storedRows}. */
export function asNumbers(rows: readonly KlineRow[]): number[][] {
  return rows.map((r) => r.slice(0, 11).map(Number));
}

/** Number of candles stored for the world's series. */
export async function storedCount(w: World): Promise<number> {
  const symbols = [...new Set(w.series.map((s) => s.symbol))];
  const [r] = await w.sql<
    { n: string }[]
  >`select count(*) as n from public.candles where symbol = any(${symbols})`;
  return Number(r.n);
}

/** Every source row of the world. */
export function sourceCount(w: World): number {
  let n = 0;
  for (const rows of w.sources.values()) n += rows.length;
  return n;
}

/** Asserts-friendly comparison: for each series, stored rows equal the source rows exactly. */
export async function compareWithSource(
  w: World,
): Promise<Record<string, { stored: number; source: number; equal: boolean }>> {
  const out: Record<string, { stored: number; source: number; equal: boolean }> = {};
  for (const [name, rows] of w.sources) {
    const [symbol, interval] = name.split(" ");
    const stored = await storedRows(w.sql, symbol, interval);
    const source = asNumbers(rows);
    out[name] = {
      stored: stored.length,
      source: source.length,
      equal: JSON.stringify(stored) === JSON.stringify(source),
    };
  }
  return out;
}

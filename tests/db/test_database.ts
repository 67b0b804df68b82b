/** Shared helpers for the database tests: the test database URL and throwaway test symbols. */

import postgres from "postgres";

/** The URL of the throwaway test database; throws when TEST_DATABASE_URL is missing. */
export function testDatabaseUrl(): string {
  const url = Deno.env.get("TEST_DATABASE_URL");
  if (!url) {
    throw new Error(
      "TEST_DATABASE_URL is not set: run the database tests through `deno task test` (scripts/test.ts starts the database)",
    );
  }
  return url;
}

/** A postgres.js client on the test database (close it with `end()`). */
export function connect(max = 4): postgres.Sql {
  return postgres(testDatabaseUrl(), { max, onnotice: () => {} });
}

/**
 * Creates a test-only symbol (inactive unless `active`), runs `fn`, then deletes the symbol and,
 * through the foreign keys' cascade, every candle, signal and state row the test made.
 */
export async function withTestSymbol<T>(
  sql: postgres.Sql,
  symbol: string,
  fn: () => Promise<T>,
  active = false,
): Promise<T> {
  await sql`delete from public.symbols where symbol = ${symbol}`;
  await sql`insert into public.symbols (symbol, base_asset, quote_asset, display_name, active, timeframes)
    values (${symbol}, 'TST', 'USDT', ${symbol}, ${active}, '{1h}')`;
  try {
    return await fn();
  } finally {
    await sql`delete from public.symbols where symbol = ${symbol}`;
  }
}

/** Binance REST kline rows (strings) as ingest_candles batch objects. */
export function klinesToBatch(
  rows: (string | number)[][],
  symbol: string,
  timeframe: string,
): Record<string, string | number>[] {
  return rows.map((k) => ({
    symbol,
    timeframe,
    open_time: Number(k[0]),
    open: k[1],
    high: k[2],
    low: k[3],
    close: k[4],
    volume: k[5],
    close_time: Number(k[6]),
    quote_volume: k[7],
    trades: Number(k[8]),
    taker_buy_base: k[9],
    taker_buy_quote: k[10],
  }));
}

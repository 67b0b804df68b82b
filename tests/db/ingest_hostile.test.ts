/**
 * api.ingest_candles against hostile batches: keys repeated many times inside one batch, oversized
 * echoed values, control characters; and the statement timeout of the role the SQL API is granted to.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { connect, testDatabaseUrl, withTestSymbol } from "./test_database.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function candle(symbol: string, openTime: number): Record<string, string | number> {
  return {
    symbol,
    timeframe: "1h",
    open_time: openTime,
    open: 10,
    high: 11,
    low: 9,
    close: 10.5,
    volume: 1,
  };
}

/** Runs `fn` and returns the message of the error it must raise. */
async function errorOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

/** Bytes in the test server's log (the harness writes it beside the data directory). */
async function serverLogSize(sql: postgres.Sql): Promise<number> {
  const [r] =
    await sql`select (pg_stat_file(current_setting('data_directory') || '/../server.log')).size`;
  return Number(r.size);
}

/** The test server's log from byte `from` on. */
async function serverLogFrom(sql: postgres.Sql, from: number): Promise<string> {
  const [r] = await sql`select pg_read_file(current_setting('data_directory') || '/../server.log',
    ${from}, (pg_stat_file(current_setting('data_directory') || '/../server.log')).size - ${from}) as text`;
  return r.text as string;
}

Deno.test("100,000 rows repeating one or two keys are rejected at the first repeat, well within a minute", async () => {
  const sql = connect(1);
  try {
    await withTestSymbol(sql, "TSTREPEAT", async () => {
      for (const keys of [2, 1]) {
        const batch = Array.from(
          { length: 100_000 },
          (_, i) => candle("TSTREPEAT", T0 + (i % keys) * HOUR),
        );
        // A guard against the quadratic search this replaced (159 s for two keys), not a speed
        // target: `deno task bench db` prints the time.
        const message = await errorOf(() =>
          sql.begin(async (tx) => {
            await tx`set local statement_timeout = '60s'`;
            await tx`select * from api.ingest_candles(${JSON.stringify(batch)}::text::json)`;
          })
        );
        assert.equal(
          message,
          `ingest_candles: row ${keys} (TSTREPEAT 1h open_time ${T0}) rejected: duplicate of an earlier row in the batch`,
        );
      }
      const [c] =
        await sql`select count(*)::int as n from public.candles where symbol = 'TSTREPEAT'`;
      assert.equal(c.n, 0);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a rejected 100,000-row batch with a 1 MB symbol gives a short one-line error and a short log", async () => {
  const sql = connect(1);
  try {
    await withTestSymbol(sql, "TSTECHO", async () => {
      const batch = Array.from({ length: 100_000 }, (_, i) => candle("TSTECHO", T0 + i * HOUR));
      batch[99_999] = { ...batch[99_999], symbol: "X".repeat(1_000_000) };
      const before = await serverLogSize(sql);
      const message = await errorOf(() =>
        sql`select * from api.ingest_candles(${JSON.stringify(batch)}::text::json)`
      );
      assert.match(
        message,
        /^ingest_candles: row 99999 \(X{32}… \(1000000 chars\) 1h open_time \d+\) rejected: symbol must be an upper-case Binance symbol$/,
      );
      const log = await serverLogFrom(sql, before);
      assert.ok(log.length < 4_000, `the failure added ${log.length} bytes to the server log`);
      assert.ok(!log.includes("X".repeat(100)), "the log does not echo the symbol");

      const tab = await errorOf(() =>
        sql`select * from api.ingest_candles(${
          JSON.stringify([candle("TSTECHO", T0), candle("BTC\n\tUSDT", T0)])
        }::text::json)`
      );
      assert.equal(
        tab,
        `ingest_candles: row 1 (BTC\\n\\tUSDT 1h open_time ${T0}) rejected: symbol must be an upper-case Binance symbol`,
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a session of service_role, the role the SQL API is granted to, has a statement timeout", async () => {
  const admin = connect(1);
  // service_role cannot log in (as on Supabase, where PostgREST switches to it); let it for a moment.
  await admin`alter role service_role login`;
  try {
    const url = new URL(testDatabaseUrl());
    url.username = "service_role";
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const [r] =
        await sql`select current_user as role, current_setting('statement_timeout') as timeout`;
      assert.deepEqual({ ...r }, { role: "service_role", timeout: "15s" });
    } finally {
      await sql.end();
    }
  } finally {
    await admin`alter role service_role nologin`;
    await admin.end();
  }
});

/**
 * The backfill function over real HTTP, against the real test database and the local fake Binance:
 * the gaps private.detect_gaps finds are fetched (closed candles only) and stored in one statement;
 * a region refusal (HTTP 451) stores nothing and says so; bad requests change nothing.
 */

import assert from "node:assert/strict";
import type { Candle } from "../../shared/candles/types.ts";
import { type FakeBinance, startFakeBinance } from "../../scripts/fakes/binance.ts";
import { handleBackfill } from "../../supabase/functions/backfill/handler.ts";
import { repairGaps } from "../../supabase/functions/backfill/run.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import { connect, withTestSymbol } from "../db/test_database.ts";
import {
  configureWake,
  postSigned,
  serveHandler,
  testDeps,
  unconfigureWake,
} from "../support/function_deps.ts";
import { fixtureCandles, fixtureRows } from "../support/fixtures.ts";

const SYMBOL = "TSTBACKFILL";
const rows = (fixtureRows("BTCUSDT-1h-2024.json") as never[]).slice(0, 400);
const candles = fixtureCandles("BTCUSDT-1h-2024.json").slice(0, 400);
const HOUR = 3_600_000;

/** A fake Binance serving the fixture as SYMBOL 1h, its clock after the last candle (all closed). */
function fake(): Promise<FakeBinance> {
  return startFakeBinance({
    series: [{ symbol: SYMBOL, interval: "1h", rows }],
    startTime: candles[candles.length - 1].openTime + HOUR + 1,
    autoStart: false,
  });
}

async function storedOpenTimes(sql: Sql): Promise<number[]> {
  const r = await sql`select public.epoch_ms(open_time)::float8 as t from public.candles
    where symbol = ${SYMBOL} and timeframe = '1h' order by open_time`;
  return r.map((x) => x.t as number);
}

async function ingest(sql: Sql, list: readonly Candle[]) {
  await ingestCandles(sql, list.map((candle) => ({ symbol: SYMBOL, interval: "1h", candle })));
}

Deno.test("the gaps detect_gaps asks for are fetched from REST and stored in one statement", async () => {
  const sql = connect();
  const binance = await fake();
  await configureWake(sql);
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  const server = serveHandler(handleBackfill, deps);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await ingest(sql, [
        ...candles.slice(0, 100),
        ...candles.slice(110, 250),
        ...candles.slice(251),
      ]);
      const [{ max }] = await sql`select coalesce(max(id), 0) as max from net.http_request_queue`;
      const [{ n }] = await sql`select private.detect_gaps(5000) as n`;
      assert.equal(n, 2, "two gaps are requested");
      const [wake] =
        await sql`select convert_from(body, 'UTF8')::jsonb as body from net.http_request_queue
        where id > ${max} and url like '%/backfill'`;
      const r = await postSigned(`${server.url}/backfill`, wake.body);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await deps.settle();
      assert.deepEqual(await storedOpenTimes(sql), candles.map((c) => c.openTime));
      const [stored] = await sql`select open, high, volume, trades from public.candles
        where symbol = ${SYMBOL} and open_time = 'epoch'::timestamptz + ${
        candles[105].openTime
      } * interval '1 ms'`;
      assert.deepEqual(
        [stored.open, stored.high, stored.volume, Number(stored.trades)],
        [candles[105].open, candles[105].high, candles[105].volume, candles[105].trades],
      );
      const wakes = await sql`select count(*)::int as n from net.http_request_queue
        where id > ${max} and url like '%/analyze'`;
      assert.equal(wakes[0].n, 1, "the repair woke analyze once");
      await sql`select private.detect_gaps(5000)`;
      const [{ open }] = await sql`select count(*)::int as open from public.ingest_gaps
        where symbol = ${SYMBOL} and status in ('open', 'requested')`;
      assert.equal(open, 0, "the next detection marks both gaps repaired");
    }, true);
  } finally {
    await server.close();
    await binance.close();
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("an open candle is never stored and a 451 region refusal stores nothing", async () => {
  const sql = connect();
  const binance = await startFakeBinance({
    series: [{ symbol: SYMBOL, interval: "1h", rows }],
    // Inside candle 399: REST's last row is the still-open candle.
    startTime: candles[399].openTime + 10 * 60_000,
    autoStart: false,
  });
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await ingest(sql, candles.slice(0, 390));
      const gap = {
        id: 1,
        symbol: SYMBOL,
        interval: "1h" as const,
        startMs: candles[390].openTime,
        endMs: candles[399].openTime,
      };
      const r = await repairGaps(deps, [gap]);
      assert.equal(r.gaps[0].fetched, 9, "candles 390..398 are closed, 399 is still open");
      assert.deepEqual(await storedOpenTimes(sql), candles.slice(0, 399).map((c) => c.openTime));
      binance.rest.region451 = true;
      const refused = await repairGaps(deps, [{ ...gap, startMs: candles[399].openTime }]);
      assert.equal(refused.regionRefused, true);
      assert.match(refused.gaps[0].error ?? "", /451|region|location/i);
      assert.equal(refused.stored.inserted, 0);
    });
  } finally {
    await binance.close();
    await sql.end();
  }
});

Deno.test("unsigned, malformed, oversized and non-POST backfill requests are refused and fetch nothing", async () => {
  const sql = connect();
  const binance = await fake();
  await configureWake(sql);
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  const server = serveHandler(handleBackfill, deps);
  const url = `${server.url}/backfill`;
  const gap = {
    id: 1,
    symbol: SYMBOL,
    timeframe: "1h",
    start_ms: candles[0].openTime,
    end_ms: candles[9].openTime,
  };
  try {
    const cases: [string, Promise<number>, number][] = [
      ["unsigned", fetch(url, { method: "POST", body: "{}" }).then(status), 401],
      [
        "stale",
        postSigned(url, { reason: "gaps", gaps: [gap] }, { ts: Date.now() - 600_000 }).then((r) =>
          r.status
        ),
        401,
      ],
      [
        "reversed gap",
        postSigned(url, { reason: "gaps", gaps: [{ ...gap, end_ms: 0 }] }).then((r) => r.status),
        400,
      ],
      ["no gaps", postSigned(url, { reason: "gaps", gaps: [] }).then((r) => r.status), 400],
      ["oversized", fetch(url, { method: "POST", body: "x".repeat(300 * 1024) }).then(status), 413],
      ["GET", fetch(url).then(status), 405],
    ];
    for (const [what, got, want] of cases) assert.equal(await got, want, what);
    await deps.settle();
    assert.equal(binance.stats.rest.requests.klines ?? 0, 0, "nothing was fetched");
  } finally {
    await server.close();
    await binance.close();
    await unconfigureWake(sql);
    await sql.end();
  }
});

async function status(res: Response): Promise<number> {
  await res.body?.cancel();
  return res.status;
}

/**
 * The ingest function (zero-server mode) over real HTTP, against the real test database and the
 * local fake Binance: each run fetches the candles closed since the newest stored ones by Binance's
 * clock, stores them in one statement, never an open or not yet confirmed candle, waits for the
 * close instant plus the poll delay, and records every error (451, 429/418, 5xx) in relay_status
 * row `ingest` and /status; bad requests change nothing.
 */

import assert from "node:assert/strict";
import type { Candle } from "../../shared/candles/types.ts";
import { type FakeBinance, startFakeBinance } from "../../scripts/fakes/binance.ts";
import { handleIngest } from "../../supabase/functions/ingest/handler.ts";
import { HOLD_UNCONFIRMED_MS, pollClosedCandles } from "../../supabase/functions/ingest/run.ts";
import { statusFigures } from "../../supabase/functions/_shared/db_api.ts";
import { statusEmbed } from "../../supabase/functions/discord-interactions/commands/status.ts";
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

const SYMBOL = "TSTINGEST";
const HOUR = 3_600_000;
const rows = (fixtureRows("BTCUSDT-1h-2024.json") as never[]).slice(0, 400);
const candles = fixtureCandles("BTCUSDT-1h-2024.json").slice(0, 400);
/** Close instant of candle i (its close time + 1 ms = the next open time). */
const closeOf = (i: number) => candles[i].openTime + HOUR;

/** A fake Binance serving the fixture as SYMBOL 1h, its clock paused at `at` (virtual ms). */
function fake(at: number, rowsServed: never[] = rows): Promise<FakeBinance> {
  return startFakeBinance({
    series: [{ symbol: SYMBOL, interval: "1h", rows: rowsServed }],
    startTime: at,
    autoStart: false,
    speed: 1,
  });
}

/**
 * Runs `fn` with SYMBOL 1h as the only tracked series (the seeded symbols are deactivated and
 * restored after) and no `ingest` row in relay_status.
 */
async function onlyTestSeries(sql: Sql, fn: () => Promise<void>): Promise<void> {
  const active = (await sql`select symbol from public.symbols where active`).map((r) =>
    r.symbol as string
  );
  await sql`update public.symbols set active = false where active`;
  await sql`delete from public.relay_status where relay_id = 'ingest'`;
  try {
    await withTestSymbol(sql, SYMBOL, fn, true);
  } finally {
    await sql`delete from public.relay_status where relay_id = 'ingest'`;
    await sql`update public.symbols set active = true where symbol = any(${active})`;
  }
}

async function stored(sql: Sql): Promise<Candle[]> {
  const r = await sql<Candle[]>`select public.epoch_ms(open_time)::float8 as "openTime", open, high,
      low, close, volume, public.epoch_ms(close_time)::float8 as "closeTime",
      quote_volume as "quoteVolume", trades::float8 as trades, taker_buy_base as "takerBuyBase",
      taker_buy_quote as "takerBuyQuote"
    from public.candles where symbol = ${SYMBOL} and timeframe = '1h' order by open_time`;
  return r.map((x) => ({ ...x }));
}

async function lastQueueId(sql: Sql): Promise<number> {
  const [{ max }] =
    await sql`select coalesce(max(id), 0)::bigint as max from net.http_request_queue`;
  return Number(max);
}

async function analyzeWakesAfter(sql: Sql, id: number): Promise<number> {
  const [{ n }] = await sql`select count(*)::int as n from net.http_request_queue
    where id > ${id} and url like '%/analyze'`;
  return n as number;
}

Deno.test("each run stores every candle closed by Binance's clock since the newest stored one, in one statement, never the open one", async () => {
  const sql = connect();
  // Inside candle 299: 0..298 have closed, 299 is open.
  const binance = await fake(candles[299].openTime + 10 * 60_000);
  await configureWake(sql);
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  try {
    await onlyTestSeries(sql, async () => {
      let mark = await lastQueueId(sql);
      const first = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.deepEqual(first.report.errors, {});
      assert.equal(first.report.due, 1);
      assert.equal(first.report.inserted, 299);
      assert.deepEqual(await stored(sql), candles.slice(0, 299), "0..298 stored exactly, 299 not");
      assert.equal(await analyzeWakesAfter(sql, mark), 1, "one statement: one analyze wake-up");
      assert.equal(first.report.rest_calls, 2, "Binance's time, then one klines page");
      assert.equal(first.report.weight, 3);
      assert.deepEqual(first.report.series, ["tstingest@kline_1h"]);
      assert.equal(first.runs, 1);

      // Same minute: nothing has closed since; only Binance's time is asked.
      const idle = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(idle.report.due, 0);
      assert.equal(idle.report.rest_calls, 1);
      assert.equal(idle.report.weight, 1);

      // Three closes later (a missed run included): the three candles, the newest stored one
      // fetched again (unchanged), still one statement.
      binance.clock.advanceTo(closeOf(301) + 5_000);
      mark = await lastQueueId(sql);
      const next = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.deepEqual(
        [next.report.inserted, next.report.unchanged, next.report.updated],
        [3, 1, 0],
      );
      assert.equal(await analyzeWakesAfter(sql, mark), 1);
      assert.deepEqual(await stored(sql), candles.slice(0, 302));
      const [row] =
        await sql`select streams, details from public.relay_status where relay_id = 'ingest'`;
      assert.deepEqual(row.streams, ["tstingest@kline_1h"]);
      assert.equal(row.details.runs, 3);
      assert.equal(row.details.candles_inserted, 302);
      assert.equal(row.details.rest_calls, 5);
    });
  } finally {
    await binance.close();
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("a run waits until Binance's clock is the poll delay past the close instant", async () => {
  const sql = connect();
  // 3 s before candle 349 closes; the clock runs at real speed.
  const binance = await fake(closeOf(349) - 3000);
  binance.clock.play();
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  try {
    await onlyTestSeries(sql, async () => {
      const r = await pollClosedCandles(deps, { reason: "test", delayMs: 400 });
      assert.deepEqual(r.report.errors, {});
      assert.equal(r.report.close_instant, closeOf(349), "the minute about to start is targeted");
      assert.ok(r.report.waited_ms >= 1000, `waited ${r.report.waited_ms} ms`);
      assert.ok((r.report.server_time ?? 0) >= closeOf(349) + 400);
      assert.deepEqual(await stored(sql), candles.slice(0, 350), "candle 349 included");
    });
  } finally {
    await binance.close();
    await sql.end();
  }
});

Deno.test("a candle Binance has not yet followed with the next one is held back until it is confirmed", async () => {
  const sql = connect();
  // Binance's klines lag its clock by 2 s: 100 ms after candle 99 closes, it is still served as open
  // and candle 100 is missing.
  const binance = await fake(closeOf(99) + 100);
  binance.rest.closeLagMs = 2000;
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  try {
    await onlyTestSeries(sql, async () => {
      const early = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(early.report.held_back, 1);
      assert.deepEqual(
        await stored(sql),
        candles.slice(0, 99),
        "the lagging candle 99 is not stored",
      );
      binance.clock.advanceTo(closeOf(99) + 2500);
      const later = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(later.report.held_back, 0);
      assert.deepEqual(await stored(sql), candles.slice(0, 100), "stored with its final values");
    });
  } finally {
    await binance.close();
    await sql.end();
  }

  // When no later candle comes (trading stopped, or the end of a replay), the last one is stored
  // once it closed HOLD_UNCONFIRMED_MS ago.
  const sql2 = connect();
  const ended = await fake(closeOf(199) + 60_000, rows.slice(0, 200));
  const deps2 = testDeps(sql2, { env: { BINANCE_REST_URL: ended.restUrl } });
  try {
    await onlyTestSeries(sql2, async () => {
      await pollClosedCandles(deps2, { reason: "test", delayMs: 0 });
      assert.deepEqual(await stored(sql2), candles.slice(0, 199));
      ended.clock.advanceTo(closeOf(199) + HOLD_UNCONFIRMED_MS);
      await pollClosedCandles(deps2, { reason: "test", delayMs: 0 });
      assert.deepEqual(await stored(sql2), candles.slice(0, 200));
    });
  } finally {
    await ended.close();
    await sql2.end();
  }
});

Deno.test("451, 429/418 and 5xx: nothing lost or stored twice, every error in relay status and /status", async () => {
  const sql = connect();
  const binance = await fake(candles[99].openTime + 60_000);
  await configureWake(sql);
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  try {
    await onlyTestSeries(sql, async () => {
      await sql`insert into private.config (key, value) values ('ingest_mode', 'poll')`;
      // 451: Binance refuses the caller's location.
      binance.rest.region451 = true;
      const refused = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(refused.report.region_refused, true);
      assert.equal(refused.report.errors.region, 1);
      assert.match(refused.report.last_error ?? "", /451/);
      assert.deepEqual(await stored(sql), []);
      let status = await statusFigures(sql);
      assert.equal(status.binanceRegionRefused, true, "/status says Binance refuses the region");
      assert.equal(status.ingestMode, "poll");
      const feed = status.relays.find((r) => r.relayId === "ingest");
      assert.equal(feed?.kind, "poll");
      assert.equal(feed?.regionRefused, true);
      assert.equal(feed?.errors.region, 1);
      const embed = statusEmbed(status, Date.now());
      const fields = Object.fromEntries((embed.fields ?? []).map((f) => [f.name, f.value]));
      assert.match(
        fields["⛔ Binance refuses this location (HTTP 451)"] ?? "",
        /db:configure --functions-region/,
        "/status gives the fix",
      );
      assert.match(fields["Ingest (mode poll)"] ?? "", /errors: region 1 \(last: .*451/);
      binance.rest.region451 = false;

      // 429 with a short Retry-After is waited out; two 5xx are retried.
      binance.rest.faults.push({ status: 429, retryAfterSeconds: 1, path: "klines" });
      binance.rest.faults.push({ status: 503, path: "klines" }, { status: 502, path: "klines" });
      const waited = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.deepEqual(waited.report.errors, {});
      assert.equal(waited.report.waits.rate_limit, 1);
      assert.equal(waited.report.waits.retry, 2);
      assert.equal(waited.report.region_refused, false);
      assert.deepEqual(await stored(sql), candles.slice(0, 99), "the next run repaired the 451");
      status = await statusFigures(sql);
      assert.equal(status.binanceRegionRefused, false, "the last run was served");
      assert.equal(
        statusEmbed(status, Date.now()).fields?.some((f) => /451/.test(f.name)),
        false,
        "the 451 notice is gone",
      );

      // 5xx three times in a row: that series waits for the next run.
      binance.clock.advanceTo(closeOf(101) + 1000);
      for (let i = 0; i < 3; i++) binance.rest.faults.push({ status: 500, path: "klines" });
      const down = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(down.report.errors.unavailable, 1);
      assert.deepEqual(await stored(sql), candles.slice(0, 99));
      const up = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(up.report.inserted, 3);
      assert.deepEqual(await stored(sql), candles.slice(0, 102));

      // 418 with a Retry-After longer than a run waits: the run stops, and the job sends no wake-up
      // before the ban ends.
      binance.clock.advanceTo(closeOf(102) + 1000);
      binance.rest.faults.push({ status: 418, retryAfterSeconds: 120, path: "time" });
      const banned = await pollClosedCandles(deps, { reason: "test", delayMs: 0 });
      assert.equal(banned.report.errors["rate-limit"], 1);
      assert.ok((banned.report.retry_after_until ?? 0) > Date.now() + 100_000);
      const [{ id }] = await sql`select private.poll_ingest() as id`;
      assert.equal(id, null, "no wake-up while Binance's ban runs");
      const [{ details }] =
        await sql`select details from public.relay_status where relay_id = 'ingest'`;
      assert.deepEqual(
        details.errors,
        { region: 1, unavailable: 1, "rate-limit": 1 },
        "every error is counted",
      );
      assert.ok(
        (await stored(sql)).every((c, i) => c.openTime === candles[i].openTime),
        "no candle twice",
      );
    });
  } finally {
    await sql`delete from private.config where key = 'ingest_mode'`;
    await binance.close();
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("the job wakes ingest with the poll delay only in poll/both mode and only when a series is due", async () => {
  const sql = connect();
  await configureWake(sql);
  try {
    await onlyTestSeries(sql, async () => {
      const wakeBody = async () => {
        const mark = await lastQueueId(sql);
        const [{ id }] = await sql`select private.poll_ingest() as id`;
        if (id === null) return null;
        const [q] = await sql`select url, convert_from(body, 'UTF8')::jsonb as body
          from net.http_request_queue where id > ${mark}`;
        return { url: q.url as string, body: q.body };
      };
      assert.equal(await wakeBody(), null, "relay mode: no wake-up");
      const [{ n: before }] =
        await sql`select count(*)::int as n from private.jobs where name = 'wyckoff-ingest'`;
      assert.equal(before, 0, "relay mode lists no ingest job");
      await sql`insert into private.config (key, value) values ('ingest_mode', 'both'), ('poll_delay_ms', '1500')`;
      const [{ n }] =
        await sql`select count(*)::int as n from private.jobs where name = 'wyckoff-ingest'`;
      assert.equal(n, 1, "both mode lists the ingest job");
      const woken = await wakeBody();
      assert.match(woken?.url ?? "", /\/ingest$/);
      assert.deepEqual(woken?.body, { reason: "poll", delay_ms: 1500 });
      // A series whose newest candle is the one of the current hour is not due.
      const hour = Math.floor(Date.now() / HOUR) * HOUR;
      await sql`insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
        values (${SYMBOL}, '1h', 'epoch'::timestamptz + ${hour} * interval '1 ms', 1, 1, 1, 1, 1)`;
      assert.equal(await wakeBody(), null, "nothing due: no wake-up");
      await sql`delete from private.config where key = 'ingest_mode'`;
      const [{ n: after }] =
        await sql`select count(*)::int as n from private.jobs where name = 'wyckoff-ingest'`;
      assert.equal(after, 0, "back to relay mode: the job is removed");
    });
  } finally {
    await sql`delete from private.config where key in ('ingest_mode', 'poll_delay_ms')`;
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("unsigned, stale, malformed, oversized and non-POST ingest requests are refused and fetch nothing", async () => {
  const sql = connect();
  const binance = await fake(candles[99].openTime + 60_000);
  await configureWake(sql);
  const deps = testDeps(sql, { env: { BINANCE_REST_URL: binance.restUrl } });
  const server = serveHandler(handleIngest, deps);
  const url = `${server.url}/ingest`;
  try {
    await onlyTestSeries(sql, async () => {
      const cases: [string, Promise<number>, number][] = [
        ["unsigned", fetch(url, { method: "POST", body: "{}" }).then(status), 401],
        [
          "stale",
          postSigned(url, { reason: "poll" }, { ts: Date.now() - 600_000 }).then((r) => r.status),
          401,
        ],
        [
          "tampered",
          postSigned(url, { reason: "poll" }, { tamper: true }).then((r) => r.status),
          401,
        ],
        [
          "delay out of range",
          postSigned(url, { reason: "poll", delay_ms: 60_000 }).then((r) => r.status),
          400,
        ],
        ["no reason", postSigned(url, { delay_ms: 0 }).then((r) => r.status), 400],
        [
          "oversized",
          fetch(url, { method: "POST", body: "x".repeat(20 * 1024) }).then(status),
          413,
        ],
        ["GET", fetch(url).then(status), 405],
      ];
      for (const [what, got, want] of cases) assert.equal(await got, want, what);
      await deps.settle();
      assert.equal(Object.keys(binance.stats.rest.requests).length, 0, "nothing was fetched");
      assert.deepEqual(await stored(sql), []);

      const ok = await postSigned(url, { reason: "poll", delay_ms: 0 });
      assert.equal(ok.status, 202);
      await deps.settle();
      assert.deepEqual(await stored(sql), candles.slice(0, 99), "a signed wake-up polls");
    });
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

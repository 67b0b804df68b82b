/**
 * The analyze function over real HTTP against the real test database: live signals equal the offline
 * CLI's, late candles and changed settings rebuild, concurrent and repeated calls change nothing,
 * and bad requests are refused without touching anything.
 */

import assert from "node:assert/strict";
import type { Candle } from "../../shared/candles/types.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { advance } from "../../shared/signals/advance.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { handleAnalyze } from "../../supabase/functions/analyze/handler.ts";
import { analyzeSeriesBatch } from "../../supabase/functions/analyze/run.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import { connect, withTestSymbol } from "../db/test_database.ts";
import { signWake } from "../../supabase/functions/_shared/wake_auth.ts";
import {
  configureWake,
  postSigned,
  serveHandler,
  TEST_WAKE_SECRET,
  testDeps,
  unconfigureWake,
} from "../support/function_deps.ts";
import { fixtureCandles } from "../support/fixtures.ts";

const SYMBOL = "TSTANALYZE";
const candles = fixtureCandles("BTCUSDT-1h-2024.json");

async function ingest(sql: Sql, rows: readonly Candle[]): Promise<void> {
  await ingestCandles(sql, rows.map((candle) => ({ symbol: SYMBOL, interval: "1h", candle })));
}

function wakeBody(reason = "candles") {
  return { reason, series: [{ symbol: SYMBOL, timeframe: "1h" }] };
}

/** The stored live signals in the offline CLI's terms (JSON-normalised). */
async function storedSignals(sql: Sql) {
  const rows = await sql<Record<string, unknown>[]>`
    select public.epoch_ms(open_time)::float8 as time, direction, entry, stop_loss as "stopLoss",
      jsonb_build_array(tp1, tp2, tp3) as "takeProfits", risk_reward as "riskReward", confidence, atr,
      contributions, rationale, evidence, patterns
    from public.signals where symbol = ${SYMBOL} and timeframe = '1h' and superseded_at is null
    order by open_time`;
  return rows.map((r) => ({ ...r }));
}

/** Open times (ms) of the superseded signals, oldest first. */
async function supersededTimes(sql: Sql): Promise<number[]> {
  const rows = await sql`select public.epoch_ms(open_time)::float8 as t from public.signals
    where symbol = ${SYMBOL} and timeframe = '1h' and superseded_at is not null order by open_time`;
  return rows.map((r) => r.t as number);
}

/** The offline signals of `rows` after `openTime` that `other` does not give identically. */
function staleAfter(rows: readonly Candle[], other: readonly Candle[], openTime: number): number[] {
  const want = new Map(offlineRecords(other).map((s) => [s.time, JSON.stringify(s)]));
  return offlineRecords(rows).filter((s) =>
    s.time > openTime && want.get(s.time) !== JSON.stringify(s)
  )
    .map((s) => s.time);
}

function offlineRecords(rows: readonly Candle[], config = parseAnalyzerConfig({})) {
  return analyzeSeries(seriesFromCandles(rows), config).map((s) => {
    const { index: _i, takeProfits, ...rest } = JSON.parse(JSON.stringify(s));
    return { ...rest, takeProfits };
  });
}

async function storedSnapshot(sql: Sql): Promise<unknown> {
  const [r] =
    await sql`select snapshot from public.analyzer_state where symbol = ${SYMBOL} and timeframe = '1h'`;
  return r?.snapshot ?? null;
}

function offlineSnapshot(rows: readonly Candle[], config = parseAnalyzerConfig({})): unknown {
  return JSON.parse(
    JSON.stringify(advance(null, seriesFromCandles(rows), config).analyzer.snapshot()),
  );
}

Deno.test("candles arriving in pieces give exactly the offline signals and the offline analyzer state", async () => {
  const sql = connect();
  await configureWake(sql);
  const deps = testDeps(sql);
  const server = serveHandler(handleAnalyze, deps);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      // The history first (as a relay's first REST backfill would), then ever smaller pieces.
      const cuts = [
        3000,
        3500,
        3501,
        3502,
        3510,
        3700,
        5000,
        5001,
        7000,
        8000,
        8500,
        candles.length,
      ];
      let from = 0;
      for (const to of cuts) {
        await ingest(sql, candles.slice(from, to));
        const r = await postSigned(`${server.url}/analyze`, wakeBody());
        assert.equal(r.status, 200, JSON.stringify(r.body));
        from = to;
      }
      assert.deepEqual(await storedSignals(sql), offlineRecords(candles));
      assert.deepEqual(await storedSnapshot(sql), offlineSnapshot(candles));
      // A repeated wake-up changes nothing.
      const again = await postSigned(`${server.url}/analyze`, wakeBody());
      assert.equal(again.status, 200);
      assert.equal((again.body.series as { result: string }[])[0].result, "idle");
      assert.deepEqual(await storedSignals(sql), offlineRecords(candles));
    });
  } finally {
    await server.close();
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("a candle that arrives late (after newer ones were analysed) rebuilds the series: the stale signals are superseded, the live ones are the offline CLI's", async () => {
  const sql = connect();
  await configureWake(sql);
  const deps = testDeps(sql);
  const series = candles.slice(0, 3000);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const missing = 2400;
      const gapped = [...series.slice(0, missing), ...series.slice(missing + 1)];
      await ingest(sql, gapped);
      const first = await analyzeSeriesBatch(
        deps,
        [{ symbol: SYMBOL, interval: "1h" }],
        parseAnalyzerConfig({}),
      );
      assert.equal(first[0].result, "saved");
      assert.deepEqual(await storedSignals(sql), offlineRecords(gapped));
      await ingest(sql, [series[missing]]);
      const second = await analyzeSeriesBatch(
        deps,
        [{ symbol: SYMBOL, interval: "1h" }],
        parseAnalyzerConfig({}),
      );
      assert.equal(second[0].rebuilt, true);
      assert.equal(second[0].candles, series.length);
      assert.deepEqual(await storedSnapshot(sql), offlineSnapshot(series));
      assert.deepEqual(await storedSignals(sql), offlineRecords(series));
      const stale = staleAfter(gapped, series, series[missing].openTime);
      assert.ok(
        stale.length > 0,
        "the gap changed signals after it (else this test proves nothing)",
      );
      assert.deepEqual(
        await supersededTimes(sql),
        stale,
        "exactly the stale signals are superseded",
      );
      // Analysing again changes nothing.
      const third = await analyzeSeriesBatch(
        deps,
        [{ symbol: SYMBOL, interval: "1h" }],
        parseAnalyzerConfig({}),
      );
      assert.equal(third[0].result, "idle");
      assert.deepEqual(await supersededTimes(sql), stale);
    });
  } finally {
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("a rebuild after a late candle that takes several calls supersedes the stale signals in every stretch", async () => {
  const sql = connect();
  await configureWake(sql);
  const deps = testDeps(sql);
  const series = candles.slice(0, 3000);
  const key = { symbol: SYMBOL, interval: "1h" as const };
  const config = parseAnalyzerConfig({});
  // 1,000 candles a call: the rebuild's first call ends before the stale signals after bar 2400.
  const limits = { seriesPerBatch: 20, pageSize: 500, candleBudget: 1000 };
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const missing = 1500;
      const gapped = [...series.slice(0, missing), ...series.slice(missing + 1)];
      await ingest(sql, gapped);
      await analyzeSeriesBatch(deps, [key], config);
      await ingest(sql, [series[missing]]);
      const calls = [];
      do calls.push(await analyzeSeriesBatch(deps, [key], config, limits)); while (
        calls.at(-1)?.[0].continued
      );
      assert.equal(calls.length, 3, "the rebuild took three calls");
      assert.equal(calls[0][0].rebuilt, true);
      assert.deepEqual(await storedSignals(sql), offlineRecords(series));
      const stale = staleAfter(gapped, series, series[missing].openTime);
      assert.ok(stale.some((t) => t > series[2000].openTime), "stale signals past the first call");
      assert.deepEqual(await supersededTimes(sql), stale);
      const [state] = await sql`select reconcile_from from public.analyzer_state
        where symbol = ${SYMBOL} and timeframe = '1h'`;
      assert.equal(state.reconcile_from, null, "nothing left to compare once caught up");
    });
  } finally {
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("changing the analyzer settings rebuilds every state with the new settings", async () => {
  const sql = connect();
  const deps = testDeps(sql);
  const series = candles.slice(0, 2000);
  const other = { minConfidence: 0.5, cooldownBars: 3 };
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await ingest(sql, series);
      await analyzeSeriesBatch(deps, [{ symbol: SYMBOL, interval: "1h" }], parseAnalyzerConfig({}));
      await ingest(sql, candles.slice(2000, 2100));
      const out = await analyzeSeriesBatch(
        deps,
        [{ symbol: SYMBOL, interval: "1h" }],
        parseAnalyzerConfig(other),
      );
      assert.equal(out[0].rebuilt, true);
      assert.deepEqual(
        await storedSnapshot(sql),
        offlineSnapshot(candles.slice(0, 2100), parseAnalyzerConfig(other)),
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("concurrent analyze calls for the same series store each signal once and one state", async () => {
  const sql = connect(8);
  const deps = testDeps(sql);
  const series = candles.slice(0, 4000);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await ingest(sql, series);
      const config = parseAnalyzerConfig({});
      const key = { symbol: SYMBOL, interval: "1h" as const };
      const runs = await Promise.all(
        [1, 2, 3, 4].map(() => analyzeSeriesBatch(deps, [key], config)),
      );
      const saved = runs.filter((r) => r[0].result === "saved").length;
      assert.ok(saved >= 1, "at least one call saves");
      assert.deepEqual(await storedSignals(sql), offlineRecords(series));
      assert.deepEqual(await storedSnapshot(sql), offlineSnapshot(series));
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a call that runs out of budget saves its progress and wakes a continuation", async () => {
  const sql = connect();
  await configureWake(sql);
  const deps = testDeps(sql);
  const series = candles.slice(0, 3000);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await ingest(sql, series);
      const [{ max }] = await sql`select coalesce(max(id), 0) as max from net.http_request_queue`;
      const limits = { seriesPerBatch: 20, pageSize: 500, candleBudget: 1000 };
      const key = { symbol: SYMBOL, interval: "1h" as const };
      const config = parseAnalyzerConfig({});
      const out = await analyzeSeriesBatch(deps, [key], config, limits);
      assert.equal(out[0].candles, 1000);
      assert.equal(out[0].continued, true);
      const wakes =
        await sql`select convert_from(body, 'UTF8')::jsonb as body from net.http_request_queue
        where id > ${max} and url like '%/analyze' and convert_from(body, 'UTF8')::jsonb ->> 'reason' = 'continue'`;
      assert.equal(wakes.length, 1);
      assert.deepEqual(wakes[0].body.series, [{ symbol: SYMBOL, timeframe: "1h" }]);
      for (let i = 0; i < 2; i++) await analyzeSeriesBatch(deps, [key], config, limits);
      assert.deepEqual(await storedSnapshot(sql), offlineSnapshot(series));
      assert.deepEqual(await storedSignals(sql), offlineRecords(series));
    });
  } finally {
    await unconfigureWake(sql);
    await sql.end();
  }
});

Deno.test("unsigned, stale, tampered, malformed, oversized and non-POST requests are refused and change nothing", async () => {
  const sql = connect();
  await configureWake(sql);
  const deps = testDeps(sql);
  const server = serveHandler(handleAnalyze, deps);
  const url = `${server.url}/analyze`;
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await ingest(sql, candles.slice(0, 500));
      const refusals: [string, Promise<{ status: number }>, number][] = [
        [
          "unsigned",
          fetch(url, { method: "POST", body: JSON.stringify(wakeBody()) }).then(drain),
          401,
        ],
        ["stale", postSigned(url, wakeBody(), { ts: Date.now() - 6 * 60_000 }), 401],
        ["from the future", postSigned(url, wakeBody(), { ts: Date.now() + 6 * 60_000 }), 401],
        ["tampered", postSigned(url, wakeBody(), { tamper: true }), 401],
        ["wrong key", postSigned(url, wakeBody(), { secret: "another-secret-0123456789" }), 401],
        [
          "bad schema",
          postSigned(url, { reason: "candles", series: [{ symbol: "btc", timeframe: "1h" }] }),
          400,
        ],
        [
          "unknown interval",
          postSigned(url, { reason: "x", series: [{ symbol: SYMBOL, timeframe: "2m" }] }),
          400,
        ],
        ["not JSON", postText(url, "{not json"), 400],
        ["oversized", postText(url, "x".repeat(600 * 1024)), 413],
        ["GET", fetch(url).then(drain), 405],
      ];
      for (const [what, pending, status] of refusals) {
        assert.equal((await pending).status, status, what);
      }
      const [state] =
        await sql`select count(*)::int as n from public.analyzer_state where symbol = ${SYMBOL}`;
      assert.equal(state.n, 0, "no state was written");
      const [sig] =
        await sql`select count(*)::int as n from public.signals where symbol = ${SYMBOL}`;
      assert.equal(sig.n, 0, "no signal was written");
    });
  } finally {
    await server.close();
    await unconfigureWake(sql);
    await sql.end();
  }
});

async function drain(res: Response): Promise<{ status: number }> {
  await res.body?.cancel();
  return { status: res.status };
}

async function postText(url: string, text: string): Promise<{ status: number }> {
  const headers = await signWake(TEST_WAKE_SECRET, text, Date.now());
  return drain(await fetch(url, { method: "POST", headers, body: text }));
}

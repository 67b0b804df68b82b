/**
 * `deno task bench pipeline`: the live pipeline's figures on the local stack (a durable throwaway
 * Postgres, the function bundles in their own processes, the pg_net dispatcher, the relay, the fake
 * Binance), with 20 series closing together:
 *   - latency from Binance sending a final kline to the analysis of that candle being committed
 *     (the state, and the signal when there is one), p50/p99 over >= 500 close events (target
 *     p99 <= 250 ms); and the relay's own part (first final kline of an instant to its ingest commit);
 *   - analyze invocations per close instant with 20 series closing together (target exactly 1);
 *   - analyze cold start: a fresh bundle process to its first answered wake-up;
 *   - analyze CPU ms per call for 20 series (one new candle each, and a rebuild of 5,000 each);
 *   - poll mode (no relay): close instant -> analysis committed, REST calls and request weight per
 *     close instant for 20 series, invocations per close instant.
 *
 * Run: deno task bench pipeline [--events N] [--poll-events N] [--poll-delay MS]
 */

import process from "node:process";
import type { FakeBinance, ReplaySeries } from "../fakes/binance.ts";
import { startFakeBinance } from "../fakes/binance.ts";
import { startRelay } from "../relay/relay.ts";
import { startReplayFake, trackReplayedSeries } from "../stack/feed.ts";
import { startReplayCron } from "../stack/replay_cron.ts";
import { startFunctionProcess } from "../stack/functions.ts";
import { type Stack, startStack } from "../stack/stack.ts";
import { bundleAll } from "../build/bundle.ts";
import { parseCli, repoRoot, runCli, UsageError } from "../lib/cli/run_cli.ts";
import { positiveInt } from "../lib/cli/numbers.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeriesBatch } from "../../supabase/functions/analyze/run.ts";
import { ingestCandles, type SeriesKey } from "../../supabase/functions/_shared/db_api.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";
import { signWake, WakeKeyCache } from "../../supabase/functions/_shared/wake_auth.ts";
import { loadFunctionEnv } from "../../supabase/functions/_shared/env.ts";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";

const root = repoRoot();
const QUARTER = 15 * 60_000;
const WARMUP = 1000;

function load(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)}  p99 ${pct(s, 99).toFixed(1)}  max ${
    s.at(-1)?.toFixed(1)
  }  (n = ${s.length})`;
}

/** 20 series of real 15m candles: BTC, ETH and SOL, and copies of them under other symbols. */
function twentySeries(): ReplaySeries[] {
  const base = ["BTCUSDT", "ETHUSDT", "SOLUSDT"].map((s) =>
    JSON.parse(Deno.readTextFileSync(`${root}tests/fixtures/binance/${s}-15m-2025W02-W07.json`))
  );
  return Array.from({ length: 20 }, (_, i) => ({
    symbol: i < 3 ? ["BTCUSDT", "ETHUSDT", "SOLUSDT"][i] : `BENCH${String(i).padStart(2, "0")}USDT`,
    interval: "15m",
    rows: base[i % 3],
  }));
}

async function latencyAndInvocations(events: number): Promise<void> {
  const series = twentySeries();
  const keys: SeriesKey[] = series.map((s) => ({ symbol: s.symbol, interval: "15m" }));
  const stack: Stack = await startStack({
    root,
    port: 0,
    durable: true,
    postLateSignals: true,
    log: (e) => {
      if (e.level !== "info") console.error(`  ${e.level}: ${e.msg}`);
    },
  });
  try {
    await trackReplayedSeries(stack.sql, keys, true);
    // The clock starts after WARMUP candles (the relay's first backfill fetches them over REST), then
    // one close instant every 250 ms of real time.
    const speed = QUARTER / 250;
    const startTime = series[0].rows[WARMUP][0];
    const fake = await startFakeBinance({ series, speed, startTime, autoStart: false });
    const relay = await startRelay({
      sql: stack.sql,
      series: keys,
      wsUrl: fake.wsUrl,
      restUrl: fake.restUrl,
      relayId: "bench",
      initialCandles: WARMUP,
      log: () => {},
    });
    // Wait for the backfill and its analysis, then play the clock.
    for (;;) {
      const [{ n }] = await stack.sql`select count(*)::int as n from public.analyzer_state
        where public.epoch_ms(last_open_time) = ${series[0].rows[WARMUP - 1][0]}`;
      if (n === series.length && relay.idle()) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const candlesWakes = () => stack.gateway.requests.get("analyze")?.reasons.candles ?? 0;
    const analyzeBefore = stack.gateway.requests.get("analyze")?.total ?? 0;
    const wakesBefore = candlesWakes();
    const statementsBefore = relay.stats.instantStatements;
    fake.play();
    const real0 = performance.now();
    const virtual0 = fake.clock.now();
    const realAt = (virtual: number) => real0 + (virtual - virtual0) / speed;
    const seen = new Map<string, number>();
    const lastOpen = startTime + (events - 1) * QUARTER;
    for (;;) {
      const rows = await stack.sql<{ symbol: string; t: string }[]>`
        select symbol, public.epoch_ms(last_open_time) as t from public.analyzer_state`;
      const now = performance.now();
      for (const r of rows) {
        const k = `${r.symbol} ${r.t}`;
        if (!seen.has(k)) seen.set(k, now);
      }
      if (rows.every((r) => Number(r.t) >= lastOpen)) break;
      await new Promise((r) => setTimeout(r, 3));
    }
    fake.pause();
    await new Promise((r) => setTimeout(r, 1000));
    const instants = events;
    const analyzeCalls = (stack.gateway.requests.get("analyze")?.total ?? 0) - analyzeBefore;
    const triggered = candlesWakes() - wakesBefore;
    const statements = relay.stats.instantStatements - statementsBefore;
    const latencies: number[] = [];
    for (const [k, t] of seen) {
      const open = Number(k.split(" ")[1]);
      if (open < startTime || open > lastOpen) continue;
      latencies.push(t - realAt(open + QUARTER));
    }
    const signalRows = await stack.sql`select id from public.signals
      where open_time >= 'epoch'::timestamptz + ${startTime} * interval '1 ms'`;
    console.log(
      `close events: ${latencies.length} (${series.length} series × ${instants} close instants, 15m, paced 250 ms apart)`,
    );
    console.log(
      `  Binance sends the final kline -> analysis committed, ms: ${
        summary(latencies)
      }   (target p99 <= 250)`,
    );
    console.log(
      `  relay: first final kline of an instant -> ingest committed, ms: ${
        summary(relay.flushLatencies().slice(-instants))
      }`,
    );
    console.log(`  signals stored during the run: ${signalRows.length}`);
    console.log(
      `  analyze invocations per close instant (20 series closing together): ${
        (triggered / instants).toFixed(2)
      } (${triggered} wake-ups by the candles trigger, ${statements} ingest statements, ${instants} instants; target exactly 1); all analyze calls, the minute sweep's included: ${analyzeCalls}`,
    );
    await relay.stop();
    await fake.close();
  } finally {
    await stack.stop();
  }
}

/**
 * Poll mode (no relay): the ingest job at each of `events` close instants of 20 series of 15m
 * candles, on the replay's clock (scripts/stack/replay_cron.ts), each run waiting `delayMs` (setting
 * poll_delay_ms) by Binance's clock. Latency: the job firing at the close instant (what pg_cron does
 * at the minute) to the analysis of the candle that closed there being committed, per series. The
 * next instant fires once every series is analysed (closes are 15 minutes apart live). REST calls
 * and request weight per run come from the runs' own reports.
 */
async function pollLatency(events: number, delayMs: number): Promise<void> {
  const series = twentySeries();
  const keys: SeriesKey[] = series.map((s) => ({ symbol: s.symbol, interval: "15m" }));
  const fake = await startReplayFake(series, "poll", "max");
  const stack: Stack = await startStack({
    root,
    port: 0,
    durable: true,
    postLateSignals: true,
    functionEnv: { BINANCE_REST_URL: fake.restUrl },
    ingestMode: "poll",
    pollDelayMs: delayMs,
    ingestOnVirtualClock: true,
    log: (e) => {
      if (e.level !== "info" && !/Discord is not configured/.test(e.msg)) {
        console.error(`  ${e.level}: ${e.msg}`);
      }
    },
  });
  try {
    await trackReplayedSeries(stack.sql, keys, true);
    // Instant 0 is the close of candle WARMUP - 1: its run fetches the first 1,000 candles of every
    // series (INGEST_INITIAL_CANDLES) and analyse builds them; it is not measured.
    const rows = series[0].rows;
    const instants = Array.from({ length: events + 1 }, (_, k) => rows[WARMUP - 1 + k][6] + 1);
    const firedAt = new Map<number, number>();
    const perRun: { calls: number; weight: number; ms: number }[] = [];
    const analysedUpTo = async (open: number) => {
      const [{ n }] = await stack.sql`select count(*)::int as n from public.analyzer_state
        where public.epoch_ms(last_open_time) >= ${open}`;
      return n as number;
    };
    const seen = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const got = await stack.sql<{ symbol: string; t: string }[]>`
          select symbol, public.epoch_ms(last_open_time) as t from public.analyzer_state`;
        const now = performance.now();
        for (const r of got) {
          const k = `${r.symbol} ${r.t}`;
          if (!seen.has(k)) seen.set(k, now);
        }
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const cron = startReplayCron({
      sql: stack.sql,
      fake,
      instants,
      drive: true,
      confirmLast: false,
      runTimeoutMs: 120_000,
      log: () => {},
      beforeRun: async (t, i) => {
        if (i > 0) {
          // The previous run's figures, and its analysis finished before the next close.
          const [r] = await stack.sql`select details -> 'last_run' as run from public.relay_status
            where relay_id = 'ingest'`;
          if (i > 1) {
            perRun.push({ calls: r.run.rest_calls, weight: r.run.weight, ms: r.run.ms });
          }
          const deadline = performance.now() + 120_000;
          while (await analysedUpTo(t - 2 * QUARTER) < keys.length) {
            if (performance.now() > deadline) throw new Error("analysis did not catch up");
            await new Promise((r) => setTimeout(r, 5));
          }
        }
        if (i < instants.length) firedAt.set(t, performance.now());
      },
    });
    const ingestBefore = stack.gateway.requests.get("ingest")?.total ?? 0;
    await cron.done;
    await waitFor(async () => await analysedUpTo(instants[events] - QUARTER) === keys.length);
    watching = false;
    await watcher;
    const latencies: number[] = [];
    for (const [k, t] of seen) {
      const close = Number(k.split(" ")[1]) + QUARTER;
      const fired = firedAt.get(close);
      if (fired !== undefined && close !== instants[0]) latencies.push(t - fired);
    }
    const wakes = stack.gateway.requests.get("analyze")?.reasons.candles ?? 0;
    const ingestCalls = (stack.gateway.requests.get("ingest")?.total ?? 0) - ingestBefore;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    console.log(
      `poll mode (no relay), poll_delay_ms ${delayMs}: ${latencies.length} close events (${series.length} series × ${events} close instants, 15m)`,
    );
    console.log(
      `  close instant (the job fires) -> analysis committed, ms: ${summary(latencies)}`,
    );
    console.log(
      `  REST per close instant (${series.length} series due): calls ${
        mean(perRun.map((r) => r.calls)).toFixed(1)
      } (max ${Math.max(...perRun.map((r) => r.calls))}), request weight ${
        mean(perRun.map((r) => r.weight)).toFixed(1)
      } (max ${Math.max(...perRun.map((r) => r.weight))}) of Binance's 6,000/min; run wall ms: ${
        summary(perRun.map((r) => r.ms))
      }`,
    );
    console.log(
      `  invocations per close instant: ingest ${
        (ingestCalls / (events + 1)).toFixed(2)
      }, analyze ${
        (wakes / (events + 1)).toFixed(2)
      } (${ingestCalls} ingest, ${wakes} analyze wake-ups by the candles trigger, ${
        events + 1
      } instants incl. the warm-up)`,
    );
    await cron.stop();
    await delaySweep(stack, fake, series, WARMUP + events);
  } finally {
    await stack.stop();
    await fake.close();
  }
}

/**
 * What poll delay the fake needs, and what a too-short one costs when Binance's REST view lags its
 * clock (the fake's closeLagMs): for each (lag, delay), runs at 8 close instants from candle `from`
 * on; a candle whose successor Binance does not serve yet is held back to the next run (a minute
 * later live). Then every stored candle is compared with the source.
 */
async function delaySweep(
  stack: Stack,
  fake: FakeBinance,
  series: ReplaySeries[],
  from: number,
): Promise<void> {
  const rows = series[0].rows;
  const cases = [[0, 0], [1500, 0], [1500, 1000], [1500, 2000]] as const;
  const figures = async () => {
    const [r] = await stack.sql`select (details ->> 'held_back')::int as held,
      (details ->> 'runs')::int as runs from public.relay_status where relay_id = 'ingest'`;
    return { held: r.held as number, runs: r.runs as number };
  };
  console.log(
    "  poll delay on the fake (8 close instants of 20 series per case; held back = runs × series that had to wait for the next run):",
  );
  let next = from;
  for (const [lag, delay] of [...cases, [0, 0] as const]) {
    await stack.sql`update private.config set value = ${String(delay)} where key = 'poll_delay_ms'`;
    fake.rest.closeLagMs = lag;
    const n = lag === 0 && delay === 0 && next > from ? 1 : 8; // the last: one run to store what waited
    const before = await figures();
    const cron = startReplayCron({
      sql: stack.sql,
      fake,
      instants: Array.from({ length: n }, (_, k) => rows[next + k][6] + 1),
      drive: true,
      confirmLast: false,
      runTimeoutMs: 120_000,
      log: () => {},
    });
    await cron.done;
    next += n;
    const after = await figures();
    if (n === 8) {
      console.log(
        `    REST lag ${lag} ms, poll_delay_ms ${delay}: held back ${after.held - before.held} of ${
          (after.runs - before.runs) * series.length
        }`,
      );
    }
  }
  const first = rows[from - 1][0];
  const last = rows[next - 1][0];
  let differ = 0;
  for (const s of series) {
    const source = parseRestKlines(s.rows).filter((c) => c.openTime >= first && c.openTime <= last);
    const got = await stack.sql<{ v: number }[]>`select volume::float8 as v from public.candles
      where symbol = ${s.symbol} and timeframe = '15m'
        and open_time between 'epoch'::timestamptz + ${first} * interval '1 ms'
        and 'epoch'::timestamptz + ${last} * interval '1 ms' order by open_time`;
    if (got.length !== source.length || got.some((r, i) => r.v !== source[i].volume)) differ++;
  }
  console.log(
    `    stored candles equal the source in every case: ${
      differ === 0 ? "yes" : `NO (${differ} series differ)`
    }`,
  );
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function coldStartAndCpu(stack: Stack): Promise<void> {
  // A year of real 1h candles (BTCUSDT 2024) under 20 symbols.
  const year = parseRestKlines(
    JSON.parse(Deno.readTextFileSync(`${root}tests/fixtures/binance/BTCUSDT-1h-2024.json`)),
  );
  const keys: SeriesKey[] = twentySeries().map((s) => ({ symbol: s.symbol, interval: "1h" }));
  const rows = keys.map(() => year);
  await trackReplayedSeries(stack.sql, keys, true);
  const config = parseAnalyzerConfig({});
  const log = createLogger("error", () => {});
  const deps = {
    sql: stack.sql,
    fetch,
    now: () => Date.now(),
    log,
    waitUntil: () => {},
    env: loadFunctionEnv({ SUPABASE_DB_URL: stack.dbUrl }),
    wakeKeys: new WakeKeyCache(() => Promise.resolve(null), () => Date.now()),
  };
  // A rebuild: 5,000 candles for each of the 20 series in one call.
  await ingestCandles(
    stack.sql,
    keys.flatMap((k, i) => rows[i].slice(0, 5000).map((candle) => ({ ...k, candle }))),
  );
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  await analyzeSeriesBatch(deps, keys, config);
  let cpu = process.cpuUsage(cpu0);
  console.log(
    `analyze, 20 series rebuilt from 5,000 candles each in one call: CPU ${
      ((cpu.user + cpu.system) / 1000).toFixed(0)
    } ms, wall ${(performance.now() - t0).toFixed(0)} ms (limit: 2,000 ms CPU)`,
  );
  // Steady state: one new candle per series per call.
  const cpus: number[] = [];
  const walls: number[] = [];
  for (let i = 5000; i < 5200; i++) {
    await ingestCandles(stack.sql, keys.map((k, j) => ({ ...k, candle: rows[j][i] })));
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    await analyzeSeriesBatch(deps, keys, config);
    cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1000);
    walls.push(performance.now() - t0);
  }
  console.log(
    `analyze, 20 series × 1 new candle per call: CPU ms ${summary(cpus)}; wall ms ${
      summary(walls)
    }`,
  );

  // Cold start of the bundle: process spawn -> first answered signed wake-up (20 series, nothing new).
  const [analyze] = await bundleAll(root, ["analyze"]);
  const secret = (await stack.sql`select private.setting('functions_secret') as s`)[0].s as string;
  const body = JSON.stringify({
    reason: "bench",
    series: keys.map((k) => ({ symbol: k.symbol, timeframe: k.interval })),
  });
  const colds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const fn = await startFunctionProcess("analyze", analyze.path, {
      SUPABASE_DB_URL: stack.dbUrl,
    });
    const res = await fetch(`${fn.url}/analyze`, {
      method: "POST",
      headers: await signWake(secret, body, Date.now()),
      body,
    });
    await res.body?.cancel();
    colds.push(performance.now() - started);
    if (res.status !== 200) console.error(`  cold start answer ${res.status}`);
    await fn.stop();
  }
  console.log(
    `analyze cold start (spawn the bundle's process -> first wake-up answered 200), ms: ${
      summary(colds)
    }`,
  );
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseCli(
    args,
    `usage: deno task bench pipeline [--events N] [--poll-events N] [--poll-delay MS]
  --events N       close instants of the relay measurement (default 100)
  --poll-events N  close instants of the poll-mode measurement (default 40)
  --poll-delay MS  poll_delay_ms of the poll-mode measurement (default 2000, the setting's default;
                   each instant then takes at least that long)`,
    {
      events: { type: "string" },
      "poll-events": { type: "string" },
      "poll-delay": { type: "string" },
    },
  );
  const events = values.events ? positiveInt("events", values.events) : 100;
  const pollEvents = values["poll-events"] ? positiveInt("poll-events", values["poll-events"]) : 40;
  const pollDelay = values["poll-delay"] === undefined ? 2000 : Number(values["poll-delay"]);
  if (!/^\d+$/.test(values["poll-delay"] ?? "0") || pollDelay > 30_000) {
    throw new UsageError(`--poll-delay: expected 0..30000 (ms), got ${values["poll-delay"]}`);
  }
  console.log(`load average (1/5/15 min): ${load()} on ${navigator.hardwareConcurrency} cores`);
  await latencyAndInvocations(events);
  console.log(`load average: ${load()}`);
  await pollLatency(pollEvents, pollDelay);
  console.log(`load average: ${load()}`);
  const stack = await startStack({ root, port: 0, durable: true, log: () => {} });
  try {
    await coldStartAndCpu(stack);
  } finally {
    await stack.stop();
  }
  console.log(`load average after: ${load()}`);
}

if (import.meta.main) await runCli(main);

/**
 * Discord benchmark (prints figures; run by `deno task bench discord`), on a throwaway Postgres with
 * a year of real BTCUSDT 1h candles and the fake Discord:
 *   - discord-interactions answer time over HTTP (request signed beforehand; signature check,
 *     validation, database and response included) per kind: PING, /help, /status, /lastsignal,
 *     /subscribe, autocomplete, /backtest's deferred answer: p50 / p99 / max against Discord's 3 s;
 *   - /backtest on a year of 1h candles: process CPU time (`process.cpuUsage`, user + system: what
 *     counts against an Edge Function's 2 s CPU) and wall time of the analysis + simulation, and the
 *     wall time of loading the candles;
 *   - discord-notify: 50 cards through one sender run (fake Discord allowing 50 a second), ms per card,
 *     without charts; then 50 real signals' cards with charts: CPU per run as deployed (at most
 *     MAX_CHARTS_PER_RUN charts a run, the first chart cold), CPU and wall per chart (p50/p99), CPU
 *     per card in one warm run;
 *   - /lastsignal with its chart: answer time and time until the edit with the chart arrives;
 *   - the sizes of the discord-notify and discord-interactions bundles.
 * The load average is printed beside the figures: the machine is shared, wall times include waiting
 * for a core.
 */

import process from "node:process";
import { startTestDatabase } from "../db/harness.ts";
import { startFakeDiscord } from "../fakes/discord.ts";
import { handleDiscordInteractions } from "../../supabase/functions/discord-interactions/handler.ts";
import {
  backtestSeries,
  MAX_WINDOW_BARS,
  WARMUP_BARS,
} from "../../supabase/functions/discord-interactions/commands/backtest.ts";
import {
  DEFAULT_SENDER,
  MAX_CHARTS_PER_RUN,
  runSender,
} from "../../supabase/functions/discord-notify/run.ts";
import {
  type ChartRenderer,
  databaseChartRenderer,
} from "../../supabase/functions/discord-notify/chart_hook.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import * as esbuild from "esbuild";
import { bundleFunction } from "../build/bundle.ts";
import { repoRoot } from "../lib/cli/run_cli.ts";
import {
  analyzerSettings,
  ingestCandles,
  loadCandles,
} from "../../supabase/functions/_shared/db_api.ts";
import { depsFromEnv } from "../../supabase/functions/_shared/deps.ts";
import { loadFunctionEnv } from "../../supabase/functions/_shared/env.ts";
import { fixtureCandles } from "../../tests/support/fixtures.ts";
import { insertSignals, interactionKeys, signInteraction } from "../../tests/support/discord.ts";

const RUNS = 200;

function load(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function figures(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 0.5).toFixed(1)} ms  p99 ${pct(s, 0.99).toFixed(1)} ms  max ${
    s[s.length - 1].toFixed(1)
  } ms  (n=${s.length})`;
}

function cpuMs(since: { user: number; system: number }): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

console.log(`load average before: ${load()}`);
const db = await startTestDatabase({ log: () => {} });
const fake = await startFakeDiscord({
  limits: { "messages-create": { limit: 50, windowMs: 1000 } },
});
const keys = interactionKeys();
const env = loadFunctionEnv({
  SUPABASE_DB_URL: db.url,
  LOG_LEVEL: "error",
  DB_POOL_MAX: "4",
  DISCORD_PUBLIC_KEY: keys.publicKey,
  DISCORD_APPLICATION_ID: fake.applicationId,
  DISCORD_API_URL: fake.apiUrl,
  DISCORD_BOT_TOKEN: fake.token,
  DISCORD_CHANNEL_ID: fake.channelId,
  // Answer times are measured without background charts; /lastsignal's chart is measured below.
  DISCORD_CHART: "off",
});
const deps = depsFromEnv(env, "bench");
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  (req) => handleDiscordInteractions(req, deps),
);
const url = `http://127.0.0.1:${server.addr.port}/discord-interactions`;
// This throwaway database's pg_cron jobs are paused: outcome tracking would queue follow-ups for the
// 2024 signals below (their later candles are stored) and mix them into the card figures.
await deps.sql`do $$ begin
  if to_regclass('cron.job') is not null then update cron.job set active = false; end if;
end $$`;
const resetSender = () =>
  deps.sql`update private.discord_state set sender = null, sender_until = null, rate_limits = '{}'`;
try {
  const candles = fixtureCandles("BTCUSDT-1h-2024.json");
  await ingestCandles(
    deps.sql,
    candles.map((candle) => ({ symbol: "BTCUSDT", interval: "1h", candle })),
  );
  await insertSignals(deps.sql, "BTCUSDT", [
    { openTime: candles[candles.length - 1].openTime, notifyStatus: "skipped" },
  ]);
  console.log(
    `${candles.length} BTCUSDT 1h candles stored (${
      new Date(candles[0].openTime).toISOString().slice(0, 10)
    } to ${new Date(candles[candles.length - 1].openTime).toISOString().slice(0, 10)})`,
  );

  console.log(
    `\n/backtest on a year of 1h candles (Edge Function CPU budget: 2,000 ms per request):`,
  );
  const key = { symbol: "BTCUSDT", interval: "1h" as const };
  const loads: number[] = [];
  const loadCpu: number[] = [];
  const cpu: number[] = [];
  const wall: number[] = [];
  let last = null;
  const settings = await analyzerSettings(deps.sql);
  for (let i = 0; i < 10; i++) {
    const l0 = process.cpuUsage();
    const t0 = performance.now();
    const series = await loadCandles(deps.sql, key, {
      maxRows: MAX_WINDOW_BARS + WARMUP_BARS,
    });
    loads.push(performance.now() - t0);
    loadCpu.push(cpuMs(l0));
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    last = backtestSeries(key, series, 365, settings);
    wall.push(performance.now() - t1);
    cpu.push(cpuMs(c0));
  }
  if (!last?.ok) throw new Error("the backtest did not run");
  console.log(
    `  ${last.bars} candles traded (+${WARMUP_BARS} warm-up), ${last.trades} trades, n=10 runs`,
  );
  console.log(
    `  analysis + simulation CPU   first (cold) run ${cpu[0].toFixed(1)} ms; then ${
      figures(cpu.slice(1))
    }`,
  );
  console.log(
    `  analysis + simulation wall  first (cold) run ${wall[0].toFixed(1)} ms; then ${
      figures(wall.slice(1))
    }`,
  );
  console.log(`  loading the candles CPU     ${figures(loadCpu)} (JSON parsing here)`);
  console.log(`  loading the candles wall    ${figures(loads)} (mostly the database)`);
  console.log(
    `  (cold: the first run in a fresh process compiles the analyzer, as a new function instance would)`,
  );

  let seq = 0;
  const payload = (type: number, name?: string, options: unknown[] = []) =>
    JSON.stringify(
      type === 1 ? { type: 1, id: "1175928847299117003", application_id: fake.applicationId } : {
        type,
        id: String(1175928847299000000n + BigInt(++seq)),
        application_id: fake.applicationId,
        token: `bench-token-${seq}`,
        member: { user: { id: String(80351110224678912n + BigInt(seq % 50)) } },
        data: { id: "1175928847299117002", name, type: 1, options },
      },
    );
  const sym = { name: "symbol", type: 3, value: "BTCUSDT" };
  const kinds: [string, () => string][] = [
    ["PING", () => payload(1)],
    ["/help", () => payload(2, "help")],
    ["/status", () => payload(2, "status")],
    [
      "/lastsignal",
      () => payload(2, "lastsignal", [sym, { name: "timeframe", type: 3, value: "1h" }]),
    ],
    [
      "/subscribe",
      () => payload(2, "subscribe", [sym, { name: "min_confidence", type: 10, value: 0.7 }]),
    ],
    [
      "autocomplete",
      () => payload(4, "backtest", [{ name: "symbol", type: 3, value: "b", focused: true }]),
    ],
  ];
  console.log(`\ninteractions answer time over HTTP (Discord allows 3,000 ms):`);
  const all: number[] = [];
  for (const [kind, make] of kinds) {
    const reqs = Array.from({ length: RUNS }, () => {
      const body = make();
      return { body, headers: signInteraction(keys.secretKey, body) };
    });
    for (let i = 0; i < 10; i++) { // warm-up
      await (await fetch(url, { method: "POST", headers: reqs[i].headers, body: reqs[i].body }))
        .text();
    }
    const times: number[] = [];
    for (const r of reqs) {
      const t0 = performance.now();
      const res = await fetch(url, { method: "POST", headers: r.headers, body: r.body });
      await res.text();
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`${kind}: status ${res.status}`);
    }
    all.push(...times);
    console.log(`  ${kind.padEnd(13)} ${figures(times)}`);
  }
  const deferred: number[] = [];
  for (let i = 0; i < 10; i++) {
    const body = payload(2, "backtest", [sym, { name: "timeframe", type: 3, value: "1h" }, {
      name: "days",
      type: 4,
      value: 30,
    }]);
    const headers = signInteraction(keys.secretKey, body);
    const edits = fake.interactionEdits.length;
    const t0 = performance.now();
    const res = await fetch(url, { method: "POST", headers, body });
    await res.text();
    deferred.push(performance.now() - t0);
    while (fake.interactionEdits.length === edits) await new Promise((r) => setTimeout(r, 20));
  }
  all.push(...deferred);
  console.log(`  ${"/backtest".padEnd(13)} ${figures(deferred)}`);
  console.log(`  ${"all".padEnd(13)} ${figures(all)}`);

  console.log(
    `\ndiscord-notify: 50 cards in one sender run, charts off (fake Discord: 50 a second)`,
  );
  await resetSender();
  await deps
    .sql`insert into public.symbols (symbol, base_asset, quote_asset, display_name, active, timeframes)
    values ('BENCHUSDT', 'BENCH', 'USDT', 'BENCH', false, '{1h}') on conflict do nothing`;
  await insertSignals(
    deps.sql,
    "BENCHUSDT",
    Array.from({ length: 50 }, (_, i) => ({ openTime: Date.UTC(2024, 0, 1) + i * 3_600_000 })),
  );
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runSender(deps, { ...DEFAULT_SENDER, budgetMs: 60_000, chart: null });
  const ms = performance.now() - t0;
  console.log(
    `  ${report.sent} cards sent in ${ms.toFixed(0)} ms (${
      (ms / report.sent).toFixed(1)
    } ms a card wall, ${
      (cpuMs(c0) / report.sent).toFixed(1)
    } ms CPU), rate-limit violations: ${fake.violations.length}${
      fake.violations.length ? ` (${fake.violations.join("; ")})` : ""
    }`,
  );

  // Cards with charts: 50 real BTCUSDT 1h signals of 2024 (their patterns as stored by analyze),
  // each chart drawn from the 200 stored candles up to its bar, dark theme.
  const realSignals = analyzeSeries(seriesFromCandles(candles), parseAnalyzerConfig({}));
  const burst = realSignals.slice(0, 50);
  const insertBurst = async () => {
    await deps
      .sql`delete from public.signals where symbol = 'BTCUSDT' and notify_status = 'pending'`;
    await insertSignals(
      deps.sql,
      "BTCUSDT",
      burst.map((g) => ({
        openTime: g.time,
        direction: g.direction,
        entry: g.entry,
        stopLoss: g.stopLoss,
        takeProfits: g.takeProfits,
        confidence: g.confidence,
        atr: g.atr,
        rationale: g.rationale,
        patterns: g.patterns,
        contributions: g.contributions,
      })),
    );
  };
  const chartCpu: number[] = [];
  const chartWall: number[] = [];
  const failures: string[] = [];
  const base = databaseChartRenderer("dark");
  const measured: ChartRenderer = async (signal, d, confidence) => {
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const r = await base(signal, d, confidence);
    chartCpu.push(cpuMs(cpu0));
    chartWall.push(performance.now() - w0);
    if (!r.ok) failures.push(r.error);
    return r;
  };

  console.log(
    `\ndiscord-notify: ${burst.length} cards with charts, at most ${MAX_CHARTS_PER_RUN} charts a run as deployed (the first chart of this process is cold)`,
  );
  await resetSender();
  await insertBurst();
  const runCpu: number[] = [];
  const runCharts: number[] = [];
  let sent = 0;
  const b0 = performance.now();
  for (let i = 0; i < 20 && sent < burst.length; i++) {
    const r0 = process.cpuUsage();
    const r = await runSender(deps, { ...DEFAULT_SENDER, budgetMs: 60_000, chart: measured });
    runCpu.push(cpuMs(r0));
    runCharts.push(r.charts);
    sent += r.sent;
  }
  const burstMs = performance.now() - b0;
  console.log(
    `  ${sent} cards in ${runCpu.length} runs, ${burstMs.toFixed(0)} ms wall; charts per run ${
      runCharts.join(", ")
    }; chart failures: ${failures.length}${failures.length ? ` (${failures[0]})` : ""}`,
  );
  console.log(
    `  CPU per run (= per invocation), ms: ${
      runCpu.map((x) => x.toFixed(0)).join(", ")
    } (first run with the cold chart; Supabase allows 2,000 ms)`,
  );
  console.log(
    `  the first chart (cold: WebAssembly compile + first render): CPU ${
      chartCpu[0].toFixed(1)
    } ms, wall ${chartWall[0].toFixed(1)} ms`,
  );
  console.log(`  later charts CPU (load + render)  ${figures(chartCpu.slice(1))}`);
  console.log(`  later charts wall                 ${figures(chartWall.slice(1))}`);

  console.log(
    `\ndiscord-notify: the same ${burst.length} cards with charts in one run (warm, no chart bound)`,
  );
  await resetSender();
  await insertBurst();
  chartCpu.length = 0;
  chartWall.length = 0;
  const w0 = process.cpuUsage();
  const wt0 = performance.now();
  const warm = await runSender(deps, {
    ...DEFAULT_SENDER,
    budgetMs: 60_000,
    chart: measured,
    // No per-run bound here: this measures what a card costs once the instance is warm.
    maxCharts: burst.length,
    chartBudgetMs: Infinity,
  });
  const warmMs = performance.now() - wt0;
  const warmCpu = cpuMs(w0);
  const pngKb = fake.messages.slice(-warm.sent).reduce(
    (sum, m) => sum + (m.attachments[0]?.size ?? 0),
    0,
  ) / warm.sent / 1024;
  console.log(
    `  ${warm.sent} cards, ${warm.charts} charts: CPU ${
      (warmCpu / warm.sent).toFixed(1)
    } ms a card (${
      warmCpu.toFixed(0)
    } ms in all, the in-process fake Discord's work included), wall ${
      (warmMs / warm.sent).toFixed(1)
    } ms a card; PNG ${
      pngKb.toFixed(1)
    } KB on average; rate-limit violations: ${fake.violations.length}${
      fake.violations.length ? ` (${fake.violations.join("; ")})` : ""
    }`,
  );
  console.log(`  chart CPU per card (load + render) ${figures(chartCpu)}`);
  console.log(`  chart wall per card                ${figures(chartWall)}`);

  console.log(
    `\n/lastsignal with its chart (answered at once, the chart added by editing the answer):`,
  );
  await deps.sql`delete from public.signals where symbol = 'BTCUSDT'`;
  const lastReal = realSignals[realSignals.length - 1];
  await insertSignals(deps.sql, "BTCUSDT", [{
    openTime: lastReal.time,
    direction: lastReal.direction,
    entry: lastReal.entry,
    stopLoss: lastReal.stopLoss,
    takeProfits: lastReal.takeProfits,
    confidence: lastReal.confidence,
    patterns: lastReal.patterns,
    notifyStatus: "skipped",
  }]);
  const chartDeps = depsFromEnv({ ...env, DISCORD_CHART: "on" }, "bench-chart");
  const chartServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => handleDiscordInteractions(req, chartDeps),
  );
  try {
    const answer: number[] = [];
    const untilChart: number[] = [];
    for (let i = 0; i < 20; i++) {
      const body = payload(2, "lastsignal", [sym, { name: "timeframe", type: 3, value: "1h" }]);
      const headers = signInteraction(keys.secretKey, body);
      const edits = fake.interactionEdits.length;
      const t1 = performance.now();
      const res = await fetch(`http://127.0.0.1:${chartServer.addr.port}/discord-interactions`, {
        method: "POST",
        headers,
        body,
      });
      await res.text();
      answer.push(performance.now() - t1);
      const giveUp = performance.now() + 30_000;
      while (fake.interactionEdits.length === edits) {
        if (performance.now() > giveUp) throw new Error("the chart edit never arrived");
        await new Promise((r) => setTimeout(r, 5));
      }
      untilChart.push(performance.now() - t1);
      if (!fake.interactionEdits.at(-1)?.attachments.length) throw new Error("no chart edited in");
    }
    console.log(`  answer (the card)        ${figures(answer)}`);
    console.log(`  until the chart is shown ${figures(untilChart)}`);
  } finally {
    await chartServer.shutdown();
    await chartDeps.sql.end();
  }

  const dir = await Deno.makeTempDir();
  try {
    const sizes: string[] = [];
    for (const name of ["discord-notify", "discord-interactions"]) {
      const b = await bundleFunction(repoRoot(), name, `${dir}/${name}.js`);
      sizes.push(`${name} ${(b.bytes / 1024 / 1024).toFixed(2)} MB`);
    }
    console.log(`\nbundles (deno task build; limit 20 MB): ${sizes.join(", ")}`);
  } finally {
    await esbuild.stop();
    await Deno.remove(dir, { recursive: true });
  }
} finally {
  await server.shutdown();
  await deps.sql.end();
  await fake.close();
  await db.stop();
}
console.log(`\nload average after: ${load()}`);

/**
 * The zero-server ingest mode end to end, with real parts only: a Postgres with the migrations, the
 * Edge Function bundles in their own processes behind the gateway, the pg_net dispatcher, the fake
 * Binance speaking Binance's REST format, and the ingest job run at each close instant of the
 * replay's virtual clock (scripts/stack/replay_cron.ts), exactly as `deno task start --ingest poll`
 * runs it. No relay in poll mode. Whatever goes wrong on the way (missed minutes, REST 429/418/451/5xx,
 * candles Binance serves late), the candles table ends equal to the source and the signals equal the
 * offline `signals` CLI's; every error shows in relay status and /status.
 */

import assert from "node:assert/strict";
import type { Interval } from "../../shared/candles/intervals.ts";
import type { FakeBinance, ReplaySeries } from "../../scripts/fakes/binance.ts";
import type { LogEntry } from "../../scripts/lib/cli/log.ts";
import {
  type IngestMode,
  type PollReplayFeed,
  startPollReplayFeed,
  startReplayFake,
  trackReplayedSeries,
  waitCaughtUp,
} from "../../scripts/stack/feed.ts";
import { type Stack, startStack } from "../../scripts/stack/stack.ts";
import { type StatusFigures, statusFigures } from "../../supabase/functions/_shared/db_api.ts";
import { assertEndState, fixtureReplay as series } from "../support/replay_end_state.ts";

const root = new URL("../../", import.meta.url).pathname;

interface PollRun {
  stack: Stack;
  feed: PollReplayFeed;
  logs: LogEntry[];
}

/** A stack in `mode` whose functions poll a fake Binance replaying `replayed`, then the replay. */
async function replayPolled(
  replayed: readonly ReplaySeries[],
  mode: "poll" | "both",
  opts: Parameters<typeof startPollReplayFeed>[6] & {
    speed?: "max" | number;
    /** Called with the fake and the stack before the replay starts (tests: faults). */
    onStart?: (fake: FakeBinance, stack: Stack) => void;
  } = {},
): Promise<PollRun> {
  const logs: LogEntry[] = [];
  const log = (e: LogEntry) => void logs.push(e);
  const speed = opts.speed ?? "max";
  const fake = await startReplayFake(replayed, mode as IngestMode, speed);
  let stack: Stack;
  try {
    stack = await startStack({
      root,
      port: 0,
      postLateSignals: true,
      functionEnv: { BINANCE_REST_URL: fake.restUrl },
      ingestMode: mode,
      pollDelayMs: 0,
      ingestOnVirtualClock: true,
      log,
    });
  } catch (e) {
    await fake.close();
    throw e;
  }
  await trackReplayedSeries(
    stack.sql,
    replayed.map((s) => ({ symbol: s.symbol, interval: s.interval as Interval })),
    true,
  );
  opts.onStart?.(fake, stack);
  const feed = await startPollReplayFeed(stack.sql, fake, replayed, mode, speed, log, opts);
  return { stack, feed, logs };
}

async function ingestDetails(stack: Stack): Promise<Record<string, unknown>> {
  const [row] = await stack.sql`select details from public.relay_status where relay_id = 'ingest'`;
  return row.details;
}

Deno.test("poll mode: 3 symbols × 2 intervals stored by the ingest function alone; candles equal the source, signals equal the offline CLI", async () => {
  const replayed = ["BTCUSDT", "ETHUSDT", "SOLUSDT"].flatMap((s) => [
    series(`${s}-15m-2025W02-W07.json`, 0, 800),
    series(`${s}-1h-2025W02-W07.json`, 0, 200),
  ]);
  const run = await replayPolled(replayed, "poll");
  try {
    await waitCaughtUp(run.stack.sql, run.feed, { timeoutMs: 240_000 });
    await assertEndState(run.stack, replayed);
    const relays = await run.stack.sql`select relay_id from public.relay_status`;
    assert.deepEqual(relays.map((r) => r.relay_id), ["ingest"], "no relay ran");
    const c = run.feed.cron.stats;
    assert.equal(c.timeouts + c.refused, 0, JSON.stringify(c));
    assert.ok(c.runs >= 800, `one run per close instant (${c.runs} runs, 800 instants)`);
    const d = await ingestDetails(run.stack);
    const warned = run.logs.filter((l) => l.level !== "info");
    assert.deepEqual(d.errors, {}, JSON.stringify({ details: d, warned: warned.slice(0, 5) }));
    assert.equal(d.candles_inserted, 3000);
    const wakes = run.stack.gateway.requests.get("analyze")?.reasons.candles ?? 0;
    assert.ok(wakes <= c.runs, `at most one analyze wake-up per run (${wakes} for ${c.runs})`);
    const errors = run.logs.filter((l) => l.level === "error");
    assert.deepEqual(errors, [], "nothing logged an error");
  } finally {
    await run.feed.stop();
    await run.stack.stop();
  }
});

Deno.test("poll mode under faults: missed minutes, REST 429/418/451/5xx and late closes lose nothing, store nothing twice, and show in status", async () => {
  const replayed = [
    series("BTCUSDT-15m-2025W02-W07.json", 0, 1000),
    series("BTCUSDT-1h-2025W02-W07.json", 0, 250),
  ];
  let during: StatusFigures | null = null;
  let started: { fake: FakeBinance; stack: Stack } | null = null;
  const run = await replayPolled(replayed, "poll", {
    onStart: (fake, stack) => void (started = { fake, stack }),
    // Four runs in a row missed, every 97 close instants (the job runner skipping minutes).
    skip: (_t, i) => i % 97 >= 20 && i % 97 < 24,
    beforeRun: async (_t, i) => {
      if (!started) throw new Error("not started");
      const { fake, stack } = started as { fake: FakeBinance; stack: Stack };
      const rest = fake.rest;
      if (i === 100) rest.faults.push({ status: 429, retryAfterSeconds: 1, path: "klines" });
      if (i === 150) rest.faults.push({ status: 418, retryAfterSeconds: 1, path: "time" });
      rest.region451 = i >= 200 && i < 205;
      if (i === 205) during = await statusFigures(stack.sql);
      if (i === 300) {
        for (let k = 0; k < 3; k++) rest.faults.push({ status: 503, path: "klines" });
      }
      if (i === 350) rest.faults.push({ status: 500, path: "time" });
      // Binance's klines lag its clock by two minutes: each close is served late.
      rest.closeLagMs = i >= 400 && i < 450 ? 120_000 : 0;
    },
  });
  try {
    await waitCaughtUp(run.stack.sql, run.feed, { timeoutMs: 240_000 });
    await assertEndState(run.stack, replayed);
    const c = run.feed.cron.stats;
    assert.ok(c.skipped >= 40, `minutes were missed (${JSON.stringify(c)})`);
    const d = await ingestDetails(run.stack) as {
      errors: Record<string, number>;
      waits: Record<string, number>;
      held_back: number;
      last_error: string;
    };
    assert.ok(d.errors.region >= 5, `451s counted: ${JSON.stringify(d.errors)}`);
    assert.ok(d.errors.unavailable >= 1, `5xx beyond the retries counted: ${JSON.stringify(d)}`);
    assert.ok(d.waits.rate_limit >= 2, `429 and 418 waited out: ${JSON.stringify(d.waits)}`);
    assert.ok(d.waits.retry >= 3, `5xx retried: ${JSON.stringify(d.waits)}`);
    assert.ok(d.held_back >= 40, `late closes held back: ${d.held_back}`);
    const seen = during as StatusFigures | null;
    assert.equal(seen?.binanceRegionRefused, true, "/status showed the 451 while it lasted");
    assert.match(
      seen?.relays.find((r) => r.relayId === "ingest")?.lastError ?? "",
      /451/,
      "with the error",
    );
    const after = await statusFigures(run.stack.sql);
    assert.equal(after.binanceRegionRefused, false, "and no longer once Binance served again");
  } finally {
    await run.feed.stop();
    await run.stack.stop();
  }
});

Deno.test("both mode: the relay streams with dropped sockets and the ingest job polls as well; still the source and the offline signals", async () => {
  const replayed = [
    series("BTCUSDT-15m-2025W02-W07.json", 0, 800),
    series("BTCUSDT-1h-2025W02-W07.json", 0, 200),
  ];
  const run = await replayPolled(replayed, "both", {
    speed: 200_000,
    onStart: (fake) => void (fake.faults.dropEvery = 150),
  });
  try {
    await waitCaughtUp(run.stack.sql, run.feed, { timeoutMs: 240_000 });
    await assertEndState(run.stack, replayed);
    assert.ok(run.feed.cron.stats.runs > 0, "the ingest job ran");
    const feeds = await run.stack.sql`select relay_id from public.relay_status order by 1`;
    assert.deepEqual(feeds.map((r) => r.relay_id), ["ingest", "replay"]);
  } finally {
    await run.feed.stop();
    await run.stack.stop();
  }
});

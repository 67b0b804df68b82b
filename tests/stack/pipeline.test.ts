/**
 * The live pipeline end to end, with real parts only: a Postgres with the migrations, the Edge
 * Function bundles in their own processes behind the gateway, the pg_net dispatcher, the relay, and
 * the fake Binance speaking Binance's wire formats. Whatever goes wrong on the way (dropped sockets,
 * duplicate and out-of-order messages, REST 429/418, a killed relay, a database restart, failing,
 * slow or lost function calls), the end state is the same: the candles table equals the source
 * exactly and the signals table equals what the offline `signals` CLI prints for the same files.
 */

import assert from "node:assert/strict";
import nacl from "tweetnacl";
import type { Interval } from "../../shared/candles/intervals.ts";
import type { ReplaySeries, ReplaySpeed } from "../../scripts/fakes/binance.ts";
import { startFakeBinance } from "../../scripts/fakes/binance.ts";
import type { LogEntry } from "../../scripts/lib/cli/log.ts";
import { startReplayFeed, trackReplayedSeries, waitCaughtUp } from "../../scripts/stack/feed.ts";
import type { RelayStats } from "../../scripts/relay/relay.ts";
import { type Stack, startStack } from "../../scripts/stack/stack.ts";
import { signWake } from "../../supabase/functions/_shared/wake_auth.ts";
import { assertEndState, fixtureReplay as series } from "../support/replay_end_state.ts";

const root = new URL("../../", import.meta.url).pathname;

// The fault scenarios replay about 17 days of BTCUSDT at 15m and 1h (2,000 candles; signals included).
const BTC15 = () => series("BTCUSDT-15m-2025W02-W07.json", 0, 1600);
const BTC1H = () => series("BTCUSDT-1h-2025W02-W07.json", 0, 400);

interface Run {
  stack: Stack;
  logs: LogEntry[];
}

/** Starts a stack on a throwaway database with `replayed` as its tracked series. */
async function stackFor(
  replayed: readonly ReplaySeries[],
  functionEnv: Record<string, string> = {},
): Promise<Run> {
  const logs: LogEntry[] = [];
  const stack = await startStack({
    root,
    port: 0,
    postLateSignals: true,
    functionEnv,
    log: (e) => logs.push(e),
  });
  await trackReplayedSeries(
    stack.sql,
    replayed.map((s) => ({ symbol: s.symbol, interval: s.interval as Interval })),
    true,
  );
  return { stack, logs };
}

/**
 * Replays through the stack's relay (in process), waits until everything is analysed, and returns
 * the relay's figures at that moment.
 */
async function replay(
  run: Run,
  replayed: readonly ReplaySeries[],
  speed: ReplaySpeed,
  during?: (feed: Awaited<ReturnType<typeof startReplayFeed>>) => Promise<void> | void,
  relayOptions: {
    microseconds?: boolean;
    backoff?: { initialMs: number; maxMs: number };
    missingFinalMs?: number;
  } = {},
): Promise<RelayStats> {
  const feed = await startReplayFeed(
    run.stack.sql,
    replayed,
    speed,
    (e) => run.logs.push(e),
    relayOptions,
  );
  try {
    await during?.(feed);
    await waitCaughtUp(run.stack.sql, feed, { timeoutMs: 240_000 });
    return feed.relay.stats;
  } finally {
    await feed.stop();
  }
}

Deno.test("happy path: 3 symbols × 2 intervals replayed; candles equal the source, signals equal the offline CLI", async () => {
  // 17 days of each (4,000 candles in all, enough for signals on every symbol).
  const replayed = ["BTCUSDT", "ETHUSDT", "SOLUSDT"].flatMap((s) => [
    series(`${s}-15m-2025W02-W07.json`, 0, 1600),
    series(`${s}-1h-2025W02-W07.json`, 0, 400),
  ]);
  const run = await stackFor(replayed);
  try {
    await replay(run, replayed, "max");
    await assertEndState(run.stack, replayed);
    const errors = run.logs.filter((l) => l.fn === "analyze" && l.level === "error");
    assert.deepEqual(errors, [], "analyze logged no error");
  } finally {
    await run.stack.stop();
  }
});

Deno.test("stream faults: dropped sockets, duplicate, swapped and late messages, REST 429 and 418 change nothing", async () => {
  const replayed = [BTC15(), BTC1H()];
  const run = await stackFor(replayed);
  try {
    const relay = await replay(run, replayed, "max", (feed) => {
      const f = feed.fake!;
      f.faults.dropEvery = 400;
      f.faults.duplicateEvery = 7;
      f.faults.swapEvery = 11;
      f.faults.lateEvery = 13;
      f.faults.lateMs = 150;
      f.rest.faults.push({ status: 429, retryAfterSeconds: 1, path: "klines" }, {
        status: 418,
        retryAfterSeconds: 1,
        path: "klines",
      });
      // Fast reconnects (the production default is 1 s doubling to 60 s): the drops fall while the
      // first backfill still waits out the 429 and 418, and the suite does not wait a minute.
      // At "max" speed the fake's clock stops at the last close: a last final lost in a dropped
      // socket is fetched by the missing-final watch, after 500 ms here rather than the default 10 s.
    }, { backoff: { initialMs: 50, maxMs: 400 }, missingFinalMs: 500 });
    assert.ok(relay.reconnects >= 1, `the relay reconnected (${relay.reconnects} times)`);
    await assertEndState(run.stack, replayed);
  } finally {
    await run.stack.stop();
  }
});

Deno.test("function faults: analyze answering 500 after its work, or never reached: the sweep recovers everything", async () => {
  const replayed = [BTC15(), BTC1H()];
  const run = await stackFor(replayed);
  try {
    await replay(run, replayed, 200_000, async (feed) => {
      run.stack.gateway.faults.set("analyze", { mode: "fail-after", every: 5, status: 500 });
      while (feed.relay.stats.candlesInserted < 900) await new Promise((r) => setTimeout(r, 50));
      run.stack.gateway.faults.set("analyze", { mode: "refuse", every: 3, status: 503 });
    });
    const stats = run.stack.gateway.requests.get("analyze");
    assert.ok(stats && stats.faulted > 10, `faults were injected (${JSON.stringify(stats)})`);
    await assertEndState(run.stack, replayed);
  } finally {
    await run.stack.stop();
  }
});

Deno.test("a slow analyze (past pg_net's timeout) and dropped wake-ups still end in the offline state", async () => {
  const replayed = [BTC15(), BTC1H()];
  const run = await stackFor(replayed);
  try {
    await run.stack.sql`insert into private.config (key, value) values ('wake_timeout_ms', '1000')
      on conflict (key) do update set value = excluded.value`;
    await replay(run, replayed, 200_000, () => {
      run.stack.gateway.faults.set("analyze", { mode: "slow", every: 8, delayMs: 1200 });
    });
    const [{ timeouts }] = await run.stack
      .sql`select count(*)::int as timeouts from net._http_response where timed_out`;
    assert.ok(timeouts > 0, "some wake-ups timed out at the pg_net layer");
    await assertEndState(run.stack, replayed);
  } finally {
    await run.stack.stop();
  }
});

Deno.test("the database restarting mid-replay loses nothing and doubles nothing", async () => {
  const replayed = [BTC15(), BTC1H()];
  const run = await stackFor(replayed);
  try {
    // A paced replay (~7 s) so the restart falls in the middle.
    await replay(run, replayed, 200_000, async (feed) => {
      while (feed.relay.stats.candlesInserted < 600) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await run.stack.restartDatabase();
    });
    await assertEndState(run.stack, replayed);
  } finally {
    await run.stack.stop();
  }
});

Deno.test("a relay killed (SIGKILL) mid-replay and started again backfills from REST: nothing lost, nothing twice", async () => {
  const replayed = [BTC15(), BTC1H()];
  const run = await stackFor(replayed);
  const fake = await startFakeBinance({ series: [...replayed], speed: 120_000 });
  const relayArgs = [
    "run",
    "-A",
    "--quiet",
    `${root}scripts/relay.ts`,
    "--db-url",
    run.stack.dbUrl,
    "--ws-url",
    fake.wsUrl,
    "--rest-url",
    fake.restUrl,
    "--series",
    replayed.map((s) => `${s.symbol}:${s.interval}`).join(","),
  ];
  const spawn = () =>
    new Deno.Command(Deno.execPath(), { args: relayArgs, stdout: "null", stderr: "null" }).spawn();
  try {
    const first = spawn();
    const count = async () => {
      const [{ n }] = await run.stack.sql`select count(*)::int as n from public.candles`;
      return n as number;
    };
    while (await count() < 500) await new Promise((r) => setTimeout(r, 50));
    first.kill("SIGKILL");
    await first.status;
    const storedAtKill = await count();
    await new Promise((r) => setTimeout(r, 1500)); // candles close while no relay runs
    const second = spawn();
    try {
      await waitCaughtUp(run.stack.sql, {
        replayed: replayed.map((s) => ({
          key: { symbol: s.symbol, interval: s.interval as Interval },
          lastOpenTime: s.rows[s.rows.length - 1][0],
        })),
        fake,
        relay: null,
      }, { timeoutMs: 240_000 });
    } finally {
      second.kill("SIGTERM");
      await second.status;
    }
    assert.ok(
      storedAtKill < replayed.reduce((n, s) => n + s.rows.length, 0),
      "the kill fell mid-replay",
    );
    await assertEndState(run.stack, replayed);
  } finally {
    await fake.close();
    await run.stack.stop();
  }
});

Deno.test("bad input: malformed, unknown and µs-timed messages change nothing; every function refuses bad requests", async () => {
  const replayed = [BTC15(), BTC1H()];
  // discord-interactions answers 503 until it has Discord's public key to check signatures with.
  const key = nacl.sign.keyPair();
  const run = await stackFor(replayed, {
    DISCORD_PUBLIC_KEY: Array.from(key.publicKey, (b) => b.toString(16).padStart(2, "0")).join(""),
  });
  try {
    const feed = await startReplayFeed(run.stack.sql, replayed, 200_000, (e) => run.logs.push(e), {
      microseconds: true,
    });
    try {
      while (feed.relay.stats.candlesInserted < 200) await new Promise((r) => setTimeout(r, 50));
      for (
        const text of [
          "{not json",
          JSON.stringify({
            stream: "btcusdt@kline_15m",
            data: { e: "kline", E: 1, s: "BTCUSDT", k: { t: -1 } },
          }),
          JSON.stringify({ stream: "btcusdt@depth", data: { e: "depthUpdate" } }),
          "x".repeat(70_000),
        ]
      ) feed.fake!.broadcast(text);
      await waitCaughtUp(run.stack.sql, feed, { timeoutMs: 240_000 });
      const st = feed.relay.stats;
      assert.ok(
        st.malformed + st.unknownMessages >= 3,
        `bad messages are counted (${JSON.stringify(st)})`,
      );
    } finally {
      await feed.stop();
    }
    await assertEndState(run.stack, replayed);

    // Every function: unsigned and oversized requests; the wake-up targets: stale and malformed ones.
    const [{ before }] = await run.stack
      .sql`select (select count(*) from public.candles) + (select count(*) from public.signals)
      + (select count(*) from public.analyzer_state) as before`;
    const secret = (await run.stack.sql`select private.setting('functions_secret') as s`)[0]
      .s as string;
    for (const fn of run.stack.functions) {
      const url = `${run.stack.functionsUrl}/${fn.name}`;
      const unsigned = await fetch(url, { method: "POST", body: JSON.stringify({ reason: "x" }) });
      await unsigned.body?.cancel();
      assert.equal(unsigned.status, 401, `${fn.name}: unsigned`);
      const huge = await fetch(url, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
      await huge.body?.cancel();
      assert.equal(huge.status, 413, `${fn.name}: oversized`);
      if (fn.name === "discord-interactions") continue; // Discord's signature, tested with that function
      const body = JSON.stringify({ reason: 42, series: "nope", gaps: 3, outbox_ids: "x" });
      const stale = await fetch(url, {
        method: "POST",
        headers: await signWake(secret, body, Date.now() - 400_000),
        body,
      });
      await stale.body?.cancel();
      assert.equal(stale.status, 401, `${fn.name}: stale`);
      const bad = await fetch(url, {
        method: "POST",
        headers: await signWake(secret, body, Date.now()),
        body,
      });
      await bad.body?.cancel();
      assert.equal(bad.status, 400, `${fn.name}: malformed body`);
    }
    const [{ after }] = await run.stack
      .sql`select (select count(*) from public.candles) + (select count(*) from public.signals)
      + (select count(*) from public.analyzer_state) as after`;
    assert.equal(after, before, "no refused request changed anything");
  } finally {
    await run.stack.stop();
  }
});

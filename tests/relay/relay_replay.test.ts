/**
 * The relay end to end over real sockets and the real test database: real candles of 3 symbols ×
 * 2 intervals replayed by the fake Binance must end up in `public.candles` exactly as recorded,
 * whatever the stream does (drops, duplicates, reordering, late finals) and whatever REST answers
 * (429, 418, an open last row).
 */

import assert from "node:assert/strict";
import { type RelayStats, startRelay } from "../../scripts/relay/relay.ts";
import { waitFor } from "./helpers.ts";
import {
  compareWithSource,
  relayOptions,
  sourceCount,
  storedCount,
  threeByTwo,
  withWorld,
  type World,
} from "./world.ts";

const QUARTER = 900_000;

/** Waits until the replay is over and every source candle is stored, then stops the relay. */
async function runToEnd(
  w: World,
  relay: Awaited<ReturnType<typeof startRelay>>,
  timeoutMs = 30_000,
) {
  await waitFor("the replay to finish", async () => {
    await w.fake.finished;
    return true;
  }, timeoutMs);
  await waitFor(
    `all ${sourceCount(w)} candles stored`,
    async () => (await storedCount(w)) >= sourceCount(w) && relay.idle(),
    timeoutMs,
  );
  const report = await relay.stop();
  assert.deepEqual(report, { unsaved: 0, droppedBuffered: 0 });
}

/** Every candle was written exactly once: no statement re-sent a stored candle, none changed one. */
function assertStoredOnce(w: World, s: RelayStats) {
  assert.equal(s.candlesInserted, sourceCount(w), "every source candle inserted");
  assert.equal(s.candlesWritten, s.candlesInserted, "no candle sent to the database twice");
  assert.equal(s.candlesUpdated, 0, "no stored candle changed");
  assert.equal(s.rejectedCandles, 0);
}

function assertAllEqual(cmp: Record<string, { stored: number; source: number; equal: boolean }>) {
  for (const [name, c] of Object.entries(cmp)) {
    assert.ok(
      c.equal,
      `${name}: ${c.stored} stored vs ${c.source} in the source, or values differ`,
    );
  }
}

Deno.test("happy path: 3 symbols × 2 intervals replayed; the candles table equals the source exactly", async () => {
  // Two days of 15m and 1h candles; the clock starts 12 h in, so the relay first backfills 12 h
  // over REST, then takes the rest from the stream (every 15 minutes of market time = 20 ms).
  const series = threeByTwo("RPA", 192, 48);
  const first = Date.UTC(2025, 0, 6);
  await withWorld(series, {
    startTime: first + 12 * 3_600_000 + 60_000,
    speed: QUARTER / 20,
    updatesPerCandle: 2,
  }, async (w) => {
    const relay = await startRelay(relayOptions(w));
    await runToEnd(w, relay);
    assertAllEqual(await compareWithSource(w));
    const s = relay.stats;
    // The clock runs from the first subscription, so a few more candles may close before REST is asked.
    assert.ok(s.backfilledCandles >= 3 * (48 + 12), "at least the first 12 h come from REST");
    assert.equal(s.malformed, 0);
    assertStoredOnce(w, s);
  });
});

Deno.test("the stream drops every 300 messages: reconnects with backoff and backfills every gap", async () => {
  const series = threeByTwo("RPB", 384, 96);
  await withWorld(series, { speed: QUARTER / 12, updatesPerCandle: 2 }, async (w) => {
    w.fake.faults.dropEvery = 300;
    const relay = await startRelay(relayOptions(w));
    await runToEnd(w, relay);
    assertAllEqual(await compareWithSource(w));
    const s = relay.stats;
    assert.ok(
      w.fake.stats.ws.connectionsDropped >= 5,
      `${w.fake.stats.ws.connectionsDropped} drops`,
    );
    assert.ok(s.reconnects >= w.fake.stats.ws.connectionsDropped - 1, `${s.reconnects} reconnects`);
    assert.ok(
      s.backfillRuns + s.backfillReruns >= s.reconnects + 1,
      "a backfill (or another pass of a running one) on start and after every reconnect",
    );
    assertStoredOnce(w, s);
  });
});

Deno.test("duplicate, out-of-order and late finals change nothing: each candle stored once, as recorded", async () => {
  const series = threeByTwo("RPC", 192, 48);
  await withWorld(series, { speed: QUARTER / 25, updatesPerCandle: 1 }, async (w) => {
    Object.assign(w.fake.faults, { duplicateEvery: 7, swapEvery: 11, lateEvery: 13, lateMs: 400 });
    const relay = await startRelay(relayOptions(w));
    await runToEnd(w, relay);
    assertAllEqual(await compareWithSource(w));
    const s = relay.stats;
    assert.ok(s.duplicates > 0, "duplicates were seen and dropped");
    assert.ok(s.gaps > 0, "a final ahead of its predecessor started a series backfill");
    assertStoredOnce(w, s);
  });
});

Deno.test("REST answers 429 once and 418 once: the relay waits Retry-After and still stores everything", async () => {
  const series = threeByTwo("RPD", 96, 24);
  const first = Date.UTC(2025, 0, 6);
  await withWorld(
    series,
    { startTime: first + 10 * 3_600_000 + 1, speed: QUARTER / 20 },
    async (w) => {
      w.fake.rest.faults.push({ status: 429, retryAfterSeconds: 1, path: "klines" }, {
        status: 418,
        retryAfterSeconds: 1,
        path: "klines",
      });
      // One backfill worker: no request is in flight when the 429 arrives.
      const relay = await startRelay(relayOptions(w, { backfillConcurrency: 1 }));
      await runToEnd(w, relay);
      assertAllEqual(await compareWithSource(w));
      assert.equal(w.fake.stats.rest.statuses[429], 1);
      assert.equal(w.fake.stats.rest.statuses[418], 1);
      assert.equal(
        w.fake.stats.rest.requestsDuringBan,
        0,
        "nothing was sent while Retry-After ran",
      );
      assert.ok(w.logs.some((e) => /Retry-After/.test(e.msg)), "the waits are logged");
      assertStoredOnce(w, relay.stats);
    },
  );
});

Deno.test("REST's open last row is never stored; the final candle comes later from the stream", async () => {
  const series = threeByTwo("RPE", 60, 15);
  const first = Date.UTC(2025, 0, 6);
  // The clock stands 7 minutes into the 41st quarter (and the 11th hour): REST's last rows are open.
  const start = first + 40 * QUARTER + 7 * 60_000;
  await withWorld(
    series,
    { startTime: start, autoStart: false, updatesPerCandle: 2 },
    async (w) => {
      const relay = await startRelay(relayOptions(w));
      await waitFor("the start backfill", () => relay.idle() && relay.stats.backfillRuns === 1);
      const partial = await compareWithSource(w);
      for (const [name, c] of Object.entries(partial)) {
        assert.equal(
          c.stored,
          name.endsWith("15m") ? 40 : 10,
          `${name}: only closed candles stored`,
        );
      }
      const [open] = await w.sql`select count(*)::int as n from public.candles
      where symbol like 'RPE%' and close_time >= ${new Date(start)}`;
      assert.equal(open.n, 0, "no candle still open at the server time was stored");
      w.fake.play();
      w.fake.clock.setSpeed(QUARTER / 20);
      await runToEnd(w, relay);
      assertAllEqual(await compareWithSource(w));
      assertStoredOnce(w, relay.stats);
    },
  );
});

Deno.test("µs-timed streams and REST answers (timeUnit=MICROSECOND) are stored in ms, exactly as recorded", async () => {
  const series = threeByTwo("RPF", 96, 24);
  const first = Date.UTC(2025, 0, 6);
  await withWorld(
    series,
    { startTime: first + 6 * 3_600_000 + 1, speed: QUARTER / 20 },
    async (w) => {
      const relay = await startRelay(relayOptions(w, { microseconds: true }));
      await runToEnd(w, relay);
      assertAllEqual(await compareWithSource(w));
      assert.ok(w.fake.connections().length === 0 || w.fake.connections().every((c) => c.micro));
      assert.ok(
        relay.stats.backfilledCandles > 0 && relay.stats.finalKlines > 0,
        "both paths were in µs",
      );
      assertStoredOnce(w, relay.stats);
    },
  );
});

Deno.test("serverShutdown and the 24 h renewal open the new connection before closing the old: no gap, no backfill", async () => {
  const series = threeByTwo("RPG", 288, 72);
  await withWorld(series, { speed: QUARTER / 15, updatesPerCandle: 1 }, async (w) => {
    // Renew every 1.2 s (standing in for 23 h), and a serverShutdown in the middle.
    const relay = await startRelay(relayOptions(w, { renewAfterMs: 1200 }));
    await waitFor("half the replay", async () => (await storedCount(w)) > sourceCount(w) / 2);
    w.fake.serverShutdown(400);
    await runToEnd(w, relay);
    assertAllEqual(await compareWithSource(w));
    const s = relay.stats;
    assert.equal(s.serverShutdowns, 1);
    assert.ok(s.renewals >= 2, `${s.renewals} renewals`);
    assert.equal(s.reconnects, 0, "never a gap between connections");
    assert.equal(s.backfillRuns, 1, "only the start backfill");
    assert.equal(s.gaps, 0);
    assertStoredOnce(w, s);
  });
});

Deno.test("streams are sharded per connection and extra streams SUBSCRIBEd within 5 messages a second", async () => {
  const series = threeByTwo("RPH", 96, 24);
  await withWorld(series, { speed: QUARTER / 20 }, async (w) => {
    const relay = await startRelay(
      relayOptions(w, { maxStreamsPerConnection: 4, maxUrlStreams: 1 }),
    );
    await waitFor("connections", () => relay.stats.connectionsReady === 2);
    assert.equal(w.fake.connections().length, 2);
    assert.deepEqual(w.fake.connections().map((c) => c.streams.size).sort(), [2, 4]);
    await runToEnd(w, relay);
    assertAllEqual(await compareWithSource(w));
    assert.equal(w.fake.stats.ws.rateViolations, 0);
    assert.equal(
      w.fake.stats.ws.controlMessages,
      2,
      "one SUBSCRIBE per connection for the streams beyond the URL",
    );
    assertStoredOnce(w, relay.stats);
  });
});

Deno.test("candles that close while the connection is down are backfilled after the reconnect, even the last ones", async () => {
  const series = threeByTwo("RPI", 96, 24);
  await withWorld(series, { speed: QUARTER / 20, autoStart: false }, async (w) => {
    // Reconnects take ≥ 300 ms: the rest of the replay closes meanwhile and no later candle follows
    // to reveal a gap, so only the backfill after the reconnect can store it. The fake's clock then
    // stands at the last close, so REST never serves a candle after the last one: the backfill
    // holds it back (it could still be in progress) until the missing-final watch has run for its
    // close instant, missingFinalMs later.
    const relay = await startRelay(
      relayOptions(w, {
        backoff: { initialMs: 600, maxMs: 600, stableMs: 60_000 },
        missingFinalMs: 300,
      }),
    );
    await waitFor("connected", () => relay.stats.connectionsReady === 1 && relay.idle());
    w.fake.play();
    await waitFor("a third of the replay", async () => (await storedCount(w)) > sourceCount(w) / 3);
    w.fake.pause();
    w.fake.dropConnections();
    w.fake.clock.setSpeed("max");
    w.fake.play();
    await runToEnd(w, relay);
    assertAllEqual(await compareWithSource(w));
    assert.equal(relay.stats.reconnects, 1);
    assert.equal(relay.stats.gaps, 0, "no stream candle revealed the gap");
    assertStoredOnce(w, relay.stats);
  });
});

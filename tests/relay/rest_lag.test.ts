/**
 * Binance's REST view lagging its clock around a close: for a moment after a close, `/api/v3/klines`
 * serves the candle that just closed with its last in-progress values and not yet the next one,
 * while `/api/v3/time` already says it closed. A relay backfill that runs then must not store that
 * row as final (the stream's true final would be dropped as a duplicate): it holds the row back and
 * stores Binance's final, from the stream or from REST once REST has caught up. Real test database,
 * the fake Binance over real sockets (its `closeLagMs` scripts the lag).
 */

import assert from "node:assert/strict";
import { type Relay, startRelay } from "../../scripts/relay/relay.ts";
import { waitFor } from "./helpers.ts";
import {
  asNumbers,
  compareWithSource,
  relayOptions,
  sourceCount,
  storedCount,
  storedRows,
  withWorld,
  type World,
  type WorldSeries,
} from "./world.ts";

const QUARTER = 900_000;
const HOUR = 3_600_000;
const FIRST = Date.UTC(2025, 0, 6);
/** The close instant both series close at: 15m candle 19 and 1h candle 4 end there. */
const CLOSE = FIRST + 5 * HOUR;

function series(prefix: string): WorldSeries[] {
  return [
    { file: "BTCUSDT-15m-2025W02-W07.json", symbol: `${prefix}BTC`, interval: "15m", to: 28 },
    { file: "BTCUSDT-1h-2025W02-W07.json", symbol: `${prefix}BTC`, interval: "1h", to: 7 },
  ];
}

/**
 * Plays the rest of the replay, waits until every candle is stored, stops the relay, and checks
 * that the stored candles are exactly Binance's finals, none corrected after it was stored.
 */
async function playToEnd(w: World, relay: Relay): Promise<void> {
  w.fake.clock.setSpeed(QUARTER / 20);
  w.fake.play();
  await w.fake.finished;
  await waitFor(
    "every candle",
    async () => (await storedCount(w)) === sourceCount(w) && relay.idle(),
  );
  await relay.stop();
  for (const [name, c] of Object.entries(await compareWithSource(w))) {
    assert.ok(c.equal, `${name}: stored exactly Binance's final candles`);
  }
  assert.equal(relay.stats.candlesUpdated, 0, "no stored candle had to be corrected");
}

Deno.test("a backfill at a close while REST lags stores Binance's final values, not the in-progress row REST still serves", async () => {
  // The relay starts 1 ms before CLOSE by the stream's clock; Binance's clock (REST time) is 1 s
  // ahead, so the backfill finds the candles ending at CLOSE closed, but the klines REST serves show
  // the market 3 s earlier: those candles as they were while open, with no candle after them.
  await withWorld(series("RLL"), { startTime: CLOSE - 1, autoStart: false }, async (w) => {
    w.fake.rest.timeOffsetMs = 1000;
    w.fake.rest.closeLagMs = 3000;
    // (The missing-final watch is not what this test is about: it never runs here.)
    const relay = await startRelay(relayOptions(w, { missingFinalMs: 600_000 }));
    // (idle: the backfill's statements are committed.)
    await waitFor("the first backfill", () => relay.stats.backfillRuns === 1 && relay.idle());
    for (const [interval, closed] of [["15m", 19], ["1h", 4]] as const) {
      assert.deepEqual(
        await storedRows(w.sql, "RLLBTC", interval),
        asNumbers((w.sources.get(`RLLBTC ${interval}`) ?? []).slice(0, closed)),
        `${interval}: nothing REST served for the candle that just closed is stored`,
      );
    }
    assert.equal(relay.stats.heldBack, 2, "both candles ending at the close were held back");
    // The stream then sends the finals of CLOSE (and the rest of the replay).
    await playToEnd(w, relay);
    assert.equal(relay.stats.duplicates, 0, "the stream's finals were not dropped as duplicates");
  });
});

Deno.test("a held-back candle whose final the stream never sends is fetched again by the missing-final watch", async () => {
  // The relay starts 1 ms after CLOSE: the finals of CLOSE were sent before it connected (it never
  // sees them), and REST still lags by 3 s.
  await withWorld(series("RLM"), { startTime: CLOSE + 1, autoStart: false }, async (w) => {
    w.fake.rest.closeLagMs = 3000;
    const relay = await startRelay(relayOptions(w, {
      missingFinalMs: 300,
      log: (e) => {
        w.logs.push(e);
        // The watch fetches again missingFinalMs after the close, by when REST has caught up: here
        // the fake's clock stands still, so the lag ends as that fetch starts.
        if (e.msg === "backfill started" && e.reason === "final missing") {
          w.fake.rest.closeLagMs = 0;
        }
      },
    }));
    await waitFor("the first backfill", () => relay.stats.backfillRuns >= 1 && relay.idle());
    assert.equal(relay.stats.heldBack, 2, "both candles ending at the close were held back");
    await waitFor(
      "the held candles fetched again by the missing-final watch",
      async () => (await storedCount(w)) === 20 + 5,
    );
    assert.equal(relay.stats.backfillRuns, 2);
    await playToEnd(w, relay);
  });
});

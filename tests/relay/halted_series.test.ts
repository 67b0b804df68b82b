/**
 * A halted symbol (Binance status BREAK: the stream sends nothing for it, REST has no new candle)
 * must not cost REST weight at every close instant for as long as it is halted: the missing-final
 * watch backs off per series (one interval, doubling, at most hourly by default), says so once in
 * the log and in the heartbeat, and a series that trades again is caught up at once, not after its
 * backoff. Real test database, the fake Binance over real sockets (a halt is a gap in the rows it
 * serves).
 */

import assert from "node:assert/strict";
import type { LogEntry } from "../../scripts/lib/cli/log.ts";
import { type Relay, startRelay } from "../../scripts/relay/relay.ts";
import { waitFor } from "./helpers.ts";
import {
  compareWithSource,
  relayOptions,
  storedRows,
  withWorld,
  type World,
  type WorldSeries,
} from "./world.ts";

const QUARTER = 900_000;
const FIRST = Date.UTC(2025, 0, 6);
/** Rows [20, 84) of the halted series are missing: 64 quarters (16 h) without a candle. */
const HALT: [number, number] = [20, 84];
const HALT_INSTANTS = HALT[1] - HALT[0];

function quarter(file: string, symbol: string, halt?: [number, number]): WorldSeries {
  return { file, symbol, interval: "15m", to: 100, halt };
}

/** Klines requests the fake answered for a series. */
function klinesOf(w: World, symbol: string): number {
  return w.fake.stats.rest.klinesBySeries[`${symbol} 15m`] ?? 0;
}

Deno.test("a halted series' REST checks grow with the log of the halt, not with each close instant; it is caught up at once when it trades again", async () => {
  const series = [
    quarter("BTCUSDT-15m-2025W02-W07.json", "RHA"), // trades throughout: drives relay X's clock
    quarter("ETHUSDT-15m-2025W02-W07.json", "RHB", HALT), // halted, followed by relay X
    quarter("SOLUSDT-15m-2025W02-W07.json", "RHD"), // trades throughout: drives relay Y's clock
    quarter("ETHUSDT-15m-2025W02-W07.json", "RHC", HALT), // halted, followed by relay Y
  ];
  // 60 ms per quarter; candles 0..17 are closed at the start (backfilled), the rest streamed.
  await withWorld(series, {
    startTime: FIRST + 18 * QUARTER,
    speed: QUARTER / 60,
    autoStart: false,
  }, async (w) => {
    const logsX: LogEntry[] = [];
    const logsY: LogEntry[] = [];
    // Relay X pauses the replay as it says the series went quiet and as it says it trades again,
    // so the test can look at both moments without racing the replay.
    let onQuiet = (): void => {};
    let onActive = (): void => {};
    const optsX = relayOptions(w, {
      series: [{ symbol: "RHA", interval: "15m" }, { symbol: "RHB", interval: "15m" }],
      missingFinalMs: 20,
      heartbeatMs: 100,
      log: (e) => {
        logsX.push(e);
        if (/halted or delisted/.test(e.msg)) onQuiet();
        if (/quiet series active again/.test(e.msg)) onActive();
      },
    });
    const x = await startRelay(optsX);
    // Relay Y: the same with no hourly cap on the backoff, to show its doubling alone.
    const y = await startRelay(relayOptions(w, {
      series: [{ symbol: "RHD", interval: "15m" }, { symbol: "RHC", interval: "15m" }],
      missingFinalMs: 20,
      quietMaxMs: 86_400_000,
      log: (e) => logsY.push(e),
    }));
    const relays: Relay[] = [x, y];
    try {
      await waitFor("both relays backfilled", () => relays.every((r) => r.idle()));
      assert.equal(klinesOf(w, "RHB"), 1, "one REST call for the start backfill");

      // The halt: relay X notices the series went quiet; the heartbeat shows it.
      const quiet = new Promise<void>((resolve) => (onQuiet = () => (w.fake.pause(), resolve())));
      w.fake.play();
      await quiet;
      onQuiet = () => {};
      assert.equal(x.stats.quietSeries, 1);
      await waitFor("a heartbeat listing the quiet series", async () => {
        const [row] = await w.sql`select details from public.relay_status
          where relay_id = ${optsX.relayId as string}`;
        const listed = row?.details.quietSeries ?? [];
        return listed.length === 1 && listed[0].series === "RHB 15m" && listed[0].checks >= 1;
      });

      // The series trades again: relay X is told by its first final and catches it up at once,
      // with the replay paused (no later close instant, so no backoff could have run out).
      const active = new Promise<void>((resolve) => (onActive = () => (w.fake.pause(), resolve())));
      w.fake.play();
      await active;
      const resumedAt = klinesOf(w, "RHB");
      const first = (w.sources.get("RHB 15m") ?? [])[HALT[0]];
      await waitFor(
        "the first candle after the halt stored while the replay is paused",
        async () => (await storedRows(w.sql, "RHB", "15m")).some((r) => r[0] === first[0]),
      );
      // (Usually the final's gap backfill stores it; a check that was under way may have already.)
      assert.ok(klinesOf(w, "RHB") - resumedAt <= 1, "at most one REST call caught it up");
      assert.equal(x.stats.quietSeries, 0);

      w.fake.play();
      await w.fake.finished;
      await waitFor("every candle stored", async () => {
        if (!relays.every((r) => r.idle())) return false;
        return Object.values(await compareWithSource(w)).every((c) => c.equal);
      });
    } finally {
      for (const r of relays) await r.stop();
    }

    // Checks of each halted series by the missing-final watch (the first, then the quiet ones), and
    // its REST calls: those checks, the start backfill and the one catching it up. A check at every
    // close instant of the halt would be 64 (128 before the backoff: the watch came back to it).
    const hourly = 3 + Math.ceil(HALT_INSTANTS / 4); // 1, 2, 4 quarters, then one an hour
    const doubling = Math.ceil(Math.log2(HALT_INSTANTS)) + 2; // 1, 2, 4, 8... quarters
    for (
      const [name, relay, symbol, most] of [
        ["X (hourly cap)", x, "RHB", hourly],
        ["Y (no cap)", y, "RHC", doubling],
      ] as const
    ) {
      const checks = relay.stats.missingFinals + relay.stats.quietChecks;
      assert.ok(
        checks >= 2 && checks <= most,
        `relay ${name}: ${checks} checks in ${HALT_INSTANTS} close instants (at most ${most})`,
      );
      assert.ok(klinesOf(w, symbol) <= checks + 2, `relay ${name}: ${klinesOf(w, symbol)} calls`);
    }
    for (const [name, logs] of [["X", logsX], ["Y", logsY]] as const) {
      const said = logs.filter((e) => /halted or delisted/.test(e.msg));
      assert.equal(said.length, 1, `relay ${name} said it once: ${JSON.stringify(said)}`);
      assert.equal(logs.filter((e) => /quiet series active again/.test(e.msg)).length, 1);
    }
    for (const r of relays) assert.equal(r.stats.candlesUpdated, 0);
  });
});

/**
 * The relay's operating properties over real sockets and the real test database: one ingest
 * statement (one analyze wake-up) per close instant, the 250 ms deadline, bad messages ignored,
 * Binance's 451, heartbeats, and the database going away mid-run.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { startRelay } from "../../scripts/relay/relay.ts";
import { guardDroppedTypeFetch } from "../../supabase/functions/_shared/postgres_restart.ts";
import { testDatabaseUrl } from "../db/test_database.ts";
import { configureWake, unconfigureWake } from "../support/function_deps.ts";
import { waitFor } from "./helpers.ts";
import { postgresShuttingDown, startTcpProxy } from "./tcp_proxy.ts";
import {
  compareWithSource,
  relayOptions,
  sourceCount,
  storedCount,
  threeByTwo,
  withWorld,
  type WorldSeries,
} from "./world.ts";

const QUARTER = 900_000;
const FIRST = Date.UTC(2025, 0, 6);

Deno.test("20 series closing together: exactly one ingest statement and one analyze wake-up per close instant", async () => {
  const bases = ["BTC", "ETH", "SOL"];
  const series: WorldSeries[] = Array.from({ length: 20 }, (_, i) => ({
    file: `${bases[i % 3]}USDT-15m-2025W02-W07.json`,
    symbol: `RQ${String.fromCharCode(65 + i)}`,
    interval: "15m",
    to: 60,
  }));
  await withWorld(series, { speed: QUARTER / 60, autoStart: false }, async (w) => {
    await configureWake(w.sql);
    try {
      const [q0] = await w
        .sql`select coalesce(max(id), 0)::bigint as id from net.http_request_queue`;
      // The 20 finals of an instant come in one burst; under CPU load the 250 ms default deadline
      // could still pass between the first and the last of them (the deadline has its own test).
      const relay = await startRelay(relayOptions(w, { flushWaitMs: 10_000 }));
      await waitFor("connected and backfilled", () => relay.idle());
      w.fake.play();
      await w.fake.finished;
      await waitFor("every candle", async () => (await storedCount(w)) === 20 * 60 && relay.idle());
      await relay.stop();
      const s = relay.stats;
      assert.equal(s.backfilledCandles, 0, "nothing had closed at the start");
      assert.equal(s.ingestStatements, 60, "one statement per close instant");
      assert.deepEqual(
        s.instantsFlushed,
        { complete: 60 },
        "each flushed as soon as its 20 series arrived",
      );
      const wakes = await w.sql<{ series: { symbol: string; count: number }[] }[]>`
        select convert_from(body, 'UTF8')::jsonb -> 'series' as series from net.http_request_queue
        where id > ${q0.id} and url like '%/analyze'
          and convert_from(body, 'UTF8')::jsonb ->> 'reason' = 'candles'
          and convert_from(body, 'UTF8')::jsonb -> 'series' -> 0 ->> 'symbol' like 'RQ%'`;
      // (Only the candles trigger's: an analyze sweep, run by another test or by pg_cron in a
      // cluster that runs its jobs, also lists these series while nothing analyses them.)
      assert.equal(wakes.length, 60, "60 analyze wake-ups for 60 close instants");
      for (const wake of wakes) {
        assert.equal(wake.series.length, 20);
        assert.ok(wake.series.every((x) => x.count === 1));
      }
    } finally {
      await unconfigureWake(w.sql);
    }
  });
});

Deno.test("an instant with a series missing is flushed by the 250 ms deadline, the others at once", async () => {
  const series: WorldSeries[] = [
    { file: "BTCUSDT-15m-2025W02-W07.json", symbol: "RQXBTC", interval: "15m", to: 10 },
    { file: "ETHUSDT-15m-2025W02-W07.json", symbol: "RQXETH", interval: "15m", to: 10 },
    // This one's recording ends after 5 candles: the last 5 instants wait for it in vain.
    { file: "SOLUSDT-15m-2025W02-W07.json", symbol: "RQXSOL", interval: "15m", to: 5 },
  ];
  // 600 ms between close instants, longer than the 250 ms deadline.
  await withWorld(series, { speed: QUARTER / 600 }, async (w) => {
    const relay = await startRelay(relayOptions(w));
    await w.fake.finished;
    await waitFor("every candle", async () => (await storedCount(w)) === 25 && relay.idle());
    await relay.stop();
    assert.deepEqual(relay.stats.instantsFlushed, { complete: 5, deadline: 5 });
    const late = relay.flushLatencies().slice(5);
    assert.ok(
      late.every((ms) => ms >= 245),
      `deadline flushes after ~250 ms: ${late.map(Math.round)}`,
    );
  });
});

Deno.test("malformed, unknown and µs-mixed stream messages are logged and ignored; nothing stored, nothing crashes", async () => {
  const series = threeByTwo("RQM", 48, 12);
  await withWorld(series, { speed: QUARTER / 25, autoStart: false }, async (w) => {
    const relay = await startRelay(relayOptions(w));
    await waitFor("connected", () => relay.idle());
    const row = w.sources.get("RQMBTC 15m")?.[30] as unknown[];
    const k = (over: Record<string, unknown>, E: number = (row[6] as number) + 1) =>
      JSON.stringify({
        stream: "rqmbtc@kline_15m",
        data: {
          e: "kline",
          E,
          s: "RQMBTC",
          k: {
            t: row[0],
            T: row[6],
            s: "RQMBTC",
            i: "15m",
            f: 1,
            L: 2,
            o: row[1],
            c: row[4],
            h: row[2],
            l: row[3],
            v: row[5],
            n: 5,
            x: true,
            q: row[7],
            V: row[9],
            Q: row[10],
            B: "0",
            ...over,
          },
        },
      });
    const bad = [
      "not json at all",
      "[1,2,3]",
      '{"stream":"rqmbtc@kline_15m","data":{"e":"kline","E":1}}',
      k({ h: "1.00000000", l: "99999999.00000000" }), // high below low: a candle that cannot be
      k({ t: (row[0] as number) * 1000 }), // k.t in µs, E and k.T in ms
      k({ o: "abc" }),
      '{"stream":"btcusdt@trade","data":{"e":"trade","E":1736150400000,"s":"BTCUSDT"}}',
      '{"result":null,"id":999}',
    ];
    for (const text of bad) w.fake.broadcast(text);
    // A well-formed final kline of a series nobody tracks.
    w.fake.broadcast(
      k({ s: "NOPEUSDT" }).replaceAll("RQMBTC", "NOPEUSDT").replace("rqmbtc", "nopeusdt"),
    );
    await waitFor("the bad messages", () => relay.stats.messages >= bad.length + 1);
    assert.equal(await storedCount(w), 0, "nothing stored");
    const s = relay.stats;
    assert.equal(s.malformed, 6);
    assert.equal(s.unknownMessages, 2, "a trade event and an untracked series");
    const logged = w.logs.filter((e) => e.msg === "malformed message ignored");
    assert.equal(logged.length, 6);
    assert.ok(logged.some((e) => /high/.test(String(e.error))), "the candle rule is named");
    assert.ok(logged.some((e) => /microseconds/.test(String(e.error))), "the time unit is named");
    w.fake.play();
    await w.fake.finished;
    await waitFor(
      "every candle",
      async () => (await storedCount(w)) === sourceCount(w) && relay.idle(),
    );
    await relay.stop();
    for (const [name, c] of Object.entries(await compareWithSource(w))) assert.ok(c.equal, name);
  });
});

Deno.test("REST refused with 451: the error is logged and in the heartbeat; the stream is still stored", async () => {
  const series = threeByTwo("RQR", 96, 24);
  await withWorld(
    series,
    { startTime: FIRST + 6 * 3_600_000 + 1, speed: QUARTER / 20 },
    async (w) => {
      w.fake.rest.region451 = true;
      const opts = relayOptions(w);
      const relay = await startRelay(opts);
      await w.fake.finished;
      const wsCandles = 3 * (96 - 24 + 24 - 6);
      await waitFor(
        "the stream's candles",
        async () => (await storedCount(w)) >= wsCandles && relay.idle(),
      );
      await relay.stop();
      assert.ok(
        w.logs.some((e) => e.level === "error" && /451/.test(e.msg)),
        "a clear 451 error line",
      );
      const [row] = await w.sql`select details from public.relay_status where relay_id = ${opts
        .relayId as string}`;
      assert.ok(row.details.errors.region >= 1);
      assert.match(row.details.lastError, /HTTP 451/);
      const cmp = await compareWithSource(w);
      // Only what the stream delivered: the first 6 h (before the relay started) stay a gap for repair.
      assert.equal(cmp["RQRBTC 15m"].stored, 96 - 24);
      assert.equal(cmp["RQRBTC 1h"].stored, 24 - 6);
    },
  );
});

Deno.test("heartbeats record the live streams, last message time and figures at least every 30 s", async () => {
  const series = threeByTwo("RQH", 48, 12);
  await withWorld(series, { speed: QUARTER / 25 }, async (w) => {
    const opts = relayOptions(w, { heartbeatMs: 200 });
    const relay = await startRelay(opts);
    await w.fake.finished;
    await waitFor(
      "every candle",
      async () => (await storedCount(w)) === sourceCount(w) && relay.idle(),
    );
    const read = async () =>
      (await w.sql`select streams, last_message_at, reconnects, details, heartbeat_at
        from public.relay_status where relay_id = ${opts.relayId as string}`)[0];
    await waitFor(
      "a heartbeat with every candle",
      async () => (await read())?.details.candlesWritten === sourceCount(w),
    );
    const hb = await read();
    assert.deepEqual(
      [...hb.streams].sort(),
      w.series.map((s) => `${s.symbol.toLowerCase()}@kline_${s.interval}`).sort(),
    );
    assert.ok(hb.last_message_at instanceof Date);
    assert.equal(hb.reconnects, 0);
    assert.equal(hb.details.series, 6);
    await relay.stop();
  });
});

Deno.test("the database goes away mid-run: writes wait and resume, nothing lost, nothing twice", async () => {
  // As `deno task relay` does (runCli): a cut that falls while postgres.js sets up a connection
  // must not end the process (supabase/functions/_shared/postgres_restart.ts).
  guardDroppedTypeFetch();
  const url = new URL(testDatabaseUrl());
  // While cut, the proxy answers new connections as a Postgres shutting down does (FATAL 57P03):
  // every write tried during the outage fails visibly, not only one in flight at the cut.
  const proxy = startTcpProxy(url.hostname, Number(url.port || 5432), postgresShuttingDown());
  const viaProxy = new URL(url);
  viaProxy.port = String(proxy.port);
  const sql = postgres(viaProxy.href, { max: 2, onnotice: () => {}, connect_timeout: 2 });
  try {
    const series = threeByTwo("RQD", 192, 48);
    await withWorld(series, { speed: QUARTER / 20 }, async (w) => {
      const relay = await startRelay(relayOptions(w, { sql }));
      await waitFor("a third stored", async () => (await storedCount(w)) > sourceCount(w) / 3);
      proxy.cut();
      await new Promise((r) => setTimeout(r, 1500)); // the stream goes on meanwhile
      await waitFor(
        "a failed write",
        () => w.logs.some((e) => e.msg === "database write failed; retrying"),
      );
      proxy.restore();
      await w.fake.finished;
      await waitFor(
        "every candle",
        async () => (await storedCount(w)) === sourceCount(w) && relay.idle(),
        60_000,
      );
      await relay.stop();
      for (const [name, c] of Object.entries(await compareWithSource(w))) assert.ok(c.equal, name);
      const s = relay.stats;
      assert.ok((s.errors.database ?? 0) >= 1, "the outage was noticed");
      assert.ok(w.logs.some((e) => e.msg === "database writes resumed"));
      assert.equal(s.candlesUpdated, 0, "no stored candle changed");
      // A statement that committed just as the connection was cut looks failed to the relay and is
      // sent again: those candles then come back as unchanged, never twice in the table.
      assert.ok(s.candlesInserted <= sourceCount(w) && s.candlesInserted >= sourceCount(w) - 60);
    });
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    await proxy.close();
  }
});

Deno.test("the relay answers the server's pings: an idle connection pinged every 2 s stays open", async () => {
  const series = threeByTwo("RQP", 8, 2);
  // The fake pings after 2 s of silence and drops a connection with no pong 2 s later.
  await withWorld(series, { autoStart: false, pingSeconds: 2 }, async (w) => {
    const relay = await startRelay(relayOptions(w));
    await waitFor("connected", () => relay.idle());
    await new Promise((r) => setTimeout(r, 7000)); // no message at all: only pings and pongs
    assert.equal(w.fake.connections().length, 1, "still connected");
    assert.equal(w.fake.stats.ws.connectionsOpened, 1);
    assert.equal(relay.stats.reconnects, 0);
    await relay.stop();
  });
});

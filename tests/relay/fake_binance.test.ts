/**
 * The fake Binance speaks Binance's wire formats: its WebSocket messages are read by the project's
 * own kline parser (which the fake does not import) and equal the recorded candles; control
 * messages, connection rules and scripted faults behave as documented.
 */

import assert from "node:assert/strict";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { parseWsKline } from "../../shared/candles/ws_kline.ts";
import { type FakeBinance, loadReplayFile, startFakeBinance } from "../../scripts/fakes/binance.ts";
import { fixturePath } from "../support/fixtures.ts";
import { waitFor } from "./helpers.ts";
import { runTask } from "../support/run_cli.ts";

const btc = loadReplayFile(fixturePath("binance/BTCUSDT-1h-2024.json"), { to: 40 });
const eth = loadReplayFile(fixturePath("binance/ETHUSDT-1h-2024H1.json"), { to: 40 });

/** A WebSocket client that records every text message. */
async function listen(
  url: string,
): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<void> }> {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  const closed = Promise.withResolvers<void>();
  ws.onmessage = (e) => messages.push(String(e.data));
  ws.onclose = () => closed.resolve();
  ws.onerror = () => {};
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot open ${url}`));
  });
  return { ws, messages, closed: closed.promise };
}

async function closeWs(c: { ws: WebSocket; closed: Promise<void> }) {
  if (c.ws.readyState !== WebSocket.CLOSED) c.ws.close();
  await c.closed;
}

async function withFake(
  opts: Parameters<typeof startFakeBinance>[0],
  fn: (f: FakeBinance) => Promise<void>,
) {
  const fake = await startFakeBinance(opts);
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

Deno.test("combined streams: every message parses as a kline event and the finals equal the recording", async () => {
  await withFake({ series: [btc, eth], updatesPerCandle: 2 }, async (fake) => {
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h/ethusdt@kline_1h`);
    await fake.finished;
    await waitFor("all messages", () => c.messages.length === 2 * 40 * 3);
    const parsed = c.messages.map((m) => parseWsKline(m));
    for (const [series, symbol] of [[btc, "BTCUSDT"], [eth, "ETHUSDT"]] as const) {
      const mine = parsed.filter((p) => p.symbol === symbol);
      assert.deepEqual(
        mine.filter((p) => p.closed).map((p) => p.candle),
        parseRestKlines(series.rows),
      );
      assert.equal(mine.filter((p) => !p.closed).length, 80, "two non-final updates per candle");
      for (const p of mine.filter((p) => p.closed)) {
        assert.equal(
          p.eventTime,
          (p.candle.closeTime as number) + 1,
          "the final is sent at the close instant",
        );
      }
    }
    const raw = JSON.parse(c.messages[2]);
    assert.deepEqual(Object.keys(raw), ["stream", "data"]);
    assert.deepEqual(Object.keys(raw.data.k), [
      "t",
      "T",
      "s",
      "i",
      "f",
      "L",
      "o",
      "c",
      "h",
      "l",
      "v",
      "n",
      "x",
      "q",
      "V",
      "Q",
      "B",
    ]);
    assert.equal(raw.data.k.o, btc.rows[0][1], "decimal strings go out byte for byte");
    assert.deepEqual(fake.emittedCloseInstants(), btc.rows.map((r) => r[6] + 1));
    assert.equal(fake.stats.finalsSent, 80);
    await closeWs(c);
  });
});

Deno.test("timeUnit=MICROSECOND streams send µs times that the parser converts back to the recorded ms", async () => {
  await withFake({ series: [btc], updatesPerCandle: 0 }, async (fake) => {
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h&timeUnit=MICROSECOND`);
    await fake.finished;
    await waitFor("all finals", () => c.messages.length === 40);
    const first = JSON.parse(c.messages[0]).data;
    assert.equal(first.k.t, btc.rows[0][0] * 1000);
    assert.equal(first.k.T, btc.rows[0][6] * 1000 + 999);
    assert.equal(first.E, (btc.rows[0][6] + 1) * 1000);
    assert.deepEqual(c.messages.map((m) => parseWsKline(m).candle), parseRestKlines(btc.rows));
    await closeWs(c);
  });
});

Deno.test("SUBSCRIBE / LIST_SUBSCRIPTIONS are answered with {result, id}; the clock starts on the first subscription", async () => {
  await withFake({ series: [btc, eth], updatesPerCandle: 0 }, async (fake) => {
    const c = await listen(`${fake.wsUrl}/stream`);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(fake.clock.playing, false);
    c.ws.send(JSON.stringify({ method: "SUBSCRIBE", params: ["ethusdt@kline_1h"], id: 7 }));
    await waitFor("the answer", () => c.messages.length > 0);
    assert.equal(c.messages[0], '{"result":null,"id":7}');
    await fake.finished;
    await waitFor("ETH finals", () => c.messages.length === 41);
    c.ws.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: 8 }));
    await waitFor("the list", () => c.messages.length === 42);
    assert.equal(c.messages[41], '{"result":["ethusdt@kline_1h"],"id":8}');
    assert.ok(c.messages.slice(1, 41).every((m) => m.startsWith('{"stream":"ethusdt@kline_1h"')));
    await closeWs(c);
  });
});

Deno.test("Binance's connection rules: more than 5 messages a second or 1,024 streams ends the connection", async () => {
  await withFake({ series: [btc], autoStart: false }, async (fake) => {
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h`);
    for (let i = 0; i < 6; i++) c.ws.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: i }));
    await c.closed;
    assert.equal(fake.stats.ws.rateViolations, 1);
    const many = Array.from({ length: 1025 }, (_, i) => `s${i}usdt@kline_1m`).join("/");
    const res = await fetch(`${fake.restUrl}/stream?streams=${many}`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    await res.body?.cancel();
    assert.equal(res.status, 400);
    assert.equal(fake.stats.ws.streamLimitViolations, 1);
  });
});

Deno.test("faults: drop every N messages, duplicates, swapped, late and skipped finals, serverShutdown", async () => {
  await withFake({ series: [btc], updatesPerCandle: 0, autoStart: false }, async (fake) => {
    fake.faults.duplicateEvery = 5;
    fake.faults.swapEvery = 7;
    fake.faults.lateEvery = 11;
    fake.faults.lateMs = 150;
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h`);
    fake.play();
    await fake.finished;
    const opens = () =>
      c.messages.map((m) => (parseWsKline(m).candle.openTime - btc.rows[0][0]) / 3_600_000 + 1);
    await waitFor("every final", () => new Set(opens()).size === 40);
    await new Promise((r) => setTimeout(r, 50));
    const order = opens();
    assert.equal(order.length, 40 + 7, "#5, #10 ... #40 twice, except #35 which was held back");
    // Final #5, #10 ... twice; #7 after #8 (and #14 after #15...); #11, #22, #33 late (after a few later ones).
    assert.deepEqual(order.slice(0, 9), [1, 2, 3, 4, 5, 5, 6, 8, 7]);
    assert.ok(order.indexOf(11) > order.indexOf(12), "a late final arrives after later ones");
    assert.deepEqual(
      [...new Set(order)].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    await closeWs(c);
  });
  await withFake({ series: [btc], updatesPerCandle: 0, autoStart: false }, async (fake) => {
    fake.faults.skipEvery = 6;
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h`);
    fake.play();
    await fake.finished;
    await waitFor("every final sent", () => c.messages.length === 40 - 6);
    const opens = c.messages.map((m) =>
      (parseWsKline(m).candle.openTime - btc.rows[0][0]) / 3_600_000 + 1
    );
    assert.deepEqual(
      opens,
      Array.from({ length: 40 }, (_, i) => i + 1).filter((n) => n % 6 !== 0),
      "#6, #12 ... #36 never sent, the connection stays up",
    );
    assert.equal(fake.stats.finalsSkipped, 6);
    assert.equal(fake.stats.ws.connectionsDropped, 0);
    await closeWs(c);
  });
  await withFake({ series: [btc], updatesPerCandle: 0, speed: "max" }, async (fake) => {
    fake.faults.dropEvery = 10;
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h`);
    await c.closed;
    assert.equal(c.messages.length, 10);
    assert.equal(fake.stats.ws.connectionsDropped, 1);
  });
  await withFake({ series: [btc], autoStart: false }, async (fake) => {
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h`);
    await waitFor("the connection", () => fake.connections().length === 1);
    fake.serverShutdown(50);
    await c.closed;
    assert.equal(c.messages.length, 1);
    assert.equal(JSON.parse(c.messages[0]).event.e, "serverShutdown");
  });
});

Deno.test("REST: X-MBX-USED-WEIGHT-1M counts klines as 2 and time as 1; the open candle is the last row", async () => {
  await withFake(
    { series: [btc], startTime: btc.rows[10][0] + 1000, autoStart: false },
    async (fake) => {
      const get = (path: string) => fetch(`${fake.restUrl}${path}`);
      const r1 = await get("/api/v3/time");
      assert.deepEqual(await r1.json(), { serverTime: btc.rows[10][0] + 1000 });
      assert.equal(r1.headers.get("x-mbx-used-weight-1m"), "1");
      const r2 = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=${btc.rows[8][0]}`);
      const rows = await r2.json();
      assert.equal(r2.headers.get("x-mbx-used-weight-1m"), "3");
      assert.equal(rows.length, 3);
      assert.deepEqual(rows.slice(0, 2), btc.rows.slice(8, 10));
      assert.equal(rows[2][0], btc.rows[10][0]);
      assert.notDeepEqual(rows[2], btc.rows[10], "the still-open candle is partial");
      const r3 = await get("/api/v3/klines?symbol=BTCUSDT&interval=2x");
      assert.deepEqual([r3.status, await r3.json()], [400, {
        code: -1120,
        msg: "Invalid interval.",
      }]);
      // A REST server whose clock is behind the stream's: only /api/v3/time moves.
      fake.rest.timeOffsetMs = -3_600_000;
      const r4 = await get("/api/v3/time");
      assert.deepEqual(await r4.json(), { serverTime: btc.rows[9][0] + 1000 });
    },
  );
});

Deno.test("rateLimitsOnVirtualClock: the weight minute and a ban follow the replay's clock", async () => {
  await withFake(
    {
      series: [btc],
      startTime: btc.rows[10][0],
      autoStart: false,
      rateLimitsOnVirtualClock: true,
    },
    async (fake) => {
      const time = () => fetch(`${fake.restUrl}/api/v3/time`);
      const weight = async () => {
        const r = await time();
        await r.body?.cancel();
        return [r.status, r.headers.get("x-mbx-used-weight-1m")];
      };
      fake.rest.weightLimit = 2;
      assert.deepEqual(await weight(), [200, "1"]);
      assert.deepEqual(await weight(), [200, "2"]);
      assert.deepEqual(await weight(), [429, "2"], "over the limit in this virtual minute");
      fake.clock.advanceTo(btc.rows[10][0] + 60_000);
      assert.deepEqual(await weight(), [200, "1"], "the next virtual minute: ban over, new window");
    },
  );
});

Deno.test("at speed N the virtual clock runs N times real time", async () => {
  // 40 hourly candles at 1,200,000x: 40 h of virtual time take at least 120 ms of real time.
  await withFake({ series: [btc], speed: 1_200_000, updatesPerCandle: 0 }, async (fake) => {
    const c = await listen(`${fake.wsUrl}/stream?streams=btcusdt@kline_1h`);
    const t0 = performance.now();
    await fake.finished;
    const took = performance.now() - t0;
    assert.ok(took >= 110, `took ${took} ms`);
    await waitFor("every final", () => c.messages.length === 40);
    await closeWs(c);
  });
});

Deno.test("the fake shares no code with the kline parsers (no shared/ import, directly or not)", async () => {
  const seen = new Set<string>();
  const visit = async (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const src = (await Deno.readTextFile(url)).replace(/\/\*[\s\S]*?\*\//g, "");
    for (const m of src.matchAll(/from\s+"(\.[^"]+)"/g)) await visit(new URL(m[1], url));
  };
  await visit(new URL("../../scripts/fakes/binance.ts", import.meta.url));
  const shared = [...seen].filter((u) => u.includes("/shared/"));
  assert.deepEqual(shared, []);
  assert.ok(seen.size >= 5);
});

Deno.test("server pings: a client that never answers with a pong is disconnected", async () => {
  await withFake({ series: [btc], autoStart: false, pingSeconds: 1 }, async (fake) => {
    // A bare WebSocket handshake over TCP, then silence: no pong ever goes back.
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(new URL(fake.restUrl).port),
    });
    const req =
      "GET /stream?streams=btcusdt@kline_1h HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    await conn.write(new TextEncoder().encode(req));
    const t0 = performance.now();
    const buf = new Uint8Array(4096);
    let bytes = 0;
    let pings = 0;
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      if (bytes === 0) {
        assert.match(new TextDecoder().decode(buf.subarray(0, n)), /^HTTP\/1\.1 101/);
      } else if (buf[0] === 0x89) pings++; // a ping frame
      bytes += n;
      if (performance.now() - t0 > 15_000) break;
    }
    conn.close();
    const took = performance.now() - t0;
    assert.ok(pings >= 1, "the server pinged");
    assert.ok(took < 15_000, `disconnected after ${Math.round(took)} ms without pongs`);
  });
});

Deno.test("fake:binance refuses a day that does not exist and a file with no candles, in one line each", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const empty = `${dir}/BTCUSDT-1h-empty.json`;
    await Deno.writeTextFile(empty, "[]");
    const fixture = fixturePath("binance/BTCUSDT-1h-2025W02-W07.json");
    const cases: [string[], RegExp][] = [
      [[fixture, "--start", "2024-02-30"], /^error: --start: not a valid date: 2024-02-30\n$/],
      [[fixture, "--start", "yesterday"], /^error: --start: not a date: yesterday\n$/],
      [[empty], /^error: .*BTCUSDT-1h-empty\.json: no candles to replay\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = await runTask("fake:binance", args);
      assert.equal(r.code, 1, `${args.join(" ")}: exit 1`);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, "", "nothing served");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

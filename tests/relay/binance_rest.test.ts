/**
 * The Binance REST client against the local fake Binance over real HTTP: paging, closed candles by
 * the server's clock, weight budget, 429/418 Retry-After, 451, 5xx/network retries, µs times.
 * Waits use an injected clock shared with the fake's rate-limit clock, so nothing really sleeps.
 */

import assert from "node:assert/strict";
import {
  BinanceError,
  BinanceRateLimitError,
  BinanceRegionError,
  BinanceRest,
  type BinanceRestEvent,
  type BinanceRestOptions,
} from "../../supabase/functions/_shared/binance_rest.ts";
import { type FakeBinance, loadReplayFile, startFakeBinance } from "../../scripts/fakes/binance.ts";
import { fixturePath } from "../support/fixtures.ts";
import { rejectsWith } from "./helpers.ts";

const HOUR = 3_600_000;
const btc = loadReplayFile(fixturePath("binance/BTCUSDT-1h-2024.json"));
const original = JSON.parse(Deno.readTextFileSync(fixturePath("binance/BTCUSDT-1h-2024.json")));

/** A fake whose virtual clock stands 30 minutes into candle `inside` (rows before it are closed). */
async function fakeAt(inside: number, realNow?: () => number): Promise<FakeBinance> {
  return await startFakeBinance({
    series: [btc],
    startTime: btc.rows[inside][0] + HOUR / 2,
    autoStart: false,
    realNow,
  });
}

/** A test clock: `sleep` advances it instead of waiting, and records every wait. */
function virtualTime() {
  let t = Date.UTC(2026, 0, 1, 12, 0, 10);
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

function client(fake: FakeBinance, extra: Partial<BinanceRestOptions> = {}) {
  const time = virtualTime();
  const events: BinanceRestEvent[] = [];
  const rest = new BinanceRest({
    baseUrl: fake.restUrl,
    now: time.now,
    sleep: time.sleep,
    random: () => 1,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { rest, time, events };
}

async function collect(it: AsyncIterable<unknown[][]>): Promise<unknown[][][]> {
  const pages: unknown[][][] = [];
  for await (const p of it) pages.push(p);
  return pages;
}

Deno.test("closedKlines pages 1,000 rows at a time and returns exactly the recorded closed rows", async () => {
  const fake = await fakeAt(2500);
  try {
    const { rest } = client(fake);
    const pages = await collect(
      rest.closedKlines({ symbol: "BTCUSDT", interval: "1h", startTime: btc.rows[0][0] }),
    );
    assert.deepEqual(pages.map((p) => p.length), [1000, 1000, 500]);
    assert.deepEqual(
      pages.flat(),
      original.slice(0, 2500),
      "rows equal the recording, decimal strings included",
    );
    assert.deepEqual(fake.stats.rest.requests, { time: 1, klines: 3 });
    assert.deepEqual(fake.stats.rest.maxLimitAsked, 1000);
  } finally {
    await fake.close();
  }
});

Deno.test("the open last row is never returned: closedness is judged by the server's clock", async () => {
  const fake = await fakeAt(100);
  try {
    // The local clock is years after the data: it must not decide what is closed.
    const { rest } = client(fake);
    const page = await rest.klines({
      symbol: "BTCUSDT",
      interval: "1h",
      startTime: btc.rows[95][0],
    });
    assert.deepEqual(page.length, 6, "Binance returns the open candle as the last row");
    assert(page[5][6] >= fake.clock.now(), "its close time is after the server time");
    assert(
      JSON.stringify(page[5]) !== JSON.stringify(original[100]),
      "and it is not the final candle",
    );
    const closed = (await collect(
      rest.closedKlines({ symbol: "BTCUSDT", interval: "1h", startTime: btc.rows[95][0] }),
    )).flat();
    assert.deepEqual(closed, original.slice(95, 100));
  } finally {
    await fake.close();
  }
});

Deno.test("holdUnconfirmedMs: a closed candle Binance does not yet follow with the next one is held back (onHeld told) unless isFinal says it is final", async () => {
  // 1 s after candle 99 closed (by Binance's clock), klines lag by 3 s: candle 99 is served as it
  // was while open, and candle 100 is not served yet.
  const fake = await startFakeBinance({
    series: [btc],
    startTime: btc.rows[99][6] + 1 + 1000,
    autoStart: false,
  });
  try {
    fake.rest.closeLagMs = 3000;
    const { rest } = client(fake);
    const query = { symbol: "BTCUSDT", interval: "1h" as const, startTime: btc.rows[95][0] };
    const plain = (await collect(rest.closedKlines(query))).flat();
    assert.equal(plain.length, 5, "without a hold the stale row counts as closed");
    assert.notDeepEqual(plain[4], original[99], "...with its in-progress values");
    const held: unknown[] = [];
    const holding = (await collect(rest.closedKlines({
      ...query,
      holdUnconfirmedMs: 300_000,
      onHeld: (row) => held.push(row[0]),
    }))).flat();
    assert.deepEqual(holding, original.slice(95, 99), "candle 99 held back");
    assert.deepEqual(held, [btc.rows[99][0]], "and the caller told which");
    const vouched = (await collect(rest.closedKlines({
      ...query,
      holdUnconfirmedMs: 300_000,
      isFinal: (row) => row[0] < btc.rows[99][0],
      onHeld: (row) => held.push(row[0]),
    }))).flat();
    assert.deepEqual(vouched, original.slice(95, 99), "isFinal false for it: still held");
    const trusted = (await collect(rest.closedKlines({
      ...query,
      holdUnconfirmedMs: 300_000,
      isFinal: () => true,
    }))).flat();
    assert.equal(trusted.length, 5, "isFinal true: returned as served");
    // Once Binance serves candle 100 (the lag is over), candle 99 is confirmed and final.
    fake.clock.advanceTo(btc.rows[99][6] + 1 + 5000);
    held.length = 0;
    const caughtUp = (await collect(rest.closedKlines({
      ...query,
      holdUnconfirmedMs: 300_000,
      onHeld: (row) => held.push(row[0]),
    }))).flat();
    assert.deepEqual(caughtUp, original.slice(95, 100));
    assert.deepEqual(held, []);
  } finally {
    await fake.close();
  }
});

Deno.test("endTime bounds the pages; a run with no closed candle yields nothing", async () => {
  const fake = await fakeAt(3000);
  try {
    const { rest } = client(fake);
    const rows = (await collect(rest.closedKlines({
      symbol: "BTCUSDT",
      interval: "1h",
      startTime: btc.rows[10][0],
      endTime: btc.rows[1509][0],
    }))).flat();
    assert.deepEqual(rows, original.slice(10, 1510));
    const none = await collect(
      rest.closedKlines({ symbol: "BTCUSDT", interval: "1h", startTime: btc.rows[3000][0] }),
    );
    assert.deepEqual(none, []);
  } finally {
    await fake.close();
  }
});

Deno.test("429 once: waits Retry-After before any further call, then succeeds", async () => {
  const time = virtualTime();
  const fake = await fakeAt(50, time.now);
  try {
    fake.rest.faults.push({ status: 429, retryAfterSeconds: 7 });
    const events: BinanceRestEvent[] = [];
    const rest = new BinanceRest({
      baseUrl: fake.restUrl,
      now: time.now,
      sleep: time.sleep,
      onEvent: (e) => events.push(e),
    });
    const rows = await rest.klines({
      symbol: "BTCUSDT",
      interval: "1h",
      startTime: btc.rows[0][0],
      limit: 10,
    });
    assert.deepEqual(rows, original.slice(0, 10));
    assert.deepEqual(time.sleeps, [7000]);
    assert.deepEqual(events.map((e) => [e.type, e.status]), [["rate-limit", 429]]);
    assert.deepEqual(fake.stats.rest.statuses, { 429: 1, 200: 1 });
    assert.deepEqual(fake.stats.rest.requestsDuringBan, 0, "no request while the Retry-After ran");
  } finally {
    await fake.close();
  }
});

Deno.test("418 once: the ban is honoured for every concurrent caller of the client", async () => {
  const time = virtualTime();
  const fake = await fakeAt(50, time.now);
  try {
    fake.rest.faults.push({ status: 418, retryAfterSeconds: 120 });
    const rest = new BinanceRest({ baseUrl: fake.restUrl, now: time.now, sleep: time.sleep });
    const first = await rest.klines({
      symbol: "BTCUSDT",
      interval: "1h",
      startTime: btc.rows[0][0],
      limit: 5,
    });
    const [a, b] = await Promise.all([
      rest.serverTime(),
      rest.klines({ symbol: "BTCUSDT", interval: "1h", limit: 3, startTime: btc.rows[5][0] }),
    ]);
    assert.deepEqual(first, original.slice(0, 5));
    assert.deepEqual(a, fake.clock.now());
    assert.deepEqual(b, original.slice(5, 8));
    assert.deepEqual(time.sleeps, [120_000]);
    assert.deepEqual(fake.stats.rest.requestsDuringBan, 0);
  } finally {
    await fake.close();
  }
});

Deno.test("a Retry-After longer than allowed raises BinanceRateLimitError instead of waiting", async () => {
  const fake = await fakeAt(50);
  try {
    fake.rest.faults.push({ status: 418, retryAfterSeconds: 3600 });
    const { rest, time } = client(fake, { maxRetryAfterMs: 60_000 });
    const e = await rejectsWith(() => rest.serverTime(), BinanceRateLimitError);
    assert.deepEqual(e.status, 418);
    assert.deepEqual(e.retryAfterMs, 3_600_000);
    assert.deepEqual(time.sleeps, []);
  } finally {
    await fake.close();
  }
});

Deno.test("451 is a BinanceRegionError with a clear message, not retried", async () => {
  const fake = await fakeAt(50);
  try {
    fake.rest.region451 = true;
    const { rest } = client(fake);
    const e = await rejectsWith(
      () => rest.klines({ symbol: "BTCUSDT", interval: "1h" }),
      BinanceRegionError,
    );
    assert.deepEqual(e.kind, "region");
    assert(/HTTP 451, restricted location/.test(e.message), e.message);
    assert(!e.message.includes("\n"));
    assert.deepEqual(fake.stats.rest.requests.klines, 1);
  } finally {
    await fake.close();
  }
});

Deno.test("5xx answers are retried with growing jittered waits; after the last attempt: unavailable", async () => {
  const fake = await fakeAt(50);
  try {
    fake.rest.faults.push({ status: 500 }, { status: 503 });
    const { rest, time, events } = client(fake);
    assert.deepEqual(
      await rest.klines({ symbol: "BTCUSDT", interval: "1h", startTime: btc.rows[0][0], limit: 2 }),
      original.slice(0, 2),
    );
    assert.deepEqual(time.sleeps, [500, 1000]);
    assert.deepEqual(events.map((e) => e.status), [500, 503]);

    fake.rest.faults.push({ status: 502 }, { status: 502 }, { status: 502 });
    const { rest: r2 } = client(fake, { maxAttempts: 3 });
    const e = await rejectsWith(() => r2.serverTime(), BinanceError);
    assert.deepEqual(e.kind, "unavailable");
    assert.deepEqual(e.status, 502);
  } finally {
    await fake.close();
  }
});

Deno.test("network errors and timeouts are retried a bounded number of times", async () => {
  // A port that refuses connections.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const time = virtualTime();
  const refused = new BinanceRest({
    baseUrl: `http://127.0.0.1:${port}`,
    now: time.now,
    sleep: time.sleep,
    maxAttempts: 3,
  });
  const e = await rejectsWith(() => refused.serverTime(), BinanceError);
  assert.deepEqual(e.kind, "unavailable");
  assert.deepEqual(time.sleeps.length, 2);

  const hang = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    await hang.promise;
    return new Response("{}");
  });
  try {
    const slow = new BinanceRest({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      timeoutMs: 50,
      maxAttempts: 2,
      sleep: () => Promise.resolve(),
    });
    const t = await rejectsWith(() => slow.serverTime(), BinanceError);
    assert(/timed out after 50 ms/.test(t.message), t.message);
  } finally {
    hang.resolve();
    await server.shutdown();
  }
});

Deno.test("keeps under the weight budget: waits for the next minute instead of earning a 429", async () => {
  const time = virtualTime();
  const fake = await fakeAt(50, time.now);
  try {
    const events: BinanceRestEvent[] = [];
    const rest = new BinanceRest({
      baseUrl: fake.restUrl,
      now: time.now,
      sleep: time.sleep,
      onEvent: (e) => events.push(e),
    });
    fake.rest.setUsedWeight(4999); // another process on this IP used most of the minute
    await rest.serverTime();
    assert.deepEqual(rest.usedWeight, 5000);
    const before = time.now();
    await rest.klines({ symbol: "BTCUSDT", interval: "1h", limit: 1, startTime: btc.rows[0][0] });
    assert.deepEqual(events.map((e) => e.type), ["weight-wait"]);
    const waited = time.sleeps[0];
    assert(waited > 0 && waited <= 60_250, `waited ${waited} ms`);
    assert.deepEqual(
      Math.floor((before + waited) / 60_000),
      Math.floor(before / 60_000) + 1,
      "into the next minute",
    );
    assert.deepEqual(fake.stats.rest.statuses[429], undefined);

    // The fake's own limit: a 429 with Retry-After to the end of its minute is honoured too.
    fake.rest.weightLimit = 3;
    fake.rest.setUsedWeight(2);
    await rest.klines({ symbol: "BTCUSDT", interval: "1h", limit: 1, startTime: btc.rows[0][0] });
    assert.deepEqual(fake.stats.rest.statuses[429], 1);
    assert.deepEqual(fake.stats.rest.requestsDuringBan, 0);
  } finally {
    await fake.close();
  }
});

Deno.test("X-MBX-TIME-UNIT: MICROSECOND answers come back in ms, decimals untouched", async () => {
  const fake = await fakeAt(40);
  try {
    const { rest } = client(fake, { microseconds: true });
    const raw = await fetch(
      `${fake.restUrl}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1&startTime=${
        btc.rows[0][0]
      }`,
      {
        headers: { "X-MBX-TIME-UNIT": "MICROSECOND" },
      },
    ).then((r) => r.json());
    assert.deepEqual(raw[0][0], btc.rows[0][0] * 1000, "the fake really sends µs");
    assert.deepEqual(raw[0][6], btc.rows[0][6] * 1000 + 999);
    const rows = (await collect(
      rest.closedKlines({ symbol: "BTCUSDT", interval: "1h", startTime: btc.rows[0][0] }),
    )).flat();
    assert.deepEqual(rows, original.slice(0, 40));
    assert.deepEqual(await rest.serverTime(), fake.clock.now());
  } finally {
    await fake.close();
  }
});

Deno.test("Binance's refusals (bad symbol) are BinanceError kind request naming code and message, not retried", async () => {
  const fake = await fakeAt(40);
  try {
    const { rest } = client(fake);
    const e = await rejectsWith(
      () => rest.klines({ symbol: "NOPEUSDT", interval: "1h" }),
      BinanceError,
    );
    assert.deepEqual([e.kind, e.status, e.code], ["request", 400, -1121]);
    assert(/Invalid symbol/.test(e.message));
    assert.deepEqual(fake.stats.rest.requests.klines, 1);
    await rejectsWith(
      () => rest.klines({ symbol: "BTCUSDT", interval: "1h", limit: 1001 }),
      RangeError,
    );
  } finally {
    await fake.close();
  }
});

Deno.test("binance_rest.ts is edge-safe: no Deno APIs, imports only shared/ and web APIs", () => {
  const src = Deno.readTextFileSync(
    new URL("../../supabase/functions/_shared/binance_rest.ts", import.meta.url),
  );
  const code = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert(!/\bDeno\./.test(code), "no Deno.* in the client");
  const imports = [...code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
  for (const i of imports) assert(i.startsWith("../../../shared/"), `unexpected import ${i}`);
});

/**
 * The relay's small parts on their own: reconnect backoff, the outgoing message limit, message
 * classification, series lists, the close-instant batcher's rules, and the missing-final watch's
 * backoff for a quiet series.
 */

import assert from "node:assert/strict";
import { CloseBatcher, type InstantBatch } from "../../scripts/relay/batcher.ts";
import { classifyMessage } from "../../scripts/relay/messages.ts";
import { Backoff, MessageLimiter } from "../../scripts/relay/pacing.ts";
import { QUIET_MAX_MS, QuietBackoff } from "../../scripts/relay/quiet.ts";
import { parseSeriesList, shardsOf } from "../../scripts/relay/series.ts";
import type { Interval } from "../../shared/candles/intervals.ts";
import type { SeriesCandle } from "../../supabase/functions/_shared/db_api.ts";

Deno.test("backoff doubles from 1 s to 60 s with jitter in [d/2, d], and resets only after a stable connection", () => {
  const top = new Backoff({ random: () => 0.999999 });
  assert.deepEqual(Array.from({ length: 9 }, () => top.next()), [
    1000,
    2000,
    4000,
    8000,
    16000,
    32000,
    60000,
    60000,
    60000,
  ]);
  const low = new Backoff({ random: () => 0 });
  assert.deepEqual([low.next(), low.next(), low.next()], [500, 1000, 2000]);
  assert.equal(
    low.next(59_999),
    4000,
    "a connection up for less than the stable period keeps backing off",
  );
  assert.equal(low.next(60_000), 500, "one up for the stable period resets");
  assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
});

Deno.test("the message limiter never lets more than 5 messages through in any second", async () => {
  const limiter = new MessageLimiter(5);
  const times: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from(
      { length: 7 },
      () => limiter.acquire().then(() => times.push(performance.now() - t0)),
    ),
  );
  times.sort((a, b) => a - b);
  for (let i = 5; i < times.length; i++) {
    assert.ok(times[i] - times[i - 5] >= 1000, `message ${i + 1} at ${times[i]} ms`);
  }
});

Deno.test("messages: klines, control replies, serverShutdown in its three shapes, unknown and malformed", () => {
  const kline = JSON.stringify({
    stream: "btcusdt@kline_1m",
    data: {
      e: "kline",
      E: 1736121660001,
      s: "BTCUSDT",
      k: {
        t: 1736121600000,
        T: 1736121659999,
        s: "BTCUSDT",
        i: "1m",
        f: 1,
        L: 2,
        o: "1.0",
        c: "1.5",
        h: "2.0",
        l: "0.5",
        v: "3",
        n: 2,
        x: true,
        q: "4",
        V: "1",
        Q: "1",
        B: "0",
      },
    },
  });
  const k = classifyMessage(kline);
  assert.equal(k.kind, "kline");
  assert.equal(k.kind === "kline" && k.kline.closed, true);
  assert.deepEqual(classifyMessage('{"result":null,"id":3}'), {
    kind: "control",
    id: 3,
    error: null,
  });
  assert.deepEqual(classifyMessage('{"error":{"code":2,"msg":"Invalid request"},"id":4}'), {
    kind: "control",
    id: 4,
    error: "Invalid request",
  });
  for (
    const s of [
      '{"e":"serverShutdown","E":1}',
      '{"stream":"x","data":{"e":"serverShutdown","E":1}}',
      '{"event":{"e":"serverShutdown","E":1}}',
    ]
  ) {
    assert.deepEqual(classifyMessage(s), { kind: "shutdown" }, s);
  }
  assert.equal(classifyMessage('{"e":"trade"}').kind, "unknown");
  assert.equal(classifyMessage("nope").kind, "malformed");
  assert.equal(classifyMessage("null").kind, "malformed");
  const bad = classifyMessage(kline.replace('"h":"2.0"', '"h":"0.1"'));
  assert.equal(bad.kind, "malformed");
  assert.match(bad.kind === "malformed" ? bad.error : "", /high/);
});

Deno.test("series lists: SYMBOL:interval, case-sensitive intervals, one-line errors; shards of at most N", () => {
  assert.deepEqual(parseSeriesList("BTCUSDT:1h, ETHUSDT:15m,BTCUSDT:1h"), [
    { symbol: "BTCUSDT", interval: "1h" },
    { symbol: "ETHUSDT", interval: "15m" },
  ]);
  assert.deepEqual(parseSeriesList("XRPUSDT:1M"), [{ symbol: "XRPUSDT", interval: "1M" }]);
  assert.throws(() => parseSeriesList("BTCUSDT:2x"), /unknown interval 2x/);
  assert.throws(() => parseSeriesList("btcusdt:1h"), /expected SYMBOL:interval/);
  assert.throws(() => parseSeriesList(" , "), /empty/);
  assert.deepEqual(shardsOf([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.equal(shardsOf(Array.from({ length: 2049 }, (_, i) => i), 1024).length, 3);
});

function row(symbol: string, interval: Interval, openTime: number): SeriesCandle {
  return { symbol, interval, candle: { openTime, open: 1, high: 1, low: 1, close: 1, volume: 1 } };
}

Deno.test("batcher: a complete instant flushes at once, in instant order; a late kline flushes alone", () => {
  const out: InstantBatch[] = [];
  const expected = new Map<number, string[]>();
  const b = new CloseBatcher({
    waitMs: 10_000,
    expected: (t) => expected.get(t) ?? [],
    flush: (x) => out.push(x),
  });
  const H = 3_600_000;
  expected.set(2 * H, ["a", "b"]);
  expected.set(3 * H, ["a", "b"]);
  b.add("a", row("A", "1h", H), 0);
  assert.equal(out.length, 0, "b is still expected");
  b.add("a", row("A", "1h", 2 * H), 0);
  b.add("b", row("B", "1h", 2 * H), 0);
  // Instant 3H complete: instant 2H (waiting for b) goes first, overtaken.
  assert.deepEqual(out.map((x) => [x.instant, x.reason, x.rows.length]), [[2 * H, "overtaken", 1], [
    3 * H,
    "complete",
    2,
  ]]);
  b.add("b", row("B", "1h", H), 0);
  assert.deepEqual(out.map((x) => x.reason).at(-1), "late");
  assert.equal(b.pending, 0);
  expected.set(6 * H, ["a", "b"]);
  b.add("a", row("A", "1h", 5 * H), 0);
  assert.equal(b.pending, 1);
  b.flushAll();
  assert.equal(out.at(-1)?.reason, "stop");
});

Deno.test("batcher: an incomplete instant is flushed by its deadline", async () => {
  const out: InstantBatch[] = [];
  const b = new CloseBatcher({ waitMs: 60, expected: () => ["a", "b"], flush: (x) => out.push(x) });
  b.add("a", row("A", "15m", 0), performance.now());
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(out.length, 0);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(out.map((x) => x.reason), ["deadline"]);
});

Deno.test("quiet series: checks one interval apart, then twice as long each time, at most hourly (or one interval); reset ends it", () => {
  const MIN = 60_000;
  /** Waits (minutes) between the first `n` checks of a series of `intervalMs`, each made when due. */
  const waits = (intervalMs: number, n: number, maxMs = QUIET_MAX_MS) => {
    const q = new QuietBackoff();
    let at = 0;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      assert.ok(q.due(at));
      const first = q.fruitless(at, intervalMs, maxMs);
      assert.equal(first, i === 0, "only the first fruitless check starts a quiet spell");
      assert.ok(!q.due(q.until - 1));
      out.push((q.until - at) / MIN);
      at = q.until;
    }
    return out;
  };
  assert.deepEqual(waits(MIN, 9), [1, 2, 4, 8, 16, 32, 60, 60, 60]);
  assert.deepEqual(waits(15 * MIN, 5), [15, 30, 60, 60, 60]);
  assert.deepEqual(waits(240 * MIN, 3), [240, 240, 240], "never more often than its interval");
  assert.deepEqual(waits(15 * MIN, 6, 86_400_000), [15, 30, 60, 120, 240, 480]);
  const q = new QuietBackoff();
  assert.ok(!q.quiet && q.due(0) && !q.reset(), "not quiet: nothing to end");
  q.fruitless(1000, MIN);
  q.fruitless(q.until, MIN);
  assert.deepEqual([q.quiet, q.since, q.checks, q.backoffMs], [true, 1000, 2, 2 * MIN]);
  assert.ok(q.reset());
  assert.deepEqual([q.quiet, q.since, q.checks, q.due(0)], [false, null, 0, true]);
});

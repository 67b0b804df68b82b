/**
 * The client-side rate limiter on a virtual clock: routes and their major parameters, buckets learnt
 * from X-RateLimit-* headers, bucket and global 429s, the global 50 a second, and the state carried
 * from one sender run to the next.
 */

import assert from "node:assert/strict";
import {
  type Clock,
  RateLimiter,
  RateLimitWait,
  readRateLimitHeaders,
  routeOf,
} from "../../supabase/functions/_shared/discord_rate_limit.ts";

function virtualClock(start = 1_000_000): Clock & { slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

const headers = (h: Record<string, string>) => readRateLimitHeaders(new Headers(h));

Deno.test("routes: the channel, guild or webhook (with its token) is the major parameter; other ids are {id}", () => {
  assert.deepEqual(routeOf("post", "/channels/123456789012345678/messages"), {
    template: "POST /channels/{channels}/messages",
    major: "123456789012345678",
  });
  assert.deepEqual(routeOf("PATCH", "/channels/1234567890123456789/messages/9876543210987654321"), {
    template: "PATCH /channels/{channels}/messages/{id}",
    major: "1234567890123456789",
  });
  assert.deepEqual(routeOf("POST", "/webhooks/123456789012345678/tok_EN-1?wait=true"), {
    template: "POST /webhooks/{webhooks}/{token}",
    major: "123456789012345678/tok_EN-1",
  });
  assert.equal(
    routeOf("PUT", "/applications/123456789012345678/commands").template,
    "PUT /applications/{id}/commands",
  );
});

Deno.test("a bucket learnt from the headers is never exceeded: the request after the last one waits for the reset", async () => {
  const clock = virtualClock();
  const rl = new RateLimiter(clock);
  const route = routeOf("POST", "/channels/123456789012345678/messages");
  const other = routeOf("POST", "/channels/223456789012345678/messages");
  await rl.acquire(route);
  rl.update(
    route,
    200,
    headers({
      "x-ratelimit-bucket": "abc",
      "x-ratelimit-limit": "5",
      "x-ratelimit-remaining": "1",
      "x-ratelimit-reset-after": "2.5",
    }),
  );
  await rl.acquire(route); // the last one of the window
  assert.deepEqual(clock.slept, []);
  rl.update(
    route,
    200,
    headers({
      "x-ratelimit-bucket": "abc",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset-after": "2.5",
    }),
  );
  await rl.acquire(other); // another channel: its own bucket
  assert.deepEqual(clock.slept, []);
  await rl.acquire(route);
  assert.equal(clock.slept.length, 1);
  assert.ok(clock.slept[0] >= 2500, `waited ${clock.slept[0]} ms`);
  await assert.rejects(
    async () => {
      rl.update(
        route,
        200,
        headers({
          "x-ratelimit-bucket": "abc",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset-after": "30",
        }),
      );
      await rl.acquire(route, clock.now() + 1000);
    },
    RateLimitWait,
    "a wait past the caller's deadline is refused, not slept",
  );
});

Deno.test("a 429 pauses its bucket for retry_after; a global 429 pauses every route", async () => {
  const clock = virtualClock();
  const rl = new RateLimiter(clock);
  const a = routeOf("POST", "/channels/123456789012345678/messages");
  const b = routeOf("PATCH", "/channels/123456789012345678/messages/123456789012345679");
  await rl.acquire(a);
  rl.update(a, 429, headers({ "x-ratelimit-bucket": "x" }), { retryAfterS: 1.5, global: false });
  await rl.acquire(b);
  assert.deepEqual(clock.slept, [], "another bucket goes on");
  rl.update(b, 200, headers({}));
  await rl.acquire(a);
  assert.ok(clock.slept[0] >= 1500);
  rl.update(a, 429, headers({ "x-ratelimit-global": "true" }), { retryAfterS: 4, global: true });
  const before = clock.now();
  await rl.acquire(b);
  assert.ok(clock.now() - before >= 4000, "the global pause holds every route");
});

Deno.test("at most 50 requests in any second, counted from their answers", async () => {
  const clock = virtualClock();
  const rl = new RateLimiter(clock);
  const times: number[] = [];
  for (let i = 0; i < 120; i++) {
    const route = routeOf("POST", `/channels/${123456789012345678n + BigInt(i)}/messages`);
    await rl.acquire(route);
    times.push(clock.now());
    rl.update(route, 200, headers({}));
  }
  for (let i = 50; i < times.length; i++) {
    assert.ok(times[i] - times[i - 50] >= 1000, `requests ${i - 50}..${i} within one second`);
  }
});

Deno.test("the learnt buckets carry over to the next run; windows that ended are dropped", async () => {
  const clock = virtualClock();
  const rl = new RateLimiter(clock);
  const route = routeOf("POST", "/channels/123456789012345678/messages");
  await rl.acquire(route);
  rl.update(
    route,
    200,
    headers({
      "x-ratelimit-bucket": "abc",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset-after": "3",
    }),
  );
  const state = JSON.parse(JSON.stringify(rl.toState()));
  const next = new RateLimiter(clock, state);
  assert.ok(next.delayFor(route) >= 3000, "the next run knows the bucket is empty");
  await clock.sleep(3100);
  assert.equal(new RateLimiter(clock, next.toState()).delayFor(route), 0);
  assert.deepEqual(new RateLimiter(clock, next.toState()).toState().buckets, {});
});

/**
 * discord-notify over real HTTP against the real test database and the fake Discord: every card
 * is posted exactly once (a burst with charts within the rate limits and the charts per run, 429s
 * and 5xx recovered, a lost answer not doubled, concurrent runs not doubled), refusals are given up
 * with Discord's reason, 401/403 stop all sending, follow-ups are replies posted once, a withdrawn
 * signal's unsent card is never posted and its posted card gets one withdrawal, and bad wake-ups
 * change nothing. The charts themselves: discord_card_chart.test.ts.
 */

import assert from "node:assert/strict";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { NetDispatcher } from "../../scripts/db/dispatcher.ts";
import { handleDiscordNotify } from "../../supabase/functions/discord-notify/handler.ts";
import {
  DEFAULT_SENDER,
  MAX_CHARTS_PER_RUN,
  runSender,
} from "../../supabase/functions/discord-notify/run.ts";
import { outboxNonce } from "../../supabase/functions/discord-notify/deliver.ts";
import { statusFigures } from "../../supabase/functions/_shared/db_api.ts";
import { connect, testDatabaseUrl, withTestSymbol } from "../db/test_database.ts";
import {
  configureWake,
  postSigned,
  recordingLogger,
  serveHandler,
  testDeps,
  unconfigureWake,
} from "../support/function_deps.ts";
import {
  botEnv,
  chartOf,
  hourTimes,
  insertSignals,
  insertTestCandles,
  makeDue,
  messagesAbout,
  outboxOf,
  resetDiscordState,
  waitFor,
} from "../support/discord.ts";

const SYMBOL = "TSTNOTIFY";
const fast = { ...DEFAULT_SENDER, budgetMs: 60_000 };

Deno.test("a burst of 50 signals: 50 cards with their charts through the real wake-up path, none twice, within every rate limit", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord({
    limits: { "messages-create": { limit: 10, windowMs: 500 } },
  });
  const { log, lines } = recordingLogger();
  const deps = testDeps(sql, { env: botEnv(fake), log });
  // The handler as deployed (charts on by default), with more time per run.
  const server = serveHandler((req, d) => handleDiscordNotify(req, d, { budgetMs: 60_000 }), deps);
  const dispatcher = new NetDispatcher({ url: testDatabaseUrl(), pollMs: 50 });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      // The candles the charts draw (stored before wake-ups point anywhere).
      await insertTestCandles(sql, SYMBOL, Date.UTC(2024, 0, 1) - 200 * 3_600_000, 260);
      await configureWake(sql, server.url);
      await dispatcher.start();
      await sql`insert into public.user_subscriptions (discord_user_id, symbol, timeframe, min_confidence)
        values ('111111111111111111', ${SYMBOL}, null, 0.5), ('222222222222222222', ${SYMBOL}, '1h', 0.9)`;
      const ids = await insertSignals(
        sql,
        SYMBOL,
        hourTimes(50).map((t, i) => ({ openTime: t, confidence: i % 2 ? 0.95 : 0.7 })),
      );
      await waitFor("50 cards", () => messagesAbout(fake, SYMBOL).length >= 50, 90_000);
      await waitFor(
        "the outbox to record them",
        async () => (await outboxOf(sql, SYMBOL)).every((r) => r.status === "sent"),
      );
      await deps.settle();
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 50, "exactly 50 messages");
      assert.equal(new Set(posted.map((m) => m.nonce)).size, 50, "50 distinct nonces");
      assert.deepEqual(fake.violations, [], "no rate limit was exceeded");
      const rows = await outboxOf(sql, SYMBOL);
      assert.deepEqual(rows.map((r) => Number(r.signal_id)), ids, "one card per signal");
      assert.deepEqual(
        rows.map((r) => r.message_id),
        posted.map((m) => m.id),
        "posted in signal order",
      );
      // Subscribers: both on the 0.95 signals, only the first on the 0.7 ones; nobody else can be pinged.
      for (const [i, m] of posted.entries()) {
        const want = i % 2 ? ["111111111111111111", "222222222222222222"] : ["111111111111111111"];
        assert.deepEqual(m.mentions, want, `mentions of card ${i}`);
        assert.deepEqual(m.allowed_mentions?.parse, [], "no role or @everyone pings");
        await chartOf(m); // chart.png, shown by the embed, an 800 × 450 PNG
      }
      const reqs = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/messages"));
      assert.ok(reqs.every((r) => r.authorization === `Bot ${fake.token}`), "Bot authorization");
      assert.ok(
        reqs.every((r) => /^DiscordBot \(/.test(r.userAgent ?? "")),
        "DiscordBot user agent",
      );
      assert.ok(reqs.every((r) => r.files.length === 1), "every card went up as multipart");
      // Charts per run are bounded: the rest went to fresh invocations.
      const runs = lines.filter((l) => l.msg === "sender run" && Number(l.sent) > 0);
      assert.ok(
        runs.every((r) => Number(r.charts) <= MAX_CHARTS_PER_RUN),
        "charts per run bounded",
      );
      assert.ok(
        runs.filter((r) => r.continued === true).length >= 50 / MAX_CHARTS_PER_RUN - 1,
        `continued through the wake-up path (${runs.length} runs)`,
      );
      assert.equal(runs.reduce((n, r) => n + Number(r.charts), 0), 50, "one chart per card");
      assert.ok(lines.some((l) => l.msg === "sender run" && l.reason === "continue"));
    });
  } finally {
    await dispatcher.stop();
    await unconfigureWake(sql);
    await deps.settle();
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("429 bursts (bucket and global) and 5xx answers recover: every card once, retry_after honoured", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(12).map((openTime) => ({ openTime })));
      fake.inject({ rateLimit: { retryAfter: 0.3 } }, { method: "POST", times: 3 });
      fake.inject({ status: 502 }, { method: "POST", times: 2 });
      fake.inject({ rateLimit: { retryAfter: 0.4, global: true } }, { method: "POST" });
      fake.inject({ status: 503 }, { method: "POST" });
      const first = await runSender(deps, fast);
      assert.equal(first.retried, 3, "three 5xx answers are retried through the outbox");
      assert.equal(messagesAbout(fake, SYMBOL).length, 9);
      const failed = (await outboxOf(sql, SYMBOL)).filter((r) => r.status === "failed");
      assert.equal(failed.length, 3);
      assert.ok(
        failed.every((r) => r.next_attempt_at !== null && /50[23]/.test(r.last_error ?? "")),
      );
      await makeDue(sql, SYMBOL);
      const second = await runSender(deps, fast);
      assert.equal(second.sent, 3);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 12, "every card posted");
      assert.equal(new Set(posted.map((m) => m.nonce)).size, 12, "none twice");
      assert.deepEqual(fake.violations, [], "no request went out inside a retry_after");
      assert.ok((await outboxOf(sql, SYMBOL)).every((r) => r.status === "sent"));
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("an answer lost after Discord accepted the post does not make a second message", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake, { DISCORD_TIMEOUT_MS: "300" }) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(3).map((openTime) => ({ openTime })));
      fake.inject({ lose: true }, { method: "POST" });
      const first = await runSender(deps, fast);
      assert.equal(first.retried, 1);
      const [lost] = (await outboxOf(sql, SYMBOL)).filter((r) => r.status === "failed");
      assert.match(lost.last_error ?? "", /no answer within 300 ms.*same nonce/);
      const wait = (lost.next_attempt_at?.getTime() ?? 0) - Date.now();
      assert.ok(
        wait > 0 && wait <= 5_000,
        "a lost answer is retried within seconds (nonce window)",
      );
      assert.equal(messagesAbout(fake, SYMBOL).length, 3, "Discord did create it");
      await makeDue(sql, SYMBOL);
      await runSender(deps, fast);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 3, "the retry returned the first message instead of a new one");
      const rows = await outboxOf(sql, SYMBOL);
      assert.ok(rows.every((r) => r.status === "sent"));
      assert.deepEqual(rows.map((r) => r.message_id).sort(), posted.map((m) => m.id).sort());
      assert.equal(
        fake.requests.filter((r) => (r.body as { nonce?: string })?.nonce === posted[0].nonce)
          .length,
        2,
        "the same nonce was sent twice",
      );
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("a 400 marks the message failed with Discord's reason and it is never retried", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(3).map((openTime) => ({ openTime })));
      fake.inject({ status: 400, code: 50035, message: "Invalid Form Body" }, { method: "POST" });
      const report = await runSender(deps, fast);
      assert.equal(report.refused, 1);
      assert.equal(report.sent, 2);
      const rows = await outboxOf(sql, SYMBOL);
      assert.equal(rows[0].status, "failed");
      assert.equal(rows[0].next_attempt_at, null, "given up");
      assert.match(rows[0].last_error ?? "", /card: 400 Invalid Form Body \(50035\)/);
      const before = fake.requests.length;
      await runSender(deps, fast);
      assert.equal(fake.requests.length, before, "nothing is retried");
      assert.equal((await statusFigures(sql)).lastRefusal?.error, rows[0].last_error);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("two concurrent sweeps never double-post, and a crashed sender's lease is taken over", async () => {
  const sql = connect(8);
  await resetDiscordState(sql);
  const fake = await startFakeDiscord({
    limits: { "messages-create": { limit: 20, windowMs: 200 } },
  });
  const deps = testDeps(sql, { env: botEnv(fake) });
  const server = serveHandler((req, d) => handleDiscordNotify(req, d, fast), deps);
  await configureWake(sql);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(20).map((openTime) => ({ openTime })));
      const wakes = await Promise.all(
        [1, 2, 3].map(() => postSigned(`${server.url}/discord-notify`, { reason: "sweep" })),
      );
      assert.deepEqual(wakes.map((w) => w.status), [202, 202, 202]);
      const direct = await Promise.all([runSender(deps, fast), runSender(deps, fast)]);
      await deps.settle();
      await waitFor(
        "20 cards",
        async () => (await outboxOf(sql, SYMBOL)).every((r) => r.status === "sent"),
      );
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 20);
      assert.equal(new Set(posted.map((m) => m.nonce)).size, 20, "no card twice");
      assert.ok(direct.every((r) => r.result === "sent" || r.result === "busy"));
      assert.deepEqual(fake.violations, []);
      // A sender that died holding the lease is replaced once its lease ends.
      await insertSignals(
        sql,
        SYMBOL,
        hourTimes(2, Date.UTC(2024, 1, 1)).map((openTime) => ({ openTime })),
      );
      await sql`update private.discord_state set sender = 'crashed-run', sender_until = now() + interval '1 hour'`;
      assert.equal((await runSender(deps, fast)).result, "busy");
      await sql`update private.discord_state set sender_until = now() - interval '1 second'`;
      const takeover = await runSender(deps, fast);
      assert.equal(takeover.sent, 2);
    });
  } finally {
    await deps.settle();
    await unconfigureWake(sql);
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("two senders running at once (a slow run whose sender lease ran out) never post the same message", async () => {
  const sql = connect(8);
  await resetDiscordState(sql);
  const fake = await startFakeDiscord({
    limits: { "messages-create": { limit: 50, windowMs: 1000 } },
  });
  fake.inject({ delayMs: 150 }, { method: "POST", times: 100 });
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(12).map((openTime) => ({ openTime })));
      const slow = runSender(deps, { ...fast, batchSize: 3 });
      await waitFor("the first run to start posting", () => fake.requests.length > 0);
      // Its sender lease ends while it still works (as after a long stall): a second run takes over.
      await sql`update private.discord_state set sender_until = now() - interval '1 second'`;
      const second = runSender(deps, { ...fast, batchSize: 3 });
      const [a, b] = await Promise.all([slow, second]);
      assert.ok(a.sent > 0 && b.sent > 0, `both sent (${a.sent} + ${b.sent})`);
      assert.equal(a.sent + b.sent, 12);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 12);
      assert.equal(new Set(posted.map((m) => m.nonce)).size, 12, "no message twice");
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("each follow-up is posted once, as a reply to the card, and the card's status line is edited", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const t0 = Date.UTC(2024, 0, 1);
      const [id] = await insertSignals(sql, SYMBOL, [{ openTime: t0 }]);
      await runSender(deps, fast);
      const [card] = messagesAbout(fake, SYMBOL);
      assert.ok(card);
      // The trade plays out: TP1 (108) in bar 2, then the stop (96) in bar 4 — recorded by api.track_outcomes.
      const bars = [[101, 103, 99, 102], [102, 109, 101, 107], [107, 107, 100, 101], [
        101,
        102,
        95,
        96,
      ]];
      await sql`insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
        select ${SYMBOL}, '1h', 'epoch'::timestamptz + (${t0}::bigint + (i + 1) * 3600000) * interval '1 ms',
          (b ->> 0)::float8, (b ->> 1)::float8, (b ->> 2)::float8, (b ->> 3)::float8, 1
        from jsonb_array_elements(${JSON.stringify(bars)}::text::jsonb) with ordinality as x(b, i)`;
      await sql`select api.track_outcomes()`;
      const follow = (await outboxOf(sql, SYMBOL)).filter((r) => r.kind !== "card");
      assert.deepEqual(follow.map((r) => r.kind), ["tp1", "stop"]);
      await runSender(deps, fast);
      await makeDue(sql, SYMBOL);
      await runSender(deps, fast); // a second run finds nothing to send
      const replies = messagesAbout(fake, SYMBOL).filter((m) => m.id !== card.id);
      assert.equal(replies.length, 2, "one reply per event, none twice");
      assert.ok(
        replies.every((m) => m.message_reference?.message_id === card.id),
        "replies to the card",
      );
      assert.match(String(replies[0].embeds[0].title), /TP1 reached/);
      assert.match(String(replies[0].embeds[0].description), /\+0\.67 R/);
      assert.match(String(replies[1].embeds[0].title), /Stop hit/);
      // A third at +2 R, two thirds at −1 R.
      assert.match(String(replies[1].embeds[0].description), /Trade closed at \*\*\+0\.00 R\*\*/);
      assert.equal(card.edits.length, 2, "the card was edited for each event");
      const status = (card.embeds[0].fields as { name: string; value: string }[])
        .find((f) => f.name === "Status");
      assert.match(status?.value ?? "", /Stopped after TP1: closed at \+0\.00 R/);
      assert.equal(Number((await outboxOf(sql, SYMBOL))[0].signal_id), id);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("a 401 (bad token) stops all sending, shown by /status, until the settings change", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const wrong = testDeps(sql, {
    env: botEnv(fake, { DISCORD_BOT_TOKEN: "wrong.token.0123456789abcdefghij" }),
  });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(5).map((openTime) => ({ openTime })));
      const first = await runSender(wrong, fast);
      assert.equal(first.result, "stopped");
      assert.match(first.stoppedReason ?? "", /401: Unauthorized/);
      assert.equal(fake.requests.length, 1, "one refused request, then nothing");
      const rows = await outboxOf(sql, SYMBOL);
      assert.ok(
        rows.every((r) => r.status === "pending" && r.attempts === 0),
        "nothing lost or counted",
      );
      const st = await statusFigures(sql);
      assert.equal(st.discord.sending, false);
      assert.match(st.discord.stoppedReason ?? "", /401: Unauthorized/);
      assert.equal((await runSender(wrong, fast)).result, "stopped");
      assert.equal(fake.requests.length, 1, "a wake-up while stopped sends nothing");
      // Every 15 minutes one probe message tests whether the stop still holds.
      await sql`update private.discord_state set stopped_at = now() - interval '16 minutes'`;
      assert.equal((await runSender(wrong, fast)).result, "stopped");
      assert.equal(fake.requests.length, 2, "one probe, still refused");
      const fixed = await runSender(testDeps(sql, { env: botEnv(fake) }), fast);
      assert.equal(fixed.sent, 5, "the right token resumes sending at once");
      assert.equal((await statusFigures(sql)).discord.sending, true);
      assert.equal(messagesAbout(fake, SYMBOL).length, 5);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("a 403 (no access to the channel) stops all sending until the settings change", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord({ noAccessChannels: ["200000000000000099"] });
  const hidden = testDeps(sql, { env: botEnv(fake, { DISCORD_CHANNEL_ID: "200000000000000099" }) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(3).map((openTime) => ({ openTime })));
      const first = await runSender(hidden, fast);
      assert.equal(first.result, "stopped");
      assert.match(first.stoppedReason ?? "", /403 Missing Access \(50001\)/);
      assert.equal(fake.requests.length, 1);
      assert.match((await statusFigures(sql)).discord.stoppedReason ?? "", /Missing Access/);
      const fixed = await runSender(testDeps(sql, { env: botEnv(fake) }), fast);
      assert.equal(fixed.sent, 3);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("webhook mode: cards through the webhook, follow-ups name the card (webhooks cannot reply)", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, {
    env: { DISCORD_API_URL: fake.apiUrl, DISCORD_WEBHOOK_URL: fake.webhookUrl },
  });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const t0 = Date.UTC(2024, 0, 1);
      await insertSignals(sql, SYMBOL, [{ openTime: t0 }]);
      const report = await runSender(deps, fast);
      assert.equal(report.mode, "webhook");
      const [card] = messagesAbout(fake, SYMBOL);
      assert.ok(card.webhook_id, "posted by the webhook");
      assert.equal(card.nonce, undefined, "webhooks take no nonce");
      await sql`insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
        values (${SYMBOL}, '1h', 'epoch'::timestamptz + (${t0}::bigint + 3600000) * interval '1 ms', 100, 117, 99, 116, 1)`;
      await sql`select api.track_outcomes()`;
      await runSender(deps, fast);
      const follow = messagesAbout(fake, SYMBOL).filter((m) => m.id !== card.id);
      assert.deepEqual(follow.map((m) => String(m.embeds[0].title).split(" · ")[0]), [
        "🎯 TP1 reached",
        "🎯 TP2 reached",
        "🏁 TP3 reached",
      ]);
      assert.ok(follow.every((m) => !m.message_reference), "no reply");
      assert.ok(follow.every((m) => String(m.embeds[0].description).startsWith("Re: signal #")));
      assert.equal(card.edits.length, 3, "the card is edited through the webhook");
      assert.ok(
        fake.requests.every((r) => r.authorization === null),
        "no bot token in webhook mode",
      );
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("more than 100 subscribers: the card mentions 100, a reply mentions the rest, each once", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const users = Array.from({ length: 150 }, (_, i) => String(900000000000000000n + BigInt(i)));
      await sql`insert into public.user_subscriptions (discord_user_id, symbol, min_confidence)
        select u, ${SYMBOL}, 0.5 from unnest(${users}::text[]) u`;
      await insertSignals(sql, SYMBOL, [{ openTime: Date.UTC(2024, 0, 1) }]);
      await runSender(deps, fast);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 2);
      assert.ok(posted.every((m) => m.mentions.length <= 100 && m.content.length <= 2000));
      assert.deepEqual(posted.flatMap((m) => m.mentions).sort(), users.sort());
      assert.equal(posted[1].message_reference?.message_id, posted[0].id);
      assert.deepEqual(fake.violations, []);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

/**
 * Withdraws signals as api.save_analysis does when a rebuild no longer gives them (one transaction:
 * superseded, then their messages: unsent ones cancelled, a withdrawal per posted card).
 */
async function withdraw(sql: ReturnType<typeof connect>, ids: readonly number[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`update public.signals set superseded_at = now(),
      superseded_reason = 'candle history changed from 2024-01-01 00:00 UTC'
      where id = any(${ids.map(String)}::bigint[])`;
    await tx`select private.withdraw_messages(${ids.map(String)}::bigint[])`;
  });
}

Deno.test("a withdrawn signal's unsent card is never posted; a posted card, or one posted while it was withdrawn, gets exactly one withdrawal reply", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const [t0, t1, t2] = hourTimes(3);
      const [a] = await insertSignals(sql, SYMBOL, [{ openTime: t0 }]);
      await runSender(deps, fast);
      const [cardA] = messagesAbout(fake, SYMBOL);
      assert.ok(cardA, "A's card is posted");
      const [b, c] = await insertSignals(sql, SYMBOL, [{ openTime: t1 }, { openTime: t2 }]);
      // A (posted) and B (queued) are withdrawn before the next run; C while its card is on the way.
      await withdraw(sql, [a, b]);
      fake.inject({ delayMs: 1500 }, { method: "POST", times: 1 });
      const run = runSender(deps, fast);
      await waitFor("C's card in the sender's hands", async () => {
        const [row] = await sql`select lease_until from public.discord_outbox
          where signal_id = ${c} and kind = 'card'`;
        return row?.lease_until !== null;
      });
      await withdraw(sql, [c]);
      await run;
      await runSender(deps, fast); // whatever the first run left (C's withdrawal, when queued after it)
      await makeDue(sql, SYMBOL);
      await runSender(deps, fast); // nothing is left to post
      const posted = messagesAbout(fake, SYMBOL);
      const cards = posted.filter((m) => m.message_reference === undefined);
      assert.equal(cards.length, 2, "the cards of A and C, never B's");
      const cardC = cards[1];
      const bar = (m: typeof cardC) =>
        (m.embeds[0].fields as { name: string; value: string }[]).find((f) => f.name === "Bar")
          ?.value;
      assert.equal(cards[0].id, cardA.id);
      assert.match(bar(cardC) ?? "", /^2024-01-01 02:00 UTC/, "the second card is C's, not B's");
      const replies = posted.filter((m) => m.message_reference !== undefined);
      assert.deepEqual(
        replies.map((m) => m.message_reference?.message_id).sort(),
        [cardA.id, cardC.id].sort(),
        "one reply to each posted card, none twice",
      );
      for (const m of replies) {
        assert.equal(m.embeds[0].title, `✖ Withdrawn · ▲ LONG ${SYMBOL} 1h`);
        assert.match(
          String(m.embeds[0].description),
          /no longer stands.*candle history changed from 2024-01-01 00:00 UTC.*gives no signal\.$/,
        );
      }
      for (const card of [cardA, cardC]) {
        const status = (card.embeds[0].fields as { name: string; value: string }[])
          .find((f) => f.name === "Status");
        assert.match(status?.value ?? "", /^✖ Withdrawn: candle history changed/, "card edited");
      }
      const rows = await outboxOf(sql, SYMBOL);
      assert.deepEqual(
        rows.filter((r) => Number(r.signal_id) === b).map((r) => `${r.kind}:${r.status}`),
        ["card:cancelled"],
      );
      assert.deepEqual(
        rows.filter((r) => r.kind === "withdrawn").map((r) => r.status),
        ["sent", "sent"],
      );
      assert.deepEqual(fake.violations, []);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("a skipped signal gets no card, and nonces fit Discord's 25 characters", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, [
        { openTime: Date.UTC(2024, 0, 1), notifyStatus: "skipped" },
        { openTime: Date.UTC(2024, 0, 2) },
      ]);
      await runSender(deps, fast);
      assert.equal(messagesAbout(fake, SYMBOL).length, 1);
      assert.equal((await outboxOf(sql, SYMBOL)).length, 1);
      assert.ok(outboxNonce({ id: Number.MAX_SAFE_INTEGER, createdAt: 8.64e15 }).length <= 25);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("unsigned, stale, tampered, malformed, oversized and non-POST wake-ups are refused and send nothing", async () => {
  const sql = connect();
  await configureWake(sql);
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  const server = serveHandler((req, d) => handleDiscordNotify(req, d, fast), deps);
  const url = `${server.url}/discord-notify`;
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      await insertSignals(sql, SYMBOL, hourTimes(2).map((openTime) => ({ openTime })));
      const cases: [string, Promise<{ status: number }>, number][] = [
        ["unsigned", fetch(url, { method: "POST", body: "{}" }).then(drain), 401],
        ["stale", postSigned(url, { reason: "sweep" }, { ts: Date.now() - 6 * 60_000 }), 401],
        ["tampered", postSigned(url, { reason: "sweep" }, { tamper: true }), 401],
        ["bad schema", postSigned(url, { reason: "", outbox_ids: ["x"] }), 400],
        ["oversized", fetch(url, { method: "POST", body: "x".repeat(70_000) }).then(drain), 413],
        ["GET", fetch(url).then(drain), 405],
      ];
      for (const [what, pending, status] of cases) {
        assert.equal((await pending).status, status, what);
      }
      await deps.settle();
      assert.equal(fake.requests.length, 0, "nothing was sent");
      assert.ok(
        (await outboxOf(sql, SYMBOL)).every((r) => r.status === "pending" && r.attempts === 0),
      );
    });
  } finally {
    await server.close();
    await unconfigureWake(sql);
    await fake.close();
    await sql.end();
  }
});

async function drain(res: Response): Promise<{ status: number }> {
  await res.body?.cancel();
  return { status: res.status };
}

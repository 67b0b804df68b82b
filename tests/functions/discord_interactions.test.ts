/**
 * discord-interactions over real HTTP against the real test database, with requests signed by
 * tweetnacl keys as Discord signs them and deferred answers going to the fake Discord: PING, every
 * command and option path, autocomplete, refused signatures, and 1,000+ malformed or random bodies
 * with valid signatures that never get a 5xx and never change the database.
 */

import assert from "node:assert/strict";
import { SeededRandom } from "../../shared/backtest/prng.ts";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { handleDiscordInteractions } from "../../supabase/functions/discord-interactions/handler.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import { COMMANDS } from "../../supabase/functions/_shared/discord_commands.ts";
import { statusEmbed } from "../../supabase/functions/discord-interactions/commands/status.ts";
import { latestSignalCard, statusFigures } from "../../supabase/functions/_shared/db_api.ts";
import { renderCard } from "../../supabase/functions/_shared/discord_card.ts";
import { connect, withTestSymbol } from "../db/test_database.ts";
import { serveHandler, testDeps } from "../support/function_deps.ts";
import {
  chartOf,
  hourTimes,
  insertSignals,
  insertTestCandles,
  interactionKeys,
  resetDiscordState,
  signInteraction,
  waitFor,
} from "../support/discord.ts";
import { fixtureCandles } from "../support/fixtures.ts";

const SYMBOL = "TSTINTERACT";
const USER = "80351110224678912";
const keys = interactionKeys();
let seq = 0;

type Opt = { name: string; type: number; value?: unknown; focused?: boolean };

function interaction(type: 2 | 4, name: string, options: Opt[] = [], appId = "100000000000000001") {
  seq++;
  return {
    type,
    id: String(1175928847299000000n + BigInt(seq)),
    application_id: appId,
    token: `interaction-token-${seq}_abc`,
    version: 1,
    guild_id: "1175928847299117000",
    channel_id: "1175928847299117001",
    member: { user: { id: USER, username: "trader" }, roles: [] },
    app_permissions: "2048",
    locale: "en-GB",
    data: { id: "1175928847299117002", name, type: 1, options },
  };
}

const str = (name: string, value: unknown, focused?: boolean): Opt => ({
  name,
  type: 3,
  value,
  ...(focused ? { focused } : {}),
});

interface Answer {
  status: number;
  body: {
    type?: number;
    data?: {
      content?: string;
      flags?: number;
      embeds?: {
        title?: string;
        fields?: { name: string; value: string }[];
        description?: string;
      }[];
      choices?: { name: string; value: string }[];
    };
    error?: string;
  };
}

function setup(sql: Sql, fakeApiUrl: string, env: Record<string, string> = {}) {
  const deps = testDeps(sql, {
    env: {
      DISCORD_PUBLIC_KEY: keys.publicKey,
      DISCORD_APPLICATION_ID: "100000000000000001",
      DISCORD_API_URL: fakeApiUrl,
      ...env,
    },
  });
  const server = serveHandler(handleDiscordInteractions, deps);
  const send = async (
    body: unknown,
    opts: {
      ts?: number;
      secret?: Uint8Array;
      raw?: string | Uint8Array<ArrayBuffer>;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> => {
    const payload = opts.raw ?? JSON.stringify(body);
    const headers = opts.headers ??
      signInteraction(opts.secret ?? keys.secretKey, payload, opts.ts);
    const res = await fetch(`${server.url}/discord-interactions`, {
      method: "POST",
      headers,
      body: payload,
    });
    const text = await res.text();
    let parsed = {};
    try {
      parsed = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.status, body: parsed };
  };
  return { deps, server, send };
}

/** A checksum of every table an interaction could write. */
async function databaseState(sql: Sql): Promise<string> {
  const [r] = await sql`select md5(concat_ws('|',
    (select string_agg(t::text, ',' order by t.id) from public.user_subscriptions t),
    (select string_agg(t::text, ',' order by t.id) from public.backtests t),
    (select string_agg(t::text, ',' order by t.id) from public.signals t),
    (select string_agg(t::text, ',' order by t.id) from public.discord_outbox t),
    (select count(*)::text from public.candles))) as h`;
  return r.h as string;
}

Deno.test("PING is answered with PONG; missing, malformed, wrong, stale and tampered signatures get 401", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const { server, send } = setup(sql, fake.apiUrl);
  try {
    const ping = await send({
      type: 1,
      id: "1175928847299117003",
      application_id: "100000000000000001",
    });
    assert.deepEqual([ping.status, ping.body], [200, { type: 1 }]);
    const before = await databaseState(sql);
    const body = JSON.stringify(interaction(2, "status"));
    const other = interactionKeys();
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Parameters<typeof send>[1]][] = [
      ["no headers", { raw: body, headers: { "content-type": "application/json" } }],
      ["no timestamp", {
        raw: body,
        headers: {
          "x-signature-ed25519": signInteraction(keys.secretKey, body)["x-signature-ed25519"],
        },
      }],
      ["malformed signature", {
        raw: body,
        headers: { "x-signature-ed25519": "zz", "x-signature-timestamp": String(now) },
      }],
      ["another key", { raw: body, secret: other.secretKey }],
      ["stale (6 min old)", { raw: body, ts: now - 360 }],
      ["from the future", { raw: body, ts: now + 360 }],
      ["tampered body", {
        raw: body.replace("status", "statuz"),
        headers: signInteraction(keys.secretKey, body),
      }],
      ["signature of the timestamp only", {
        raw: body,
        headers: { ...signInteraction(keys.secretKey, ""), "x-signature-timestamp": String(now) },
      }],
    ];
    for (const [what, opts] of cases) {
      const r = await send(null, opts);
      assert.equal(r.status, 401, what);
      assert.match(r.body.error ?? "", /signature|unsigned|stale/, what);
    }
    assert.equal(await databaseState(sql), before);
    const get = await fetch(`${server.url}/discord-interactions`);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("/help lists every command with its options; /status shows the pipeline and the Discord sending state", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const { server, send } = setup(sql, fake.apiUrl);
  try {
    const help = await send(interaction(2, "help"));
    assert.equal(help.body.type, 4);
    assert.equal(help.body.data?.flags, 64, "ephemeral");
    const names = (help.body.data?.embeds?.[0].fields ?? []).map((f) => f.name);
    assert.deepEqual(names, [
      "/status",
      "/lastsignal symbol [timeframe]",
      "/subscribe symbol [timeframe] [min_confidence]",
      "/unsubscribe symbol [timeframe]",
      "/subscriptions",
      "/backtest symbol timeframe [days]",
      "/help",
    ]);
    assert.equal(names.length, COMMANDS.length);
    await sql`select api.relay_heartbeat('relay-test', array['btcusdt@kline_1h'], ${Date.now()}::bigint, 0, '{}')`;
    const status = await send(interaction(2, "status"));
    assert.equal(status.body.type, 4);
    assert.equal(status.body.data?.flags, undefined, "public");
    const fields = Object.fromEntries(
      (status.body.data?.embeds?.[0].fields ?? []).map((f) => [f.name, f.value]),
    );
    assert.match(fields["Relay"], /relay-test: heartbeat \d+ s ago, 1 streams/);
    assert.match(fields["Series"], /BTCUSDT 15m: last candle/);
    assert.match(fields["Signals"], /today \(UTC\), \d+ in 24 h/);
    assert.match(fields["Discord messages"], /\d+ pending, \d+ retrying, \d+ given up/);
    assert.equal(fields["⚠ Warnings"], undefined, "no warning while all is well");
    const warned = statusEmbed(await statusFigures(sql), Date.now(), ["sign-ups look open"]);
    assert.equal(warned.fields?.find((f) => f.name === "⚠ Warnings")?.value, "sign-ups look open");
    await sql`select api.discord_sending_stop('card: 401: Unauthorized', 'cfg')`;
    const stopped = await send(interaction(2, "status"));
    assert.match(stopped.body.data?.embeds?.[0].title ?? "", /stopped/);
    const f2 = Object.fromEntries(
      (stopped.body.data?.embeds?.[0].fields ?? []).map((f) => [f.name, f.value]),
    );
    assert.match(f2["Discord sending"], /STOPPED .* 401: Unauthorized/);
  } finally {
    await sql`delete from public.relay_status where relay_id = 'relay-test'`;
    await resetDiscordState(sql);
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("/lastsignal shows the card; unknown, untracked and malformed symbols or timeframes are explained privately", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const { deps, server, send } = setup(sql, fake.apiUrl);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const none = await send(interaction(2, "lastsignal", [str("symbol", SYMBOL.toLowerCase())]));
      assert.equal(none.body.data?.flags, 64);
      assert.match(none.body.data?.content ?? "", /No signal for TSTINTERACT yet/);
      await insertSignals(sql, SYMBOL, hourTimes(3).map((openTime) => ({ openTime })));
      const card = await send(
        interaction(2, "lastsignal", [str("symbol", SYMBOL), str("timeframe", "1h")]),
      );
      assert.equal(card.body.type, 4);
      assert.equal(card.body.data?.embeds?.[0].title, `▲ LONG · ${SYMBOL} 1h`);
      assert.match(
        card.body.data?.embeds?.[0].fields?.find((f) => f.name === "Bar")?.value ?? "",
        /^2024-01-01 02:00 UTC/,
        "the latest bar",
      );
      // A withdrawn signal (superseded after a late candle) is never shown; /status counts it.
      await sql`update public.signals set superseded_at = now(),
        superseded_reason = 'candle history changed from 2024-01-01 01:00 UTC'
        where symbol = ${SYMBOL} and open_time = '2024-01-01 02:00+00'`;
      const live = await send(
        interaction(2, "lastsignal", [str("symbol", SYMBOL), str("timeframe", "1h")]),
      );
      assert.match(
        live.body.data?.embeds?.[0].fields?.find((f) => f.name === "Bar")?.value ?? "",
        /^2024-01-01 01:00 UTC/,
        "the latest live bar",
      );
      const status = await send(interaction(2, "status"));
      assert.match(
        status.body.data?.embeds?.[0].fields?.find((f) => f.name === "Signals")?.value ?? "",
        /, [1-9]\d* withdrawn in 24 h$/,
      );
      const cases: [Opt[], RegExp][] = [
        [[str("symbol", "NOPEUSDT")], /NOPEUSDT is not tracked \(tracked: .*BTCUSDT/],
        [
          [str("symbol", SYMBOL), str("timeframe", "4h")],
          /not analysed on 4h \(its timeframes: 1h\)/,
        ],
        [[str("symbol", SYMBOL), str("timeframe", "2m")], /timeframe must be a Binance interval/],
        [[str("symbol", "BTC USDT")], /symbol must be 2 to 20 letters and digits/],
        [
          [str("symbol", SYMBOL), { name: "colour", type: 3, value: "red" }],
          /has no option "colour"/,
        ],
        [[], /symbol is required/],
      ];
      for (const [options, re] of cases) {
        const r = await send(interaction(2, "lastsignal", options));
        assert.equal(r.status, 200);
        assert.equal(r.body.data?.flags, 64, String(re));
        assert.match(r.body.data?.content ?? "", re);
      }
      await deps.settle();
      assert.deepEqual(fake.interactionEdits, [], "no candles stored: no chart, no edit");
    }, true);
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("/lastsignal answers the card at once and adds its chart by editing the original response (files[0] chart.png); DISCORD_CHART=off leaves it out", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const on = setup(sql, fake.apiUrl);
  const off = setup(sql, fake.apiUrl, { DISCORD_CHART: "off" });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const times = hourTimes(3);
      await insertTestCandles(sql, SYMBOL, times[0] - 200 * 3_600_000, 230);
      const evidence = {
        setup: "spring",
        model: "tp1-logistic-v3",
        train: { n: 212, tp1Rate: 0.41, avgR: 0.18 },
        features: { indicatorShare: 0.5 },
      };
      await insertSignals(
        sql,
        SYMBOL,
        times.map((openTime) => ({ openTime, confidence: 0.47, evidence })),
      );
      const ask = interaction(2, "lastsignal", [str("symbol", SYMBOL), str("timeframe", "1h")]);
      const card = await on.send(ask);
      assert.equal(card.body.type, 4, "answered at once with the card");
      assert.equal(card.body.data?.embeds?.[0].title, `▲ LONG · ${SYMBOL} 1h`);
      // The same card discord-notify posts: the chance of TP1 and the setups' record.
      const stored = await latestSignalCard(sql, SYMBOL, "1h");
      assert.ok(stored);
      assert.deepEqual(card.body.data?.embeds?.[0], renderCard(stored));
      const fields = Object.fromEntries(
        (card.body.data?.embeds?.[0].fields ?? []).map((f) => [f.name, f.value]),
      );
      assert.equal(fields["Chance of TP1"], "47% before the stop");
      assert.equal(
        fields["Setups like this"],
        "Spring setups: 41% reached TP1 (n = 212, avg +0.18 R) in the model's training data",
      );
      await on.deps.settle();
      assert.equal(fake.interactionEdits.length, 1);
      const [edit] = fake.interactionEdits;
      assert.equal(edit.token, ask.token, "the original response of this interaction");
      await chartOf(edit);
      assert.deepEqual(edit.body.attachments, [{ id: 0, filename: "chart.png" }]);
      const embed = (edit.body.embeds as Record<string, unknown>[])[0];
      assert.equal(embed.title, card.body.data?.embeds?.[0].title, "the same card");
      assert.deepEqual(edit.body.allowed_mentions, { parse: [] });
      const [patch] = fake.requests.filter((r) => r.method === "PATCH");
      assert.equal(patch.authorization, null, "interaction token routes take no bot token");
      assert.deepEqual(patch.files, ["chart.png"]);

      const plain = await off.send(
        interaction(2, "lastsignal", [str("symbol", SYMBOL), str("timeframe", "1h")]),
      );
      assert.equal(plain.body.type, 4);
      await off.deps.settle();
      assert.equal(fake.interactionEdits.length, 1, "DISCORD_CHART=off: no chart, no edit");

      // With confidence "score" in the analyzer settings, the card and its chart edit say so.
      await sql`insert into private.config (key, value) values ('analyzer_config', '{"confidence":"score"}')
        on conflict (key) do update set value = excluded.value`;
      const scored = await on.send(ask);
      const names = (scored.body.data?.embeds?.[0].fields ?? []).map((f) => f.name);
      assert.ok(names.includes("Confidence score") && !names.includes("Chance of TP1"), `${names}`);
      await on.deps.settle();
      const last = fake.interactionEdits.at(-1);
      const edited = (last?.body.embeds as { fields: { name: string }[] }[])[0].fields;
      assert.ok(edited.some((f) => f.name === "Confidence score"), "the chart edit too");
    }, true);
  } finally {
    await sql`delete from private.config where key = 'analyzer_config'`;
    await on.server.close();
    await off.server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("/subscribe, /subscriptions and /unsubscribe keep a user's subscriptions, privately; refusals are explained", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const { server, send } = setup(sql, fake.apiUrl);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const sub = await send(interaction(2, "subscribe", [
        str("symbol", SYMBOL.toLowerCase()),
        str("timeframe", "1h"),
        { name: "min_confidence", type: 10, value: 0.75 },
      ]));
      assert.equal(sub.body.data?.flags, 64);
      assert.match(
        sub.body.data?.content ?? "",
        /Subscribed: .* TSTINTERACT 1h signals with a ≥ 75% chance of reaching TP1/,
      );
      const [row] =
        await sql`select discord_user_id, timeframe, min_confidence from public.user_subscriptions
        where symbol = ${SYMBOL}`;
      assert.deepEqual({ ...row }, {
        discord_user_id: USER,
        timeframe: "1h",
        min_confidence: 0.75,
      });
      const every = await send(interaction(2, "subscribe", [str("symbol", SYMBOL)]));
      assert.equal(
        every.body.data?.content,
        "Subscribed: you will be mentioned in the cards of every TSTINTERACT signal (every timeframe).",
      );
      const list = await send(interaction(2, "subscriptions"));
      assert.equal(list.body.data?.flags, 64);
      assert.match(
        list.body.data?.content ?? "",
        /TSTINTERACT \(every timeframe\): every signal\n• TSTINTERACT 1h: signals with a ≥ 75% chance of reaching TP1/,
      );
      const refusals: [Opt[], RegExp][] = [
        [
          [str("symbol", SYMBOL), { name: "min_confidence", type: 10, value: 1.5 }],
          /min_confidence must be at most 1/,
        ],
        [[str("symbol", "NOPEUSDT")], /unknown symbol NOPEUSDT|NOPEUSDT/],
        [[str("symbol", SYMBOL), str("timeframe", "1d")], /1d/],
        [[str("symbol", SYMBOL), { name: "min_confidence", type: 3, value: "high" }], /wrong type/],
      ];
      for (const [options, re] of refusals) {
        const r = await send(interaction(2, "subscribe", options));
        assert.equal(r.status, 200);
        assert.equal(r.body.data?.flags, 64);
        assert.match(r.body.data?.content ?? "", re);
      }
      const one = await send(
        interaction(2, "unsubscribe", [str("symbol", SYMBOL), str("timeframe", "1h")]),
      );
      assert.match(one.body.data?.content ?? "", /Removed 1 subscription to TSTINTERACT 1h/);
      const rest = await send(interaction(2, "unsubscribe", [str("symbol", SYMBOL)]));
      assert.match(rest.body.data?.content ?? "", /Removed 1 subscription to TSTINTERACT/);
      const again = await send(interaction(2, "unsubscribe", [str("symbol", SYMBOL)]));
      assert.match(again.body.data?.content ?? "", /You had no subscription to TSTINTERACT/);
      const empty = await send(interaction(2, "subscriptions"));
      assert.match(empty.body.data?.content ?? "", /no subscriptions/);
    }, true);
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("/backtest answers deferred at once, then edits the response with the result or 'too little data'", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const { deps, server, send } = setup(sql, fake.apiUrl);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const short = interaction(2, "backtest", [str("symbol", SYMBOL), str("timeframe", "1h")]);
      const first = await send(short);
      assert.deepEqual(first.body, { type: 5 }, "deferred");
      await deps.settle();
      await waitFor("the edit", () => fake.interactionEdits.some((e) => e.token === short.token));
      const edit = fake.interactionEdits.find((e) => e.token === short.token);
      assert.match(String(edit?.body.content), /Too little data: 0 1h candles of TSTINTERACT/);
      const candles = fixtureCandles("BTCUSDT-1h-2024.json");
      await ingestCandles(
        sql,
        candles.map((candle) => ({ symbol: SYMBOL, interval: "1h", candle })),
      );
      const year = interaction(2, "backtest", [
        str("symbol", SYMBOL),
        str("timeframe", "1h"),
        { name: "days", type: 4, value: 365 },
      ]);
      assert.deepEqual((await send(year)).body, { type: 5 });
      await deps.settle();
      await waitFor("the result", () => fake.interactionEdits.some((e) => e.token === year.token));
      const result = fake.interactionEdits.find((e) => e.token === year.token)?.body as {
        embeds: { title: string; fields: { name: string; value: string }[] }[];
      };
      const embed = result.embeds[0];
      assert.match(embed.title, /^Backtest · TSTINTERACT 1h · \d+ days$/);
      const f = Object.fromEntries(embed.fields.map((x) => [x.name, x.value]));
      assert.match(f["Trades"], /^\d+ \(\d+ signals\)$/);
      assert.match(f["Win rate"], /^\d+%$/);
      assert.match(f["Expectancy"], /^[+−]\d+\.\d\d R per trade$/);
      assert.match(f["Return vs buy-and-hold"], /^[+−][\d.]+% vs [+−][\d.]+%$/);
      assert.match(f["Max drawdown"], /^−\d+\.\d\d%$/);
      const [stored] =
        await sql`select trades, requested_by from public.backtests where symbol = ${SYMBOL}`;
      assert.equal(stored.requested_by, USER);
      assert.equal(String(stored.trades), f["Trades"].split(" ")[0]);
      const bad = await send(interaction(2, "backtest", [
        str("symbol", SYMBOL),
        str("timeframe", "1h"),
        { name: "days", type: 4, value: 0 },
      ]));
      assert.equal(bad.body.data?.flags, 64);
      assert.match(bad.body.data?.content ?? "", /days must be at least 1/);
    }, true);
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("autocomplete offers the tracked symbols and the chosen symbol's timeframes", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const { server, send } = setup(sql, fake.apiUrl);
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const sym = await send(interaction(4, "lastsignal", [str("symbol", "tstint", true)]));
      assert.equal(sym.body.type, 8);
      assert.deepEqual(sym.body.data?.choices, [{ name: SYMBOL, value: SYMBOL }]);
      const all = await send(interaction(4, "subscribe", [str("symbol", "", true)]));
      assert.ok((all.body.data?.choices ?? []).some((c) => c.value === "BTCUSDT"));
      const tf = await send(
        interaction(4, "backtest", [str("symbol", SYMBOL), str("timeframe", "", true)]),
      );
      assert.deepEqual(tf.body.data?.choices, [{ name: "1h", value: "1h" }]);
      const seeded = await send(
        interaction(4, "backtest", [str("symbol", "BTCUSDT"), str("timeframe", "1", true)]),
      );
      assert.deepEqual(seeded.body.data?.choices?.map((c) => c.value), ["15m", "1h"]);
      const unknown = await send(interaction(4, "nosuch", [str("symbol", "x", true)]));
      assert.deepEqual(unknown.body, { type: 8, data: { choices: [] } });
    }, true);
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("an unknown command or another application's interaction is refused clearly", async () => {
  const sql = connect();
  const fake = await startFakeDiscord();
  const { server, send } = setup(sql, fake.apiUrl);
  try {
    const unknown = await send(interaction(2, "moon"));
    assert.equal(unknown.body.data?.flags, 64);
    assert.match(unknown.body.data?.content ?? "", /Unknown command \/moon.*register-commands/);
    const foreign = await send(interaction(2, "status", [], "1175928847299117999"));
    assert.equal(foreign.status, 400);
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

Deno.test("1,200 malformed or random bodies with valid signatures: never a 5xx, never a database change", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const { deps, server, send } = setup(sql, fake.apiUrl);
  const random = new SeededRandom(8);
  const r = () => random.next();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const junk = (): unknown =>
    pick([
      null,
      true,
      0,
      -1,
      1e308,
      "",
      "x".repeat(Math.floor(r() * 5000)),
      "\u0000\ud800",
      [],
      {},
      [[[[[]]]]],
      { type: pick([1, 2, 3, 4, 5, 99, "2", null]) },
      Array.from({ length: 30 }, () => r()),
      { __proto__: { polluted: true } },
      "1175928847299117063",
      "0",
      "01234567890123456789",
    ]);
  const bases = () =>
    COMMANDS.map((c) =>
      interaction(
        pick([2, 4] as const),
        c.name,
        (c.options ?? []).map((o) => ({
          name: o.name,
          type: o.type,
          value: o.type === 3
            ? pick(["ZZZUSDT", "zz", "2m", "", " ", "Q".repeat(40)])
            : pick([-1, 1e9, 0.5, 2]),
          focused: r() < 0.3,
        })),
      )
    );
  const mutate = (obj: Record<string, unknown>): unknown => {
    const o = structuredClone(obj) as Record<string, unknown>;
    const paths: (string[])[] = [
      ["type"],
      ["id"],
      ["application_id"],
      ["token"],
      ["member"],
      ["member", "user"],
      ["member", "user", "id"],
      ["data"],
      ["data", "name"],
      ["data", "type"],
      ["data", "id"],
      ["data", "options"],
      ["user"],
    ];
    const path = pick(paths);
    let node = o as Record<string, unknown>;
    for (const k of path.slice(0, -1)) {
      if (node[k] === null || typeof node[k] !== "object") node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    const last = path[path.length - 1];
    if (r() < 0.3) delete node[last];
    else node[last] = junk();
    if (r() < 0.3) {
      const opts = (o.data as { options?: Opt[] })?.options;
      if (Array.isArray(opts) && opts.length) {
        const opt = pick(opts) as Record<string, unknown>;
        opt[pick(["name", "type", "value", "focused"])] = junk();
      }
    }
    return o;
  };
  try {
    const before = await databaseState(sql);
    const requestsBefore = fake.requests.length;
    const statuses = new Map<number, number>();
    let n = 0;
    const record = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    // Random bytes (invalid UTF-8 included) and truncated JSON.
    for (let i = 0; i < 200; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(Math.floor(r() * 300)));
      const res = await send(null, { raw: bytes });
      record(res.status);
      n++;
      const text = JSON.stringify(pick(bases()));
      const cut = await send(null, { raw: text.slice(0, Math.floor(r() * text.length)) });
      record(cut.status);
      n++;
    }
    // Random JSON values, and valid-looking interactions with one field broken or an odd option.
    for (let i = 0; i < 300; i++) {
      const res = await send(junk());
      record(res.status);
      n++;
    }
    for (let i = 0; i < 500; i++) {
      const body = r() < 0.7 ? mutate(pick(bases())) : pick(bases());
      const res = await send(body);
      record(res.status);
      n++;
      assert.ok(res.status < 500, `a 5xx for ${JSON.stringify(body).slice(0, 300)}`);
    }
    await deps.settle();
    assert.ok(n >= 1000, `${n} bodies`);
    const fivexx = [...statuses].filter(([s]) => s >= 500);
    assert.deepEqual(fivexx, [], `statuses: ${JSON.stringify([...statuses])}`);
    assert.ok(
      (statuses.get(400) ?? 0) > 500,
      `most are refused as malformed: ${JSON.stringify([...statuses])}`,
    );
    assert.equal(await databaseState(sql), before, "nothing in the database changed");
    assert.ok(
      fake.requests.slice(requestsBefore).every((q) => q.path.endsWith("/messages/@original")),
      "only deferred answers' edits went to Discord",
    );
  } finally {
    await server.close();
    await fake.close();
    await sql.end();
  }
});

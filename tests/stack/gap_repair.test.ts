/**
 * A gap repaired behind stored signals, end to end on the local stack (scripts/stack/stack.ts: the
 * database, every function bundle behind the gateway, the pg_net dispatcher, the jobs) with the
 * fake Binance behind the backfill function and the fake Discord behind discord-notify. Candles go
 * in with one missing, as from a relay that went live without it; the signals of that history are
 * stored and posted. Gap repair then fetches the missing candle (private.detect_gaps -> backfill ->
 * Binance REST), the series is rebuilt, and in the end the live signals are exactly what the offline
 * `signals` CLI prints for the full series, the stale ones are superseded, each of their posted cards
 * got exactly one withdrawal reply, and the changed signal got its own card.
 */

import assert from "node:assert/strict";
import { startFakeBinance } from "../../scripts/fakes/binance.ts";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { discordFunctionEnv } from "../../scripts/stack/discord_env.ts";
import { waitOutboxDrained } from "../../scripts/stack/discord_outbox.ts";
import { startStack } from "../../scripts/stack/stack.ts";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import { waitFor } from "../support/discord.ts";
import { assertEndState, fixtureReplay, offlineSignals } from "../support/replay_end_state.ts";

const root = new URL("../../", import.meta.url).pathname;
const HOUR = 3_600_000;

Deno.test("backfill repairs a gap behind posted signals: the stale ones are withdrawn (one reply per card), the live ones are the offline CLI's over the full series", async () => {
  // 700 h of BTCUSDT; without candle 425 the analysis gives two signals (bars 505, 537) that the
  // full history does not, and other levels at bar 688.
  const full = fixtureReplay("BTCUSDT-1h-2024.json", 0, 700);
  const missing = 425;
  const gapped = { ...full, rows: full.rows.filter((_, i) => i !== missing) };
  const candles = parseRestKlines(gapped.rows);
  const key = (r: { openTime: number }) => r.openTime;
  const before = offlineSignals(gapped);
  const after = new Map(offlineSignals(full).map((s) => [key(s), JSON.stringify(s)]));
  const missingOpen = Number(full.rows[missing][0]);
  const stale = before.filter((s) =>
    s.openTime > missingOpen && after.get(key(s)) !== JSON.stringify(s)
  );
  assert.ok(
    stale.some((s) => after.has(key(s))) && stale.some((s) => !after.has(key(s))),
    "the gap both changes a signal and makes signals that the full history does not give",
  );

  const binance = await startFakeBinance({
    series: [full],
    startTime: Number(full.rows[full.rows.length - 1][0]) + HOUR + 1, // every candle has closed
    autoStart: false,
  });
  const discord = await startFakeDiscord();
  const settings = discordFunctionEnv({
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_CHANNEL_ID: discord.channelId,
    DISCORD_CHART: "off",
  });
  const stack = await startStack({
    root,
    port: 0,
    functionEnv: { ...settings.env, BINANCE_REST_URL: binance.restUrl },
    postLateSignals: true, // a replay of 2024 is "late" by the wall clock
    log: () => {},
  });
  try {
    const cards = () => discord.messages.filter((m) => m.message_reference === undefined);
    const replies = () => discord.messages.filter((m) => m.message_reference !== undefined);
    // The gapped history, in relay-sized pieces: analysed, its signals posted.
    for (let i = 0; i < candles.length; i += 350) {
      await ingestCandles(
        stack.sql,
        candles.slice(i, i + 350).map((candle) => ({ symbol: "BTCUSDT", interval: "1h", candle })),
      );
    }
    await waitFor("the gapped history's cards", () => cards().length === before.length, 120_000);
    const cardOf = new Map(
      (await stack.sql<{ t: number; message_id: string }[]>`
        select public.epoch_ms(s.open_time)::float8 as t, o.message_id from public.signals s
        join public.discord_outbox o on o.signal_id = s.id and o.kind = 'card'
        where s.symbol = 'BTCUSDT' and s.timeframe = '1h'`).map((r) => [r.t, r.message_id]),
    );
    assert.equal(cardOf.size, before.length);

    // Gap repair, as the cron job runs it: the backfill function fetches the candle from Binance.
    const [{ n }] = await stack.sql`select private.detect_gaps(5000) as n`;
    assert.equal(n, 1, "one gap is requested");
    const withdrawals = () =>
      replies().filter((m) => /^✖ Withdrawn/.test(String(m.embeds[0]?.title)));
    await waitFor("the withdrawals", () => withdrawals().length >= stale.length, 120_000);
    await waitFor("the analysis to catch up", async () => {
      const [r] = await stack
        .sql`select a.last_open_time = (select max(open_time) from public.candles
          where symbol = 'BTCUSDT' and timeframe = '1h') and a.epoch = e.epoch as done
        from public.analyzer_state a join private.series_epochs e using (symbol, timeframe)
        where a.symbol = 'BTCUSDT' and a.timeframe = '1h'`;
      return r?.done === true;
    }, 120_000);
    await waitOutboxDrained(stack.sql);

    await assertEndState(stack, [full]);
    const superseded = await stack.sql<{ t: number }[]>`
      select public.epoch_ms(open_time)::float8 as t from public.signals
      where symbol = 'BTCUSDT' and timeframe = '1h' and superseded_at is not null order by open_time`;
    assert.deepEqual(
      superseded.map((r) => r.t),
      stale.map(key),
      "exactly the stale signals are superseded",
    );
    assert.deepEqual(
      withdrawals().map((m) => m.message_reference?.message_id).sort(),
      stale.map((s) => cardOf.get(key(s))).sort(),
      "one withdrawal reply to each stale signal's card, none to the others",
    );
    const replaced = stale.filter((s) => after.has(key(s)));
    for (const s of replaced) {
      const reply = withdrawals().find((m) =>
        m.message_reference?.message_id === cardOf.get(key(s))
      );
      assert.match(String(reply?.embeds[0].description), /now gives ▲ LONG|now gives ▼ SHORT/);
    }
    // Every live signal has one card: the kept ones their first, the others a new one.
    const kept = before.length - stale.length;
    assert.equal(
      cards().length,
      before.length + (after.size - kept),
      "one card per signal ever stored, nothing posted twice",
    );
    assert.deepEqual(discord.violations, []);
  } finally {
    await stack.stop();
    await discord.close();
    await binance.close();
  }
});

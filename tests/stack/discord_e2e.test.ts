/**
 * End to end on the local stack (scripts/stack/stack.ts, what `deno task start` runs: a throwaway
 * Postgres, every function bundle in its own process behind the gateway, the pg_net dispatcher and
 * the job runner) with the Discord settings pointing at the fake Discord: candles replayed into the
 * database are analysed, the signal reaches Discord exactly once with its chart (the picture
 * `deno task chart` draws for it), and when later candles play the trade out, outcome tracking's
 * follow-up arrives as a reply to that card.
 */

import assert from "node:assert/strict";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { startStack } from "../../scripts/stack/stack.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import type { Candle } from "../../shared/candles/types.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import { discordFunctionEnv } from "../../scripts/stack/discord_env.ts";
import { fixtureCandles } from "../support/fixtures.ts";
import { chartOf, waitFor } from "../support/discord.ts";
import { chartInputFor } from "../../scripts/chart.ts";
import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";

const root = new URL("../../", import.meta.url).pathname;

/** The first signal whose TP1 or stop is reached before the next signal's bar, and that bar. */
function pickSignal(candles: readonly Candle[]) {
  const signals = analyzeSeries(seriesFromCandles(candles), parseAnalyzerConfig({}));
  for (let k = 0; k + 1 < signals.length; k++) {
    const s = signals[k];
    const long = s.direction === "long";
    for (let i = s.index + 1; i < signals[k + 1].index; i++) {
      const c = candles[i];
      const hit = long
        ? c.high >= s.takeProfits[0] || c.low <= s.stopLoss
        : c.low <= s.takeProfits[0] || c.high >= s.stopLoss;
      if (hit) return { signal: s, eventIndex: i };
    }
  }
  throw new Error("no signal plays out before the next one in the fixture");
}

Deno.test("a replayed signal reaches the fake Discord exactly once with its chart, and its outcome follow-up arrives as a reply", async () => {
  const candles = fixtureCandles("BTCUSDT-1h-2024.json");
  const { signal, eventIndex } = pickSignal(candles);
  const fake = await startFakeDiscord();
  const settings = discordFunctionEnv({
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_BOT_TOKEN: fake.token,
    DISCORD_CHANNEL_ID: fake.channelId,
  });
  assert.equal(settings.mode, "bot");
  const stack = await startStack({
    root,
    port: 0,
    functionEnv: settings.env,
    postLateSignals: true, // a replay of 2024 is "late" by the wall clock
    log: () => {},
  });
  try {
    const put = (rows: readonly Candle[]) =>
      ingestCandles(
        stack.sql,
        rows.map((candle) => ({ symbol: "BTCUSDT", interval: "1h", candle })),
      );
    // The history up to the signal's bar, in relay-sized pieces.
    for (let i = 0; i <= signal.index; i += 1000) {
      await put(candles.slice(i, Math.min(i + 1000, signal.index + 1)));
    }
    const title = `${signal.direction === "long" ? "▲ LONG" : "▼ SHORT"} · BTCUSDT 1h`;
    const cards = () => fake.messages.filter((m) => m.embeds[0]?.title === title);
    await waitFor("the card", () => cards().length > 0, 90_000);
    const [card] = cards();
    // The card carries its chart (DISCORD_CHART defaults to on, dark): the picture the chart CLI
    // draws for this signal from the file cut at its bar.
    const png = await chartOf(card);
    const cut = seriesFromCandles(candles.slice(0, signal.index + 1));
    const want = await renderSignalChart(chartInputFor(cut, signal, "BTCUSDT", "1h"), {
      theme: "dark",
    });
    assert.ok(want.ok);
    assert.ok(
      png.length === want.png.length && png.every((b, i) => b === want.png[i]),
      "the card's chart is the CLI's chart of the signal",
    );
    assert.match(
      String(
        (card.embeds[0].fields as { name: string; value: string }[]).find((f) => f.name === "Bar")
          ?.value,
      ),
      new RegExp(`^${new Date(signal.time).toISOString().slice(0, 16).replace("T", " ")} UTC`),
    );
    // The candles that play the trade out; outcome tracking (a scheduled job) records the event.
    await put(candles.slice(signal.index + 1, eventIndex + 1));
    // The outcome job runs every 5 minutes (pg_cron where installed, else the stack's runner): run it now.
    await stack.sql`select api.track_outcomes()`;
    await waitFor(
      "the follow-up",
      () => fake.messages.some((m) => m.message_reference?.message_id === card.id),
      90_000,
    );
    await stack.sql`select api.track_outcomes()`; // again: nothing new may come of it
    await stack.sql`select private.sweep_notifications()`;
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(cards().length, 1, "the card was posted exactly once");
    const replies = fake.messages.filter((m) => m.message_reference?.message_id === card.id);
    const kinds = replies.map((m) => String(m.embeds[0]?.title).split(" · ")[0]);
    assert.equal(new Set(kinds).size, kinds.length, `each follow-up once: ${kinds}`);
    assert.match(kinds[0], /TP1 reached|Stop hit/);
    assert.ok(card.edits.length >= 1, "the card's status line was edited");
    assert.equal(fake.messages.length, 1 + replies.length, "nothing else was posted");
    assert.deepEqual(fake.violations, []);
    const [row] = await stack
      .sql`select count(*)::int as n from public.discord_outbox where status <> 'sent'`;
    assert.equal(row.n, 0, "the outbox is empty");
  } finally {
    await stack.stop();
    await fake.close();
  }
});

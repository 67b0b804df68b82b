/**
 * The chart in every signal card, against the real test database and the fake Discord: the card
 * goes up as multipart (`payload_json` with the nonce + `files[0]` chart.png) and its embed shows
 * `attachment://chart.png`; the PNG is the one `deno task chart` draws for the same file and
 * signal, from the candles up to the signal bar only; a chart that cannot be drawn never holds the
 * card back (posted once without it, the failure logged, later status edits still work), nor does
 * one that takes too long (its time limit) or throws; a lost answer is not doubled with a file
 * attached; charts per run are bounded and the rest is posted by the next run, in order; the
 * settings turn charts off and pick the theme.
 */

import assert from "node:assert/strict";
import { decode } from "fast-png";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import {
  ingestCandles,
  latestSignalCard,
  loadCandles,
} from "../../supabase/functions/_shared/db_api.ts";
import {
  chartCandleRange,
  chartSignalOf,
} from "../../supabase/functions/_shared/chart/card_chart.ts";
import { loadFunctionEnv } from "../../supabase/functions/_shared/env.ts";
import { evidenceLine } from "../../supabase/functions/_shared/discord_card.ts";
import {
  type ChartRenderer,
  chartRendererFor,
  databaseChartRenderer,
} from "../../supabase/functions/discord-notify/chart_hook.ts";
import { handleDiscordNotify } from "../../supabase/functions/discord-notify/handler.ts";
import { DEFAULT_SENDER, runSender } from "../../supabase/functions/discord-notify/run.ts";
import { connect, withTestSymbol } from "../db/test_database.ts";
import {
  attachmentBytes,
  botEnv,
  chartOf,
  hourTimes,
  insertSignals,
  insertTestCandles,
  makeDue,
  messagesAbout,
  outboxOf,
  resetDiscordState,
} from "../support/discord.ts";
import {
  configureWake,
  postSigned,
  recordingLogger,
  serveHandler,
  testDeps,
  unconfigureWake,
} from "../support/function_deps.ts";
import { fixtureCandles } from "../support/fixtures.ts";
import { runTask } from "../support/run_cli.ts";

const SYMBOL = "TSTCHART";
const FILE = "BTCUSDT-1h-2024.json";
const dark = databaseChartRenderer("dark");
const fast = { ...DEFAULT_SENDER, budgetMs: 60_000, chart: dark };
const H = 3_600_000;

/** Candles for the default test signals (around 100) from 200 h before `first` to 60 h after it. */
function candlesAround(sql: Parameters<typeof insertTestCandles>[0], first: number) {
  return insertTestCandles(sql, SYMBOL, first - 200 * H, 260);
}

Deno.test("a card carries the chart deno task chart draws for the same file and signal, from candles up to the signal bar only", async () => {
  const candles = fixtureCandles(FILE);
  const signal = analyzeSeries(seriesFromCandles(candles)).find((s) =>
    s.patterns.elliott !== null && s.patterns.wyckoff.length > 0 && s.index + 50 < candles.length
  );
  assert.ok(signal, "the fixture has a signal with an Elliott count and a Wyckoff event");
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  const dir = await Deno.makeTempDir();
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      // 400 candles before the signal bar and 50 after it: the later ones must not be drawn.
      await ingestCandles(
        sql,
        candles.slice(signal.index - 400, signal.index + 51).map((candle) => ({
          symbol: SYMBOL,
          interval: "1h",
          candle,
        })),
      );
      await insertSignals(sql, SYMBOL, [{
        openTime: signal.time,
        direction: signal.direction,
        entry: signal.entry,
        stopLoss: signal.stopLoss,
        takeProfits: signal.takeProfits,
        confidence: signal.confidence,
        atr: signal.atr,
        rationale: signal.rationale,
        patterns: signal.patterns,
        contributions: signal.contributions,
        evidence: signal.evidence,
      }]);
      // What the chart reads: the 200 candles up to and including the signal bar, none later.
      const stored = await latestSignalCard(sql, SYMBOL, "1h");
      assert.ok(stored);
      const range = chartCandleRange(stored, chartSignalOf(stored));
      const read = await loadCandles(sql, stored, range);
      assert.equal(read.length, 200);
      assert.equal(read.openTime[read.length - 1], signal.time, "ends at the signal bar");
      assert.equal(read.openTime[0], candles[signal.index - 199].openTime);

      const report = await runSender(deps, fast);
      assert.equal(report.sent, 1);
      assert.equal(report.charts, 1);
      const [card] = messagesAbout(fake, SYMBOL);
      const png = await chartOf(card);
      // The words beside it: the calibrated chance of TP1 and the setup class's record.
      const fields = Object.fromEntries(
        (card.embeds[0].fields as { name: string; value: string }[]).map((f) => [f.name, f.value]),
      );
      assert.equal(
        fields["Chance of TP1"],
        `${Math.round(signal.confidence * 100)}% before the stop`,
      );
      assert.ok(signal.evidence);
      assert.equal(fields["Setups like this"], evidenceLine(signal.evidence));
      assert.match(fields["Setups like this"], /setups: \d+% reached TP1 \(n = [\d,]+/);
      const [post] = fake.requests.filter((r) => r.method === "POST");
      assert.deepEqual(post.files, ["chart.png"], "multipart files[0] named chart.png");
      const payload = post.body as Record<string, unknown>;
      assert.deepEqual(payload.attachments, [{ id: 0, filename: "chart.png" }]);
      assert.equal(payload.nonce, card.nonce, "the nonce travels in payload_json");
      assert.equal(payload.enforce_nonce, true);

      const out = `${dir}/cli.png`;
      const cli = await runTask("chart", [
        `tests/fixtures/binance/${FILE}`,
        "--at",
        String(signal.time),
        "--symbol",
        SYMBOL,
        "--theme",
        "dark",
        "--out",
        out,
      ]);
      assert.equal(cli.code, 0, cli.stderr);
      const expected = await Deno.readFile(out);
      assert.equal(png.length, expected.length, "same PNG size as deno task chart's");
      assert.ok(png.every((b, i) => b === expected[i]), "byte-identical to deno task chart's PNG");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await fake.close();
    await sql.end();
  }
});

Deno.test("a chart that cannot be drawn (no candles stored) never holds the card back: posted once without it, logged, status edits still work", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const { log, lines } = recordingLogger();
  const deps = testDeps(sql, { env: botEnv(fake), log });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const t0 = Date.UTC(2024, 0, 1);
      await insertSignals(sql, SYMBOL, [{ openTime: t0 }]);
      const report = await runSender(deps, fast);
      assert.equal(report.sent, 1);
      const [card] = messagesAbout(fake, SYMBOL);
      assert.deepEqual(card.attachments, [], "no file");
      assert.equal(card.embeds[0].image, undefined, "no image in the embed");
      assert.equal(fake.requests.filter((r) => r.method === "POST").length, 1, "posted once");
      assert.deepEqual(fake.requests[0].files, [], "as plain JSON");
      const failed = lines.filter((l) => l.msg === "chart failed; card posted without it");
      assert.equal(failed.length, 1);
      assert.equal(failed[0].level, "warn");
      assert.match(String(failed[0].error), /no TSTCHART 1h candles are stored/);
      assert.equal(Number(failed[0].signal), Number((await outboxOf(sql, SYMBOL))[0].signal_id));
      // TP1 is reached: the card (which has no chart.png) gets its status line all the same.
      await sql`insert into public.candles (symbol, timeframe, open_time, open, high, low, close, volume)
        values (${SYMBOL}, '1h', 'epoch'::timestamptz + (${t0}::bigint + ${H}::bigint) * interval '1 ms', 100, 109, 99, 107, 1)`;
      await sql`select api.track_outcomes()`;
      await runSender(deps, fast);
      const reply = messagesAbout(fake, SYMBOL).find((m) => m.id !== card.id);
      assert.equal(reply?.message_reference?.message_id, card.id, "the follow-up replied");
      assert.equal(card.edits.length, 1, "the status line was edited once");
      const patches = fake.requests.filter((r) => r.method === "PATCH").map((r) => r.status);
      assert.deepEqual(patches, [400, 200], "edited again without the missing chart.png");
      await makeDue(sql, SYMBOL);
      await runSender(deps, fast);
      assert.equal(messagesAbout(fake, SYMBOL).length, 2, "nothing posted twice");
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("a chart that takes too long never holds the card back: posted at its time limit without it, logged; a renderer that throws likewise", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const { log, lines } = recordingLogger();
  const deps = testDeps(sql, { env: botEnv(fake), log });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const times = hourTimes(2);
      await insertSignals(sql, SYMBOL, times.map((openTime) => ({ openTime })));
      let calls = 0;
      const stuck: ChartRenderer = () => {
        calls++;
        // The first never answers (a stalled load); the second fails outright.
        return calls === 1 ? new Promise(() => {}) : Promise.reject(new Error("wasm trap"));
      };
      const t0 = performance.now();
      const report = await runSender(deps, { ...fast, chart: stuck, chartTimeoutMs: 300 });
      const ms = performance.now() - t0;
      assert.equal(report.sent, 2);
      assert.ok(ms >= 300 && ms < 10_000, `waited for the time limit only (${ms.toFixed(0)} ms)`);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 2);
      for (const m of posted) {
        assert.deepEqual(m.attachments, []);
        assert.equal(m.embeds[0].image, undefined);
      }
      const failed = lines.filter((l) => l.msg === "chart failed; card posted without it");
      assert.deepEqual(failed.map((l) => l.error), ["chart timed out after 300 ms", "wasm trap"]);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("an answer lost after Discord took a card with its chart: the retry (same nonce, multipart) returns the first message", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake, { DISCORD_TIMEOUT_MS: "1000" }) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const t0 = Date.UTC(2024, 0, 1);
      await candlesAround(sql, t0);
      await insertSignals(sql, SYMBOL, [{ openTime: t0 }]);
      fake.inject({ lose: true }, { method: "POST" });
      const first = await runSender(deps, fast);
      assert.equal(first.retried, 1);
      assert.equal(messagesAbout(fake, SYMBOL).length, 1, "Discord did create it");
      await makeDue(sql, SYMBOL);
      const second = await runSender(deps, fast);
      assert.equal(second.sent, 1);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 1, "the retry returned the first message");
      await chartOf(posted[0]);
      const posts = fake.requests.filter((r) => r.method === "POST");
      assert.equal(posts.length, 2);
      assert.ok(
        posts.every((r) =>
          (r.body as { nonce?: string }).nonce === posted[0].nonce && r.files[0] === "chart.png"
        ),
        "both attempts: multipart with the same nonce",
      );
      const [row] = await outboxOf(sql, SYMBOL);
      assert.equal(row.status, "sent");
      assert.equal(row.message_id, posted[0].id);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

Deno.test("charts per run are bounded: the rest is handed back unattempted, a continuation is woken, and the next runs post it in order, none twice", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, { env: botEnv(fake) });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const times = hourTimes(5);
      await candlesAround(sql, times[0]);
      await configureWake(sql);
      const [{ max }] =
        await sql`select coalesce(max(id), 0)::bigint as max from net.http_request_queue`;
      await insertSignals(sql, SYMBOL, times.map((openTime) => ({ openTime })));
      const opts = { ...fast, maxCharts: 2, chartBudgetMs: Infinity };
      const first = await runSender(deps, opts);
      assert.deepEqual(
        [first.sent, first.charts, first.continued, first.released],
        [2, 2, true, 3],
        JSON.stringify(first),
      );
      const rows = await outboxOf(sql, SYMBOL);
      assert.deepEqual(rows.map((r) => r.status), [
        "sent",
        "sent",
        "pending",
        "pending",
        "pending",
      ]);
      assert.ok(rows.slice(2).every((r) => r.attempts === 0), "handed back without an attempt");
      const wakes = await sql<{ url: string; body: { reason: string } }[]>`
        select url, convert_from(body, 'UTF8')::jsonb as body from net.http_request_queue
        where id > ${max} order by id`;
      assert.ok(
        wakes.some((w) => w.url.endsWith("/discord-notify") && w.body.reason === "continue"),
        `a continuation wake-up was queued: ${JSON.stringify(wakes)}`,
      );
      assert.equal((await runSender(deps, opts)).sent, 2);
      const last = await runSender(deps, opts);
      assert.deepEqual([last.sent, last.continued], [1, false]);
      const posted = messagesAbout(fake, SYMBOL);
      assert.equal(posted.length, 5);
      assert.equal(new Set(posted.map((m) => m.nonce)).size, 5, "none twice");
      assert.deepEqual(
        (await outboxOf(sql, SYMBOL)).map((r) => r.message_id),
        posted.map((m) => m.id),
        "in signal order",
      );
      for (const m of posted) await chartOf(m);
    });
  } finally {
    await unconfigureWake(sql);
    await fake.close();
    await sql.end();
  }
});

Deno.test("settings: DISCORD_CHART=off posts cards without a chart, DISCORD_CHART_THEME=light draws the light theme, a bad value is refused by name", async () => {
  assert.throws(
    () => loadFunctionEnv({ SUPABASE_DB_URL: "postgres://x", DISCORD_CHART: "yes" }),
    /DISCORD_CHART /,
  );
  assert.throws(
    () => loadFunctionEnv({ SUPABASE_DB_URL: "postgres://x", DISCORD_CHART_THEME: "blue" }),
    /DISCORD_CHART_THEME/,
  );
  const env = loadFunctionEnv({ SUPABASE_DB_URL: "postgres://x" });
  assert.deepEqual([env.DISCORD_CHART, env.DISCORD_CHART_THEME], ["on", "dark"]);
  assert.equal(chartRendererFor({ ...env, DISCORD_CHART: "off" }), null);

  const sql = connect();
  await resetDiscordState(sql);
  await configureWake(sql);
  const fake = await startFakeDiscord();
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const times = hourTimes(3);
      await candlesAround(sql, times[0]);
      // Through the handler, as deployed: the settings decide.
      const send = async (settings: Record<string, string>) => {
        const deps = testDeps(sql, { env: botEnv(fake, settings) });
        const server = serveHandler(
          (req, d) => handleDiscordNotify(req, d, { budgetMs: 60_000 }),
          deps,
        );
        try {
          const wake = await postSigned(`${server.url}/discord-notify`, { reason: "sweep" });
          assert.equal(wake.status, 202);
          await deps.settle();
        } finally {
          await server.close();
        }
      };
      await insertSignals(sql, SYMBOL, [{ openTime: times[0] }]);
      await send({ DISCORD_CHART: "off" });
      await insertSignals(sql, SYMBOL, [{ openTime: times[1] }]);
      await send({ DISCORD_CHART_THEME: "light" });
      await insertSignals(sql, SYMBOL, [{ openTime: times[2] }]);
      await send({});
      const [off, light, dflt] = messagesAbout(fake, SYMBOL);
      assert.deepEqual(off.attachments, [], "DISCORD_CHART=off: no chart");
      assert.equal(off.embeds[0].image, undefined);
      const corner = async (m: typeof light) => {
        const png = decode(await chartOf(m));
        const px = png.data.subarray(0, 3);
        return (Number(px[0]) + Number(px[1]) + Number(px[2])) / 3;
      };
      assert.ok(await corner(light) > 200, "light background");
      assert.ok(await corner(dflt) < 80, "dark background by default");
      assert.ok((await attachmentBytes(light.attachments[0])).length > 1000);
    });
  } finally {
    await unconfigureWake(sql);
    await fake.close();
    await sql.end();
  }
});

Deno.test("webhook mode: the card goes up with its chart through the webhook", async () => {
  const sql = connect();
  await resetDiscordState(sql);
  const fake = await startFakeDiscord();
  const deps = testDeps(sql, {
    env: { DISCORD_API_URL: fake.apiUrl, DISCORD_WEBHOOK_URL: fake.webhookUrl },
  });
  try {
    await withTestSymbol(sql, SYMBOL, async () => {
      const t0 = Date.UTC(2024, 0, 1);
      await candlesAround(sql, t0);
      await insertSignals(sql, SYMBOL, [{ openTime: t0, direction: "short" }]);
      const report = await runSender(deps, fast);
      assert.equal(report.mode, "webhook");
      const [card] = messagesAbout(fake, SYMBOL);
      assert.ok(card.webhook_id);
      await chartOf(card);
    });
  } finally {
    await fake.close();
    await sql.end();
  }
});

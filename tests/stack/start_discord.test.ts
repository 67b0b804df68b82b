/**
 * `deno task start` run as a user runs it, with Discord settings pointing at the fake Discord: every
 * signal the replay prints is posted as exactly one card before `--exit-when-done` stops; bad
 * Discord settings stop it in one line before anything starts.
 */

import assert from "node:assert/strict";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { hasStackTrace, runTask } from "../support/run_cli.ts";
import { fixtureRows } from "../support/fixtures.ts";

Deno.test("deno task start with Discord settings posts each replayed signal's card exactly once", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/BTCUSDT-1h-2025W02.json`;
  // 700 hours of real BTCUSDT: two signals (bars 512 and 548).
  await Deno.writeTextFile(
    file,
    JSON.stringify(fixtureRows("BTCUSDT-1h-2025W02-W07.json").slice(0, 700)),
  );
  const fake = await startFakeDiscord();
  try {
    const r = await runTask("start", [
      "--replay",
      file,
      "--exit-when-done",
      "--json",
      "--port",
      "0",
    ], {
      env: {
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_BOT_TOKEN: fake.token,
        DISCORD_CHANNEL_ID: fake.channelId,
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Discord: posting as the bot to channel 200000000000000001/);
    assert.match(r.stderr, /every Discord message posted/);
    const printed = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(printed.length, 2, "two signals");
    const cards = fake.messages.filter((m) => String(m.embeds[0]?.title).includes(" · BTCUSDT 1h"));
    assert.equal(cards.length, printed.length, "one card per signal");
    assert.deepEqual(
      cards.map((c) =>
        (c.embeds[0].fields as { name: string; value: string }[])
          .find((f) => f.name === "Bar")?.value.slice(0, 16)
      ),
      printed.map((s) => String(s.time).slice(0, 16).replace("T", " ")),
    );
    assert.equal(new Set(cards.map((c) => c.nonce)).size, cards.length, "none twice");
    assert.deepEqual(fake.violations, []);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task start refuses bad Discord settings in one line before starting anything", async () => {
  const r = await runTask("start", ["--replay", "nothing.json", "--port", "0"], {
    env: { DISCORD_CHANNEL_ID: "12" },
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: invalid Discord settings: DISCORD_CHANNEL_ID must be a Discord id/,
  );
  assert.ok(!hasStackTrace(r.stderr));
});

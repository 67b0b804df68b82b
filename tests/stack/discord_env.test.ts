/** The local stack's Discord settings: posting mode from the environment, bad values refused in one line. */

import assert from "node:assert/strict";
import { discordFunctionEnv } from "../../scripts/stack/discord_env.ts";

Deno.test("the stack posts as the bot, through a webhook, or prints previews, from the DISCORD_* settings", () => {
  const bot = discordFunctionEnv({
    PATH: "/bin",
    DISCORD_BOT_TOKEN: "bot.token.0123456789abcdefghijk",
    DISCORD_CHANNEL_ID: "1175928847299117063",
    DISCORD_WEBHOOK_URL: "",
  });
  assert.equal(bot.mode, "bot");
  assert.deepEqual(Object.keys(bot.env).sort(), ["DISCORD_BOT_TOKEN", "DISCORD_CHANNEL_ID"]);
  assert.match(
    bot.describe,
    /posting as the bot to channel 1175928847299117063 \(https:\/\/discord\.com\/api\/v10\)/,
  );
  const hook = discordFunctionEnv({
    DISCORD_WEBHOOK_URL: "https://discord.com/api/webhooks/1175928847299117063/abc_DEF-1",
  });
  assert.equal(hook.mode, "webhook");
  const none = discordFunctionEnv({ DISCORD_BOT_TOKEN: "bot.token.0123456789abcdefghijk" });
  assert.equal(none.mode, "previews");
  assert.match(none.describe, /printing previews/);
  // Half of the bot settings: the missing one is named.
  assert.match(
    none.describe,
    /^Discord: not posting \(DISCORD_BOT_TOKEN is set but DISCORD_CHANNEL_ID is not;/,
  );
  assert.match(
    discordFunctionEnv({ DISCORD_CHANNEL_ID: "1175928847299117063" }).describe,
    /DISCORD_CHANNEL_ID is set but DISCORD_BOT_TOKEN is not/,
  );
  assert.match(discordFunctionEnv({}).describe, /^Discord: not configured \(set DISCORD_BOT_TOKEN/);
  assert.throws(
    () =>
      discordFunctionEnv({
        DISCORD_CHANNEL_ID: "12",
        DISCORD_WEBHOOK_URL: "https://example.com/x",
      }),
    /^Error: invalid Discord settings: DISCORD_CHANNEL_ID must be a Discord id .*; DISCORD_WEBHOOK_URL must be a Discord webhook URL/,
  );
});

Deno.test("a number setting out of its range names the range, whatever the way it is wrong", () => {
  for (const v of ["-5", "abc", "5", "60001", "1.5"]) {
    assert.throws(
      () => discordFunctionEnv({ DISCORD_TIMEOUT_MS: v }),
      /^Error: invalid Discord settings: DISCORD_TIMEOUT_MS must be a whole number from 100 to 60000$/,
      v,
    );
  }
  assert.equal(discordFunctionEnv({ DISCORD_TIMEOUT_MS: "250" }).env.DISCORD_TIMEOUT_MS, "250");
});

/**
 * Where discord-notify posts, from its settings: as the bot to a channel (DISCORD_BOT_TOKEN +
 * DISCORD_CHANNEL_ID; preferred: nonces, replies, edits), else through a webhook
 * (DISCORD_WEBHOOK_URL), else nowhere (messages stay queued until settings are given).
 */

import type { DiscordMode } from "../_shared/db_api.ts";
import type { FunctionEnv } from "../_shared/env.ts";

/** The posting target. */
export type DiscordTarget =
  | { mode: "bot"; token: string; channelId: string }
  | { mode: "webhook"; url: string }
  | { mode: "unconfigured"; reason: string };

/** The target the settings describe (bot mode wins when both are set). */
export function discordTarget(env: FunctionEnv): DiscordTarget {
  if (env.DISCORD_BOT_TOKEN && env.DISCORD_CHANNEL_ID) {
    return { mode: "bot", token: env.DISCORD_BOT_TOKEN, channelId: env.DISCORD_CHANNEL_ID };
  }
  if (env.DISCORD_WEBHOOK_URL) return { mode: "webhook", url: env.DISCORD_WEBHOOK_URL };
  const missing = env.DISCORD_BOT_TOKEN
    ? "DISCORD_CHANNEL_ID is not set"
    : env.DISCORD_CHANNEL_ID
    ? "DISCORD_BOT_TOKEN is not set"
    : "neither DISCORD_BOT_TOKEN + DISCORD_CHANNEL_ID nor DISCORD_WEBHOOK_URL is set";
  return { mode: "unconfigured", reason: missing };
}

/** The mode name stored in the database. */
export function targetMode(t: DiscordTarget): DiscordMode {
  return t.mode;
}

/**
 * A fingerprint of the target (16 hex characters of SHA-256 over mode, token, channel and webhook):
 * the database keeps it beside a 401/403 stop, so new settings resume sending at once. The token
 * itself never leaves the function.
 */
export async function targetFingerprint(t: DiscordTarget): Promise<string> {
  const text = t.mode === "bot"
    ? `bot|${t.token}|${t.channelId}`
    : t.mode === "webhook"
    ? `webhook|${t.url}`
    : "unconfigured";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

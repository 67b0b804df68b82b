/**
 * The Discord settings the local stack hands to its function processes (`functionEnv` of
 * startStack): every `DISCORD_*` variable of the environment, checked with the functions' own zod
 * schema so a bad setting stops `deno task start` with one line instead of failing inside a
 * function. With bot settings (token + channel) or a webhook URL the stack posts to Discord (or to
 * whatever DISCORD_API_URL names, e.g. `deno task fake:discord`); without them discord-notify
 * keeps the messages queued and the stack prints previews of the signals instead.
 */

import { FunctionEnvSchema, processEnv } from "../../supabase/functions/_shared/env.ts";
import { describeEnvIssues } from "../../supabase/functions/_shared/env.ts";

const DiscordSettings = FunctionEnvSchema.pick({
  DISCORD_BOT_TOKEN: true,
  DISCORD_CHANNEL_ID: true,
  DISCORD_WEBHOOK_URL: true,
  DISCORD_PUBLIC_KEY: true,
  DISCORD_APPLICATION_ID: true,
  DISCORD_API_URL: true,
  DISCORD_TIMEOUT_MS: true,
  DISCORD_CHART: true,
  DISCORD_CHART_THEME: true,
}).partial();

/** What {@link discordFunctionEnv} found. */
export interface DiscordStackSettings {
  /** The DISCORD_* variables to pass to the function processes. */
  env: Record<string, string>;
  /** bot or webhook: the stack posts; previews: no posting settings, signals are printed. */
  mode: "bot" | "webhook" | "previews";
  /** One line for the stack's log, e.g. `Discord: posting as the bot to channel 123 (https://discord.com/api/v10)`. */
  describe: string;
}

/**
 * The Discord settings of `source` (default: the process environment). Throws Error naming every
 * invalid variable (`invalid Discord settings: DISCORD_CHANNEL_ID must be a Discord id ...`).
 */
export function discordFunctionEnv(
  source: Record<string, string | undefined> = processEnv(),
): DiscordStackSettings {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (k.startsWith("DISCORD_") && v !== undefined && v !== "") env[k] = v;
  }
  const parsed = DiscordSettings.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid Discord settings: ${describeEnvIssues(parsed.error)}`);
  }
  const s = parsed.data;
  const api = s.DISCORD_API_URL ?? "https://discord.com/api/v10";
  if (s.DISCORD_BOT_TOKEN && s.DISCORD_CHANNEL_ID) {
    return {
      env,
      mode: "bot",
      describe: `Discord: posting as the bot to channel ${s.DISCORD_CHANNEL_ID} (${api})`,
    };
  }
  if (s.DISCORD_WEBHOOK_URL) {
    return {
      env,
      mode: "webhook",
      describe: `Discord: posting through the webhook (${new URL(s.DISCORD_WEBHOOK_URL).host})`,
    };
  }
  // Half of the bot settings is a likely slip: name the missing one.
  const half = s.DISCORD_BOT_TOKEN
    ? "DISCORD_BOT_TOKEN is set but DISCORD_CHANNEL_ID is not"
    : s.DISCORD_CHANNEL_ID
    ? "DISCORD_CHANNEL_ID is set but DISCORD_BOT_TOKEN is not"
    : null;
  return {
    env,
    mode: "previews",
    describe: half
      ? `Discord: not posting (${half}; the bot needs both, or set DISCORD_WEBHOOK_URL); printing previews`
      : "Discord: not configured (set DISCORD_BOT_TOKEN + DISCORD_CHANNEL_ID or DISCORD_WEBHOOK_URL to post); printing previews",
  };
}

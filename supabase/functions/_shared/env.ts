/**
 * The only reader of the process environment (`Deno.env`) in functions and the tools that share
 * their code. Settings are read once, validated with zod, and passed down as a typed object.
 *
 * Supabase provides SUPABASE_DB_URL (and SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY) to every Edge
 * Function; the rest are optional (`supabase secrets set NAME=value`).
 */

import { z } from "zod";

/** Raised when the environment is invalid; the message lists every bad variable on one line. */
export class EnvError extends Error {
  override name = "EnvError";
}

const postgresUrl = z.string().regex(
  /^postgres(ql)?:\/\/\S+$/,
  "must be a postgres:// or postgresql:// connection string",
);

/** A Discord id (snowflake): 17–20 digits without a leading zero (Discord API docs, "Snowflakes"). */
const snowflake = z.string().regex(/^[1-9][0-9]{16,19}$/, "must be a Discord id (17-20 digits)");

const intFrom = (min: number, max: number) => {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.string().regex(/^\d+$/, range).transform(Number).pipe(
    z.number().int().min(min, range).max(max, range),
  );
};

/** Settings of the Edge Functions (and of local processes that serve them). */
export const FunctionEnvSchema = z.object({
  /** Direct connection (port 5432) or transaction pooler (6543) URL of the project's database. */
  SUPABASE_DB_URL: postgresUrl,
  /** Connections per function instance (default 2). */
  DB_POOL_MAX: intFrom(1, 20).default(2),
  /** Least level logged: debug, info, warn, error (default info). */
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Port to listen on when served locally (Supabase ignores it; unset there). */
  PORT: intFrom(0, 65535).optional(),
  /**
   * Binance REST base URL of `backfill` and `ingest` (default https://data-api.binance.vision, market
   * data only; also https://api.binance.com, or a local server such as the fake Binance).
   */
  BINANCE_REST_URL: z.string().url().default("https://data-api.binance.vision"),
  /** Candles `ingest` fetches for a tracked series with none stored (1–1,000, default 1,000). */
  INGEST_INITIAL_CANDLES: intFrom(1, 1000).default(1000),
  /**
   * Discord bot token (Developer Portal → your application → Bot → Reset Token). With
   * DISCORD_CHANNEL_ID, discord-notify posts as the bot (nonce-deduplicated, replies, edits).
   */
  DISCORD_BOT_TOKEN: z.string().regex(/^[A-Za-z0-9._-]{20,200}$/, "must be a Discord bot token")
    .optional(),
  /** Id of the channel the bot posts signal cards to (Discord: right-click the channel → Copy ID). */
  DISCORD_CHANNEL_ID: snowflake.optional(),
  /**
   * Webhook URL (channel settings → Integrations → Webhooks): the alternative to bot mode, used when
   * no bot token and channel are set. No nonce (a retry after a lost response can post twice) and
   * no replies (follow-ups quote the card instead).
   */
  DISCORD_WEBHOOK_URL: z.string().url().regex(
    /\/webhooks\/[0-9]{1,20}\/[A-Za-z0-9_-]{1,200}$/,
    "must be a Discord webhook URL ending in /webhooks/<id>/<token>",
  ).optional(),
  /** The application's public key (Developer Portal → General Information): verifies interactions. */
  DISCORD_PUBLIC_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hexadecimal characters")
    .optional(),
  /** The application id (Developer Portal → General Information). */
  DISCORD_APPLICATION_ID: snowflake.optional(),
  /** Discord REST base URL (default https://discord.com/api/v10; tests and the stack use a fake). */
  DISCORD_API_URL: z.string().url().default("https://discord.com/api/v10"),
  /** Time allowed for one Discord request before it counts as lost, in ms (default 10,000). */
  DISCORD_TIMEOUT_MS: intFrom(100, 60_000).default(10_000),
  /**
   * `on` (default): every signal card (discord-notify) and /lastsignal answer carries the chart of
   * the signal as `chart.png`; `off`: cards without a chart (no candles loaded, nothing rendered).
   */
  DISCORD_CHART: z.enum(["on", "off"]).default("on"),
  /** Colours of the card chart: `dark` (default, matches Discord's dark theme) or `light`. */
  DISCORD_CHART_THEME: z.enum(["light", "dark"]).default("dark"),
});

/** Validated function settings. */
export type FunctionEnv = z.infer<typeof FunctionEnvSchema>;

/** A snapshot of the process environment (the one place that reads Deno.env). */
export function processEnv(): Record<string, string> {
  return Deno.env.toObject();
}

/**
 * Parses function settings from `source` (default: the process environment). Empty strings count as
 * unset. Throws EnvError naming every invalid or missing variable, e.g.
 * `invalid environment: SUPABASE_DB_URL is required; DB_POOL_MAX must be a whole number`.
 */
export function loadFunctionEnv(
  source: Record<string, string | undefined> = processEnv(),
): FunctionEnv {
  return parseEnv(FunctionEnvSchema, source);
}

/** `source` without unset and empty variables, parsed with `schema`; EnvError naming every bad one. */
function parseEnv<T>(schema: z.ZodType<T>, source: Record<string, string | undefined>): T {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== "") cleaned[k] = v;
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new EnvError(`invalid environment: ${describeEnvIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** One line naming each variable of a zod error and what is wrong with it. */
export function describeEnvIssues(error: z.ZodError): string {
  return error.issues.map((i) => {
    const name = i.path.join(".") || "environment";
    const missing = i.code === "invalid_type" && /undefined/.test(i.message);
    return missing ? `${name} is required` : `${name} ${i.message.replace(/^Invalid input: /, "")}`;
  }).join("; ");
}

/** The settings `deno task register-commands` reads (a subset of the functions' settings). */
export const RegisterEnvSchema = FunctionEnvSchema.pick({
  DISCORD_APPLICATION_ID: true,
  DISCORD_BOT_TOKEN: true,
  DISCORD_API_URL: true,
  DISCORD_TIMEOUT_MS: true,
});

/** Validated register-commands settings. */
export type RegisterEnv = z.infer<typeof RegisterEnvSchema>;

/** Parses the register-commands settings from `source` (default: the process environment); EnvError like {@link loadFunctionEnv}. */
export function loadRegisterEnv(
  source: Record<string, string | undefined> = processEnv(),
): RegisterEnv {
  return parseEnv(RegisterEnvSchema, source);
}

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

const intFrom = (min: number, max: number) =>
  z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(
    z.number().int().min(min).max(max),
  );

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
  /** Binance REST base URL for backfills (default https://data-api.binance.vision, market data only). */
  BINANCE_REST_URL: z.string().url().default("https://data-api.binance.vision"),
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
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== "") cleaned[k] = v;
  const parsed = FunctionEnvSchema.safeParse(cleaned);
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

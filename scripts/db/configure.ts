/**
 * Sets the database's wake-up configuration (the one documented command): the Edge Functions base
 * URL and the key that signs every wake-up (HMAC-SHA256, headers x-wake-timestamp/x-wake-signature;
 * the key itself never leaves the database). Stored in Vault when the database has it (Supabase),
 * else in private.config. Optionally opens/closes signals to anon.
 *
 * Usage: deno task db:configure --functions-url https://<ref>.supabase.co/functions/v1 --secret <s>
 *          [--db-url URL] [--anon-signals on|off]
 * Defaults: --db-url from env DATABASE_URL (or SUPABASE_DB_URL), --secret from env WAKE_SECRET.
 */

import postgres from "postgres";
import { parseArgs } from "node:util";

/** Calls private.configure_functions; returns where the settings were stored ("vault" or "private.config"). */
export async function configureFunctions(
  dbUrl: string,
  functionsUrl: string,
  secret: string,
): Promise<string> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select private.configure_functions(${functionsUrl}, ${secret}) as stored`;
    return r.stored as string;
  } finally {
    await sql.end();
  }
}

/** Opens (true) or closes (false) read access to signals for anon; returns the new state. */
export async function setAnonSignals(dbUrl: string, open: boolean): Promise<boolean> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`select private.set_anon_signals(${open}) as open`;
    return r.open as boolean;
  } finally {
    await sql.end();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "db-url": { type: "string" },
      "functions-url": { type: "string" },
      secret: { type: "string" },
      "anon-signals": { type: "string" },
    },
  });
  const dbUrl = values["db-url"] ?? Deno.env.get("DATABASE_URL") ?? Deno.env.get("SUPABASE_DB_URL");
  const secret = values.secret ?? Deno.env.get("WAKE_SECRET");
  const fail = (msg: string): never => {
    console.error(`db:configure: ${msg}`);
    Deno.exit(2);
  };
  if (!dbUrl) fail("pass --db-url URL or set DATABASE_URL");
  if (!values["functions-url"] && !values["anon-signals"]) {
    fail("pass --functions-url URL --secret S (or env WAKE_SECRET), and/or --anon-signals on|off");
  }
  try {
    if (values["functions-url"]) {
      if (!secret) fail("pass --secret S or set WAKE_SECRET");
      const stored = await configureFunctions(dbUrl!, values["functions-url"], secret!);
      console.log(JSON.stringify({ level: "info", msg: "functions configured", stored }));
    }
    if (values["anon-signals"]) {
      const v = values["anon-signals"];
      if (v !== "on" && v !== "off") fail("--anon-signals takes on or off");
      const open = await setAnonSignals(dbUrl!, v === "on");
      console.log(JSON.stringify({ level: "info", msg: "anon signals access", open }));
    }
  } catch (e) {
    fail((e as Error).message.split("\n")[0]);
  }
}

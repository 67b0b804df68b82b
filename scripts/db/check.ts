/**
 * Checks a deployed database for what its owner must fix (`deno task db:check`): sign-ups that look
 * open and stored settings that fail validation (api.status_warnings), and anything anon or
 * authenticated can reach that they should not (scripts/db/privileges.ts). Read-only.
 *
 * Usage: `deno task db:check [--db-url URL] [--json]`; URL defaults to env SUPABASE_DB_URL (alias
 * DATABASE_URL). Exit code 1 when there is anything to fix.
 */

import { DB_URL_HELP, DB_URL_OPTIONS, dbUrlFrom, withSql } from "../lib/cli/database.ts";
import { parseCli, runCli, UsageError } from "../lib/cli/run_cli.ts";
import { privilegeLeaks } from "./privileges.ts";

const HELP = `usage: deno task db:check [--db-url URL] [--json]
Checks a deployed database (read-only): Auth sign-ups that look open (anonymous users, self sign-ups
in Auth's audit log), settings in private.config that fail validation, and tables, sequences or
functions anon or authenticated can reach. Exit code 1 when there is anything to fix.
${DB_URL_HELP}
  --json   one JSON object {warnings: [...], leaks: [...], auth: {...}} instead of text`;

/** What {@link checkDatabase} found. */
export interface DatabaseCheck {
  /** Sentences for people (api.status_warnings): open sign-ups, invalid stored settings. */
  warnings: string[];
  /** `<role> can <what> <schema>.<object>` for each privilege anon/authenticated should not hold. */
  leaks: string[];
  /** The sign-up evidence (private.auth_signups): {available, users, anonymous_users, ...}. */
  auth: Record<string, unknown>;
}

/** Runs every check on the database at `url` (changes nothing). Throws a one-line UsageError on DB errors. */
export function checkDatabase(url: string): Promise<DatabaseCheck> {
  return withSql(url, async (sql) => {
    const [r] = await sql`select api.status_warnings() as warnings, private.auth_signups() as auth`;
    return {
      warnings: r.warnings as string[],
      leaks: await privilegeLeaks(sql),
      auth: r.auth as Record<string, unknown>,
    };
  });
}

/** Runs `deno task db:check`; returns 1 when there is anything to fix. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, HELP, {
    ...DB_URL_OPTIONS,
    json: { type: "boolean" },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const found = await checkDatabase(dbUrlFrom(values));
  const bad = found.warnings.length + found.leaks.length;
  if (values.json) {
    console.log(JSON.stringify(found));
    return bad ? 1 : 0;
  }
  for (const w of found.warnings) console.log(`warning: ${w}`);
  for (const l of found.leaks) console.log(`leak: ${l}`);
  const auth = found.auth.available
    ? `${found.auth.users} Auth users, ${found.auth.anonymous_users ?? "?"} anonymous, ${
      found.auth.self_signups ?? "?"
    } self sign-ups on record`
    : "no auth schema to read";
  console.log(
    bad
      ? `db:check: ${found.warnings.length} warning(s), ${found.leaks.length} privilege leak(s) (${auth})`
      : `db:check: nothing to fix (${auth}; sign-ups can still be open with no evidence yet: see the README)`,
  );
  return bad ? 1 : 0;
}

if (import.meta.main) await runCli(main);

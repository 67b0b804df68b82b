/**
 * A CLI for tests/db/postgres_restart.test.ts: runs `select 1` and then `select 2` on the database at
 * URL (one connection) and prints `{"first": "ok" | SQLSTATE, "second": …}` as JSON. Built on
 * runCli like every CLI, so it shows how a CLI fares when its connection is killed while postgres.js
 * fetches the array types.
 */

import postgres from "postgres";
import { runCli } from "../../scripts/lib/cli/run_cli.ts";

async function main(args: string[]): Promise<void> {
  const sql = postgres(args[0], { max: 1, onnotice: () => {} });
  try {
    const first = await sql`select 1 as x`.then(
      () => "ok",
      (e) => String((e as { code?: string }).code ?? (e as Error).message),
    );
    const [{ x }] = await sql`select 2 as x`;
    console.log(JSON.stringify({ first, second: x }));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

if (import.meta.main) await runCli(main);

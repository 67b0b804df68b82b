/**
 * Applies the database: the local prelude (only on plain Postgres, never on Supabase), every
 * migration in supabase/migrations not yet recorded in supabase_migrations.schema_migrations (the
 * Supabase CLI's own history table, so `supabase migration up` agrees), and optionally seed.sql.
 *
 * Usage: `deno task db:migrate [--db-url URL] [--force] [--prelude-only] [--json]` (the task adds
 * --seed; URL defaults to env SUPABASE_DB_URL, alias DATABASE_URL).
 */

import { DB_URL_HELP, DB_URL_OPTIONS, dbUrlFrom, withSql } from "../lib/cli/database.ts";
import { parseCli, repoRoot, runCli } from "../lib/cli/run_cli.ts";

const HELP = `usage: deno task db:migrate [--db-url URL] [--force] [--prelude-only] [--json]
Applies the local prelude (plain Postgres only, never on Supabase), every migration in
supabase/migrations not yet recorded in supabase_migrations.schema_migrations, and supabase/seed.sql.
${DB_URL_HELP}
  --seed          also run supabase/seed.sql (the task passes it)
  --force         re-run every migration, even those recorded as applied (they are re-runnable)
  --prelude-only  apply the local prelude alone (before \`supabase migration up\`)
  --json          print one JSON object ({prelude, files}) instead of text`;

/** Options for {@link applyDatabase}. */
export interface ApplyOptions {
  /** Repository root (folder holding supabase/). */
  root: string;
  /** Also run supabase/seed.sql (idempotent). */
  seed?: boolean;
  /** Re-run every migration even when recorded as applied (checks they are re-runnable). */
  force?: boolean;
  /** Apply migrations (default true); false applies the prelude alone (before `supabase migration up`). */
  migrations?: boolean;
  /**
   * Apply only migrations whose version (the file name's leading timestamp) is at most this one, as a
   * push that stops halfway would leave the database; the seed is then skipped.
   */
  upTo?: string;
  /** Receives one progress line at a time. */
  log?: (line: string) => void;
}

/** What {@link applyDatabase} did. */
export interface ApplyResult {
  /** True when the local prelude was applied (plain Postgres). */
  prelude: boolean;
  /** Files executed, relative to root. */
  files: string[];
}

/**
 * Applies prelude (plain Postgres only), pending migrations and optionally the seed to `url`.
 * Throws Error `<file>: <message>` when a file fails, and a one-line UsageError (from withSql) when
 * the database cannot be reached.
 */
export function applyDatabase(url: string, opts: ApplyOptions): Promise<ApplyResult> {
  return withSql(url, async (sql) => {
    const log = opts.log ?? (() => {});
    const files: string[] = [];
    const run = async (rel: string) => {
      const text = await Deno.readTextFile(`${opts.root}${rel}`);
      try {
        await sql.unsafe(text).simple();
      } catch (e) {
        throw new Error(`${rel}: ${(e as Error).message}`);
      }
      files.push(rel);
    };
    const [{ supabase }] = await sql<{ supabase: boolean }[]>`
      select exists (select 1 from pg_roles where rolname = 'supabase_admin') as supabase`;
    if (!supabase) {
      for (const f of await sqlFiles(`${opts.root}supabase/local`)) {
        await run(`supabase/local/${f}`);
      }
    }
    if (opts.migrations === false) return { prelude: !supabase, files };
    await sql.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text primary key);
      alter table supabase_migrations.schema_migrations
        add column if not exists statements text[], add column if not exists name text;`).simple();
    const done = new Set(
      (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`)
        .map((r) => r.version),
    );
    for (const f of await sqlFiles(`${opts.root}supabase/migrations`)) {
      const m = f.match(/^(\d+)_(.+)\.sql$/);
      if (!m) throw new Error(`supabase/migrations/${f}: name must be <timestamp>_<name>.sql`);
      if (opts.upTo !== undefined && BigInt(m[1]) > BigInt(opts.upTo)) break;
      if (done.has(m[1]) && !opts.force) continue;
      await run(`supabase/migrations/${f}`);
      await sql`insert into supabase_migrations.schema_migrations (version, name)
        values (${m[1]}, ${m[2]}) on conflict (version) do nothing`;
      log(`migration ${f} applied`);
    }
    if (opts.seed && opts.upTo === undefined) await run("supabase/seed.sql");
    return { prelude: !supabase, files };
  });
}

async function sqlFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".sql")) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/** Runs `deno task db:migrate`. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseCli(args, HELP, {
    ...DB_URL_OPTIONS,
    seed: { type: "boolean" },
    force: { type: "boolean" },
    "prelude-only": { type: "boolean" },
    json: { type: "boolean" },
  });
  const url = dbUrlFrom(values);
  const r = await applyDatabase(url, {
    root: repoRoot(),
    seed: values.seed,
    force: values.force,
    migrations: !values["prelude-only"],
    log: values.json ? undefined : (l) => console.log(l),
  });
  if (values.json) {
    console.log(JSON.stringify(r));
    return;
  }
  const migrations = r.files.filter((f) => f.startsWith("supabase/migrations/")).length;
  console.log(
    `database ready: ${r.prelude ? "local prelude applied, " : ""}${migrations} migration${
      migrations === 1 ? "" : "s"
    } applied${r.files.includes("supabase/seed.sql") ? ", seed applied" : ""}`,
  );
}

if (import.meta.main) await runCli(main);

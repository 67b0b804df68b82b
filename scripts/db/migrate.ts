/**
 * Applies the database: the local prelude (only on plain Postgres, never on Supabase), every
 * migration in supabase/migrations not yet recorded in supabase_migrations.schema_migrations (the
 * Supabase CLI's own history table, so `supabase migration up` agrees), and optionally seed.sql.
 *
 * Usage: deno run -A scripts/db/migrate.ts [--db-url URL] [--seed] [--force] [--prelude-only]
 *   (URL defaults to env DATABASE_URL)
 */

import postgres from "postgres";
import { parseArgs } from "node:util";

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

/** Applies prelude (plain Postgres only), pending migrations and optionally the seed to `url`. */
export async function applyDatabase(url: string, opts: ApplyOptions): Promise<ApplyResult> {
  const log = opts.log ?? (() => {});
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const files: string[] = [];
  try {
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
      if (done.has(m[1]) && !opts.force) continue;
      await run(`supabase/migrations/${f}`);
      await sql`insert into supabase_migrations.schema_migrations (version, name)
        values (${m[1]}, ${m[2]}) on conflict (version) do nothing`;
      log(`db: migration ${f}`);
    }
    if (opts.seed) await run("supabase/seed.sql");
    return { prelude: !supabase, files };
  } finally {
    await sql.end();
  }
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

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "db-url": { type: "string" },
      seed: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "prelude-only": { type: "boolean", default: false },
    },
  });
  const url = values["db-url"] ?? Deno.env.get("DATABASE_URL");
  if (!url) {
    console.error("migrate: pass --db-url URL or set DATABASE_URL");
    Deno.exit(2);
  }
  try {
    const r = await applyDatabase(url, {
      root: new URL("../../", import.meta.url).pathname,
      seed: values.seed,
      force: values.force,
      migrations: !values["prelude-only"],
      log: (l) => console.error(l),
    });
    console.log(JSON.stringify({ level: "info", msg: "database applied", ...r }));
  } catch (e) {
    console.error(`migrate: ${(e as Error).message}`);
    Deno.exit(1);
  }
}

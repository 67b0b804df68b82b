/**
 * The local Realtime server's change feed: row changes of the tables in the `supabase_realtime`
 * publication, from Postgres LISTEN/NOTIFY.
 *
 * Supabase Realtime reads the write-ahead log through a logical replication slot (wal2json); Debian's
 * Postgres 15 has no wal2json and a plain stack has no replication setup, so this feed uses a row
 * trigger instead. The server installs it itself, at start, in its own schema `local_realtime`
 * (never in `supabase/migrations`, never on Supabase): one trigger per published table, named for this
 * server instance, that NOTIFYs the table, the operation and the primary key of the row. Each
 * instance listens on its own connection whose `application_name` is its trigger name, so a later
 * start can tell a dead instance's leftover triggers (no such connection in `pg_stat_activity`) from a
 * live one's and drop them; the connection comes back by itself after a database restart. `stop()`
 * drops this instance's triggers.
 *
 * Differences from the WAL, all documented in the README: the notification is sent at commit (NOTIFY
 * semantics) but carries the trigger's clock time as `commit_timestamp`; the row is read again when
 * the event is dispatched (as Realtime's own RLS check does), so a row deleted meanwhile is not sent;
 * TRUNCATE is not reported. Changes made while the LISTEN connection is down are lost, as
 * Realtime's are across a reconnect.
 */

import postgres from "postgres";

/** One row change, as the trigger reports it. */
export interface RowChange {
  schema: string;
  table: string;
  type: "INSERT" | "UPDATE" | "DELETE";
  /** Primary-key values of the new row (INSERT, UPDATE) as text. */
  pk: Record<string, string>;
  /** Primary-key values of the old row (UPDATE, DELETE) as text. */
  oldPk: Record<string, string>;
  /** False when the table has no primary key (Realtime then reports "Error 400: no primary key"). */
  hasPk: boolean;
  /** ISO 8601 UTC time with milliseconds, Realtime's format (`2025-01-13T04:15:00.123Z`). */
  commitTimestamp: string;
}

/** Advisory-lock class id serializing trigger changes between instances (any constant; "LR"). */
const LOCK_CLASS = 0x4c52;
const PREFIX = "local_realtime_";

const FUNCTION_SQL = `
create schema if not exists local_realtime;
revoke all on schema local_realtime from public;
create or replace function local_realtime.notify_change()
returns trigger
language plpgsql
set search_path = ''
as $fn$
declare
  new_row jsonb := case when tg_op <> 'DELETE' then pg_catalog.to_jsonb(new) end;
  old_row jsonb := case when tg_op <> 'INSERT' then pg_catalog.to_jsonb(old) end;
  pk jsonb := '{}';
  old_pk jsonb := '{}';
  i int;
begin
  for i in 1 .. tg_nargs - 1 loop
    if new_row is not null then
      pk := pk || pg_catalog.jsonb_build_object(tg_argv[i], new_row ->> tg_argv[i]);
    end if;
    if old_row is not null then
      old_pk := old_pk || pg_catalog.jsonb_build_object(tg_argv[i], old_row ->> tg_argv[i]);
    end if;
  end loop;
  perform pg_catalog.pg_notify(tg_argv[0], pg_catalog.jsonb_build_object(
    'schema', tg_table_schema, 'table', tg_table_name, 'type', tg_op,
    'pk', pk, 'old_pk', old_pk, 'has_pk', tg_nargs > 1,
    'commit_timestamp', pg_catalog.to_char(pg_catalog.clock_timestamp() at time zone 'utc',
      'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text);
  return null;
end
$fn$;
comment on function local_realtime.notify_change() is
  'Local stack only (scripts/stack/realtime_feed.ts): NOTIFYs row changes of published tables for the local Realtime server.';
`;

function literal(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** A running feed (see the module doc). */
export class ChangeFeed {
  readonly #sql: postgres.Sql;
  readonly #publication: string;
  readonly #id: number;
  readonly #name: string;
  /** The listening connection (its own client, named for the instance). */
  #listenSql: postgres.Sql | null = null;
  #listener: { unlisten(): Promise<void> } | null = null;

  private constructor(sql: postgres.Sql, publication: string) {
    this.#sql = sql;
    this.#publication = publication;
    this.#id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    this.#name = `${PREFIX}${this.#id}`;
  }

  /** The NOTIFY channel and trigger name of this instance (`local_realtime_<id>`). */
  get name(): string {
    return this.#name;
  }

  /**
   * Installs the trigger function and this instance's triggers on every table in `publication`,
   * drops triggers left by instances that no longer run, and starts listening; each change goes to
   * `onChange` (in commit order), an unreadable notification to `onError`. `sql` must connect as a
   * superuser or the tables' owner (the local stack's `postgres`).
   */
  static async start(
    sql: postgres.Sql,
    dbUrl: string,
    onChange: (c: RowChange) => void,
    onError: (msg: string) => void,
    publication = "supabase_realtime",
  ): Promise<ChangeFeed> {
    const feed = new ChangeFeed(sql, publication);
    feed.#listenSql = postgres(dbUrl, {
      max: 1,
      onnotice: () => {},
      connection: { application_name: feed.#name },
    });
    try {
      feed.#listener = await feed.#listenSql.listen(feed.#name, (text) => {
        let c: RowChange;
        try {
          c = parseChange(text);
        } catch (e) {
          onError(`unreadable change notification: ${(e as Error).message}`);
          return;
        }
        onChange(c);
      });
      await feed.sync(true);
    } catch (e) {
      await feed.stop();
      throw e;
    }
    return feed;
  }

  /**
   * Brings the triggers in line with the publication: one per published table (insert, update and
   * delete as the publication publishes them), none elsewhere; also drops dead instances' triggers.
   * Called at start (`replaceFunction`: also re-create the trigger function) and whenever a
   * subscriber joins (tables can be added to the publication later).
   */
  async sync(replaceFunction = false): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_CLASS}, 0)`;
      await tx`set local lock_timeout = '5s'`;
      const [{ missing }] = await tx<{ missing: boolean }[]>`
        select to_regprocedure('local_realtime.notify_change()') is null as missing`;
      if (missing || replaceFunction) await tx.unsafe(FUNCTION_SQL).simple();
      const ours = await tx<{ rel: string; name: string; id: string }[]>`
        select c.oid::regclass::text as rel, t.tgname as name, substr(t.tgname, ${
        PREFIX.length + 1
      }) as id
        from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where t.tgname like 'local\\_realtime\\_%' and not t.tgisinternal`;
      const live = new Set(
        (await tx<{ name: string }[]>`
          select application_name as name from pg_stat_activity
          where application_name like 'local\\_realtime\\_%'`).map((r) => r.name),
      );
      const tables = await tx<
        { rel: string; pk: string[]; ins: boolean; upd: boolean; del: boolean }[]
      >`
        select c.oid::regclass::text as rel, p.pubinsert as ins, p.pubupdate as upd, p.pubdelete as del,
          coalesce((select array_agg(a.attname::text order by k.ord)
            from pg_index i
            cross join lateral unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
            where i.indrelid = c.oid and i.indisprimary), '{}') as pk
        from pg_publication p
        join pg_publication_tables pt on pt.pubname = p.pubname
        join pg_namespace n on n.nspname = pt.schemaname
        join pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
        where p.pubname = ${this.#publication}`;
      const published = new Set(tables.map((t) => t.rel));
      for (const t of ours) {
        const dead = t.name !== this.#name && !live.has(t.name);
        const unpublished = t.name === this.#name && !published.has(t.rel);
        if (dead || unpublished) await tx.unsafe(`drop trigger ${ident(t.name)} on ${t.rel}`);
      }
      const have = new Set(ours.filter((t) => t.name === this.#name).map((t) => t.rel));
      for (const t of tables) {
        if (have.has(t.rel)) continue;
        const events = [t.ins && "insert", t.upd && "update", t.del && "delete"].filter(Boolean);
        if (events.length === 0) continue;
        const args = [this.#name, ...t.pk].map(literal).join(", ");
        await tx.unsafe(
          `create trigger ${ident(this.#name)} after ${events.join(" or ")} on ${t.rel}
           for each row execute function local_realtime.notify_change(${args})`,
        );
      }
    });
  }

  /** Stops listening and drops this instance's triggers (and the schema when no one else uses it). */
  async stop(): Promise<void> {
    try {
      await this.#listener?.unlisten();
    } catch { /* connection already gone */ }
    this.#listener = null;
    try {
      await this.#sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${LOCK_CLASS}, 0)`;
        await tx`set local lock_timeout = '5s'`;
        const mine = await tx<{ rel: string }[]>`
          select c.oid::regclass::text as rel from pg_trigger t join pg_class c on c.oid = t.tgrelid
          where t.tgname = ${this.#name}`;
        for (const t of mine) await tx.unsafe(`drop trigger ${ident(this.#name)} on ${t.rel}`);
        const [{ others }] = await tx<{ others: number }[]>`
          select count(*)::int as others from pg_trigger where tgname like 'local\\_realtime\\_%'`;
        if (others === 0) await tx`drop schema if exists local_realtime cascade`;
      });
    } catch { /* database gone: nothing left to clean */ }
    await this.#listenSql?.end({ timeout: 5 });
    this.#listenSql = null;
  }
}

/** Parses the trigger's notification (see FUNCTION_SQL). Throws on any other shape. */
export function parseChange(text: string): RowChange {
  const o = JSON.parse(text) as Record<string, unknown>;
  const type = o.type;
  if (type !== "INSERT" && type !== "UPDATE" && type !== "DELETE") {
    throw new Error(`unknown type ${type}`);
  }
  if (typeof o.schema !== "string" || typeof o.table !== "string") throw new Error("no table");
  const textMap = (v: unknown): Record<string, string> => {
    const out: Record<string, string> = {};
    if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
    }
    return out;
  };
  return {
    schema: o.schema,
    table: o.table,
    type,
    pk: textMap(o.pk),
    oldPk: textMap(o.old_pk),
    hasPk: o.has_pk === true,
    commitTimestamp: String(o.commit_timestamp),
  };
}

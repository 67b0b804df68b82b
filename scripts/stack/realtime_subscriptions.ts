/**
 * `postgres_changes` subscriptions of the local Realtime server: parsing the join parameters, checking
 * them against the database (the table is published, the filter's columns exist and the role may
 * select them, the values cast to the column types), and deciding for each row change which
 * subscriptions see it, with what record.
 *
 * The rules are Supabase Realtime's (its `realtime.subscription_check_filters` and
 * `realtime.apply_rls` SQL functions in supabase/realtime, re-implemented here): the record holds the
 * columns the subscriber's role may select; INSERT and UPDATE are delivered only when the row is
 * visible to that role with the subscriber's JWT claims (`set role` + `request.jwt.claims`, so
 * row-level security decides) and it matches the filter; a role that may not select the primary key
 * gets the event with `errors: ["Error 401: Unauthorized"]` and no record; DELETE is not RLS-checked
 * and carries only the primary key of the old row.
 */

import type postgres from "postgres";
import {
  COMPARISONS,
  IDENT,
  parseInList,
  quoteIdent,
  splitConditions,
  textArrayLiteral,
} from "./pg_syntax.ts";
import type { RowChange } from "./realtime_feed.ts";

/** Which operations a subscription wants. */
export type ChangeEvent = "INSERT" | "UPDATE" | "DELETE" | "*";

/** One condition of a filter (`symbol=eq.BTCUSDT`; `in` has several values). */
export interface Condition {
  column: string;
  op: "eq" | "neq" | "lt" | "lte" | "gt" | "gte" | "in";
  values: string[];
}

/** A subscription's parsed parameters. */
export interface SubscriptionSpec {
  event: ChangeEvent;
  schema: string;
  /** A table name, or `*` for every published table of the schema. */
  table: string;
  conditions: Condition[];
}

/** Parameters that cannot be parsed; the message is what Realtime's system message says. */
export class SubscriptionParamsError extends Error {
  override name = "SubscriptionParamsError";
}

function conditionText(c: Condition): string {
  return `${c.column}=${c.op}.${c.op === "in" ? `(${c.values.join(",")})` : c.values[0]}`;
}

/** How Realtime names a subscription's parameters in its error messages. */
export function describeSpec(s: SubscriptionSpec): string {
  return `[event: ${s.event}, schema: ${s.schema}, table: ${s.table}, filters: [${
    s.conditions.map(conditionText).join(", ")
  }]]`;
}

/**
 * Parses one entry of the join payload's `config.postgres_changes` (`{event, schema, table, filter}`),
 * as Realtime does: `event` INSERT/UPDATE/DELETE (any case), anything else is `*`; `schema` alone is
 * every published table of that schema, `table` alone is in `public`; a `filter` needs both.
 * Filters are `column=op.value` conditions joined by commas (AND), with the operators eq, neq, lt,
 * lte, gt, gte and in (the others Realtime knows, and `not.`, are refused here by name).
 * Throws {@link SubscriptionParamsError}.
 */
export function parseSubscriptionParams(params: unknown): SubscriptionSpec {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new SubscriptionParamsError("postgres_changes entries must be objects");
  }
  const p = params as Record<string, unknown>;
  const ev = typeof p.event === "string" ? p.event.toUpperCase() : "*";
  const event: ChangeEvent = ev === "INSERT" || ev === "UPDATE" || ev === "DELETE" ? ev : "*";
  if (p.select !== undefined) {
    throw new SubscriptionParamsError(
      "column selection (`select`) is not supported by the local Realtime server",
    );
  }
  const has = (k: string) => p[k] !== undefined && p[k] !== null;
  const str = (k: string) => typeof p[k] === "string";
  let schema: string, table: string, filter = "";
  if (
    has("schema") && has("table") && has("filter") && str("schema") && str("table") && str("filter")
  ) {
    [schema, table, filter] = [p.schema as string, p.table as string, p.filter as string];
  } else if (has("schema") && has("table") && !has("filter") && str("schema") && str("table")) {
    [schema, table] = [p.schema as string, p.table as string];
  } else if (has("schema") && !has("table") && !has("filter") && str("schema")) {
    [schema, table] = [p.schema as string, "*"];
  } else if (has("table") && !has("schema") && !has("filter") && str("table")) {
    [schema, table] = ["public", p.table as string];
  } else {
    throw new SubscriptionParamsError(
      "No subscription params provided. Please provide at least a `schema` or `table` to subscribe to",
    );
  }
  const conditions: Condition[] = [];
  if (filter.trim() !== "") {
    if (table === "*" || schema === "*") {
      throw new SubscriptionParamsError(
        "Error parsing `filter` params: a filter needs a schema and a table",
      );
    }
    for (const segment of splitConditions(filter.trim())) {
      conditions.push(parseCondition(segment.trim()));
    }
  }
  return { event, schema, table, conditions };
}

function parseCondition(segment: string): Condition {
  const bad = (why: string) =>
    new SubscriptionParamsError(`Error parsing \`filter\` params: ${why}`);
  if (segment === "") throw bad("filter must not contain empty segments (check for extra commas)");
  const eq = segment.indexOf("=");
  if (eq < 0) throw bad(`expected column=operator.value, got ${segment}`);
  const column = segment.slice(0, eq);
  const rest = segment.slice(eq + 1);
  if (!IDENT.test(column)) throw bad(`invalid column name ${JSON.stringify(column)}`);
  if (rest.startsWith("not.")) {
    throw bad(`negated filters (not.) are not supported by the local Realtime server: ${segment}`);
  }
  const dot = rest.indexOf(".");
  if (dot < 0) throw bad(`expected column=operator.value, got ${segment}`);
  const op = rest.slice(0, dot);
  let value = rest.slice(dot + 1);
  if (op === "in") {
    let values: string[];
    try {
      values = parseInList(value);
    } catch (e) {
      throw bad((e as Error).message);
    }
    if (values.length > 100) throw bad("too many values for `in` filter. Maximum 100");
    return { column, op, values };
  }
  if (!(op in COMPARISONS)) {
    throw bad(
      `operator ${
        JSON.stringify(op)
      } is not supported by the local Realtime server (eq, neq, lt, lte, gt, gte, in)`,
    );
  }
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return { column, op: op as Condition["op"], values: [value] };
}

/** A column of a published table, with the subscriber role's right to select it. */
export interface ColumnInfo {
  name: string;
  /** `pg_type.typname` (what Realtime sends in `columns[].type`, e.g. `int8`, `jsonb`). */
  typname: string;
  /** `format_type` (SQL text for casts, e.g. `timestamp with time zone`). */
  type: string;
  isPkey: boolean;
  selectable: boolean;
}

/** The columns of `schema.table` and which of them `role` may select; empty when no such table. */
export async function tableColumns(
  sql: postgres.Sql,
  schema: string,
  table: string,
  role: string,
): Promise<ColumnInfo[]> {
  const rows = await sql<ColumnInfo[]>`
    select a.attname as name, t.typname as typname, format_type(a.atttypid, a.atttypmod) as type,
      coalesce(a.attnum = any(i.indkey::int2[]), false) as "isPkey",
      has_column_privilege(${role}, c.oid, a.attnum, 'SELECT') as selectable
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    left join pg_index i on i.indrelid = c.oid and i.indisprimary
    where n.nspname = ${schema} and c.relname = ${table}
    order by a.attnum`;
  return [...rows];
}

/**
 * Checks a parsed subscription against the database for `role`: returns the published tables it
 * covers (`schema.table` keys), or the error Realtime would report (table not published, a filter
 * column missing or not selectable by the role, a value that does not cast to the column type).
 */
export async function resolveSubscription(
  sql: postgres.Sql,
  publication: string,
  spec: SubscriptionSpec,
  role: string,
): Promise<{ tables: Set<string>; error: string | null }> {
  const published = await sql<{ schema: string; table: string }[]>`
    select schemaname as schema, tablename as table from pg_publication_tables
    where pubname = ${publication}
      and (${spec.schema} = '*' or schemaname = ${spec.schema})
      and (${spec.table} = '*' or tablename = ${spec.table})`;
  if (published.length === 0) {
    return {
      tables: new Set(),
      error:
        `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${
          describeSpec(spec)
        }`,
    };
  }
  const tables = new Set(published.map((t) => `${t.schema}.${t.table}`));
  if (spec.conditions.length === 0) return { tables, error: null };
  const fail = (why: string) => ({
    tables: new Set<string>(),
    error:
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${
        describeSpec(spec)
      }. Exception: ${why}`,
  });
  let columns: ColumnInfo[];
  try {
    columns = await tableColumns(sql, spec.schema, spec.table, role);
  } catch (e) {
    return fail((e as Error).message);
  }
  for (const c of spec.conditions) {
    const col = columns.find((x) => x.name === c.column);
    if (!col || !col.selectable) return fail(`invalid column for filter ${c.column}`);
    try {
      if (c.op === "in") {
        await sql.unsafe(`select ($1::text)::${col.type}[]`, [textArrayLiteral(c.values)]);
      } else await sql.unsafe(`select ($1::text)::${col.type}`, [c.values[0]]);
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  return { tables, error: null };
}

/** The SQL of one condition on alias `t`, adding its parameter to `params`. */
function conditionSql(c: Condition, col: ColumnInfo, params: string[]): string {
  const ref = `t.${quoteIdent(col.name)}`;
  if (c.op === "in") {
    params.push(textArrayLiteral(c.values));
    return `${ref} = any(($${params.length}::text)::${col.type}[])`;
  }
  params.push(c.values[0]);
  return `${ref} ${COMPARISONS[c.op]} ($${params.length}::text)::${col.type}`;
}

/** `jsonb_build_object` over `cols` of alias `t` (chunked: the function takes at most 100 arguments). */
function recordSql(cols: readonly ColumnInfo[], value: (c: ColumnInfo) => string): string {
  if (cols.length === 0) return "'{}'::jsonb";
  const chunks: string[] = [];
  for (let i = 0; i < cols.length; i += 50) {
    const pairs = cols.slice(i, i + 50).map((c) =>
      `'${c.name.replaceAll("'", "''")}', ${value(c)}`
    );
    chunks.push(`jsonb_build_object(${pairs.join(", ")})`);
  }
  return chunks.join(" || ");
}

/** What one channel receives for a change: the matching subscription ids and Realtime's `data`. */
export interface Delivery {
  ids: number[];
  data: Record<string, unknown>;
}

/** A subscription as the dispatcher sees it: its id and parsed spec. */
export interface ActiveSubscription {
  id: number;
  spec: SubscriptionSpec;
}

/**
 * Decides what a channel whose JWT carries `claims` (role `claims.role`) receives for `change`, given
 * its subscriptions that cover the table and operation (`subs`) and the table's columns for that role
 * (`columns`). INSERT/UPDATE read the row in a transaction as the role with `request.jwt.claims`, so
 * grants and RLS decide, and evaluate each subscription's filter on it; DELETE evaluates filters on the
 * old primary key only. Returns null when nothing is visible.
 */
export async function deliveryFor(
  sql: postgres.Sql,
  change: RowChange,
  columns: readonly ColumnInfo[],
  claims: Record<string, unknown>,
  subs: readonly ActiveSubscription[],
): Promise<Delivery | null> {
  const role = String(claims.role);
  const base = { schema: change.schema, table: change.table, type: change.type };
  const errorDelivery = (error: string): Delivery => ({
    ids: subs.map((s) => s.id),
    data: { ...base, columns: null, commit_timestamp: null, record: null, errors: [error] },
  });
  const pkCols = columns.filter((c) => c.isPkey);
  if (change.type !== "DELETE") {
    if (!change.hasPk || pkCols.length === 0) {
      return errorDelivery("Error 400: Bad Request, no primary key");
    }
    if (pkCols.some((c) => !c.selectable)) return errorDelivery("Error 401: Unauthorized");
  }
  const selectable = columns.filter((c) => c.selectable);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const rel = `${quoteIdent(change.schema)}.${quoteIdent(change.table)}`;
  const params: string[] = [];
  const columnsOut = selectable.map((c) => ({ name: c.name, type: c.typname }));

  if (change.type === "DELETE") {
    // No RLS check (Realtime cannot check a deleted row either); filters see the old key only.
    const keyCols = pkCols.filter((c) => change.oldPk[c.name] !== undefined);
    if (keyCols.length === 0) return null;
    const keySelect = keyCols.map((c) => {
      params.push(change.oldPk[c.name]);
      return `($${params.length}::text)::${c.type} as ${quoteIdent(c.name)}`;
    });
    const matchers = subs.map((s) => {
      const terms: string[] = [];
      for (const c of s.spec.conditions) {
        const key = keyCols.find((k) => k.name === c.column);
        if (!key) return "false"; // the old row's other columns are unknown, as in the WAL
        terms.push(conditionSql(c, key, params));
      }
      return terms.join(" and ") || "true";
    });
    const oldRecord = recordSql(
      keyCols.filter((c) => c.selectable),
      (c) => `t.${quoteIdent(c.name)}`,
    );
    const text = `select ${oldRecord} as old_record, ${
      matchers.map((m, i) => `(${m}) as m${i}`).join(", ")
    }
      from (select ${keySelect.join(", ")}) t`;
    const [row] = await sql.unsafe<Record<string, unknown>[]>(text, params);
    const ids = subs.filter((_, i) => row[`m${i}`] === true).map((s) => s.id);
    if (ids.length === 0) return null;
    return {
      ids,
      data: {
        ...base,
        columns: columnsOut,
        commit_timestamp: change.commitTimestamp,
        errors: null,
        old_record: row.old_record,
      },
    };
  }

  const where = pkCols.map((c) => {
    params.push(change.pk[c.name] ?? "");
    return `t.${quoteIdent(c.name)} = ($${params.length}::text)::${c.type}`;
  });
  let oldRecord = "";
  if (change.type === "UPDATE") {
    const oldKey = pkCols.filter((c) => c.selectable && change.oldPk[c.name] !== undefined);
    oldRecord = `, ${
      recordSql(oldKey, (c) => {
        params.push(change.oldPk[c.name]);
        return `($${params.length}::text)::${c.type}`;
      })
    } as old_record`;
  }
  const matchers = subs.map((s) =>
    s.spec.conditions.map((c) => {
      const col = byName.get(c.column);
      return col && col.selectable ? conditionSql(c, col, params) : "false";
    }).join(" and ") || "true"
  );
  const text = `select ${
    recordSql(selectable, (c) => `t.${quoteIdent(c.name)}`)
  } as record${oldRecord}, ${
    matchers.map((m, i) => `(${m}) as m${i}`).join(", ")
  } from ${rel} t where ${where.join(" and ")}`;
  let row: Record<string, unknown> | undefined;
  try {
    row = await sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true),
        set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
        set_config('request.jwt.claim.role', ${role}, true)`;
      const rows = await tx.unsafe<Record<string, unknown>[]>(text, params);
      return rows[0];
    });
  } catch (e) {
    if ((e as { code?: string }).code === "42501") return errorDelivery("Error 401: Unauthorized");
    throw e;
  }
  if (!row) return null;
  const ids = subs.filter((_, i) => row[`m${i}`] === true).map((s) => s.id);
  if (ids.length === 0) return null;
  const data: Record<string, unknown> = {
    ...base,
    columns: columnsOut,
    commit_timestamp: change.commitTimestamp,
    errors: null,
    record: row.record,
  };
  if (change.type === "UPDATE") data.old_record = row.old_record;
  return { ids, data };
}

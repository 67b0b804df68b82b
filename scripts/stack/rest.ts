/**
 * A minimal PostgREST-compatible read API for the local stack, at `/rest/v1/<table>` behind the
 * gateway: what `supabase-js` sends for `.from(t).select(...)` with filters, ordering and a limit, so a
 * subscriber's catch-up query (`deno task watch`) runs offline exactly as against a Supabase project.
 *
 * Supported (PostgREST's own syntax, https://docs.postgrest.org/en/stable/references/api/tables_views.html):
 * - `GET`/`HEAD` on a table or view of the `public` schema (`Accept-Profile: public` or none);
 * - `select=*` or a comma list of column names;
 * - column filters `col=<op>.<value>` with `eq neq gt gte lt lte like ilike in is`
 *   (`in.(a,b,"c,d")`; `is.null|true|false`; `*` is `%` in like patterns);
 * - `order=col[.asc|.desc][.nullsfirst|.nullslast],...`, `limit`, `offset` (at most 1000 rows, the
 *   `max_rows` Supabase projects default to);
 * - `Accept: application/json` (array) or `application/vnd.pgrst.object+json` (`.single()`), with
 *   `;nulls=stripped`; CORS for browser apps.
 *
 * The role comes from the JWT (`Authorization: Bearer`, else the `apikey` header) verified with the
 * local secret; the query runs in a transaction as that role with `request.jwt.claims` set, so
 * grants and row-level security decide exactly as on Supabase. Anything else (writes, RPC, embedding,
 * `or=`, `not.`, `Prefer: count=`) is a 4xx with PostgREST's error shape `{code, message, details, hint}`.
 */

import type postgres from "postgres";
import { JwtError, verifyJwt } from "./jwt.ts";
import { COMPARISONS, IDENT, parseInList, quoteIdent, textArrayLiteral } from "./pg_syntax.ts";

/** Settings of {@link restHandler}. */
export interface RestOptions {
  /** A client connected as a role that may `set role` to anon, authenticated and service_role. */
  sql: postgres.Sql;
  /** Secret that signs the API keys and user tokens (HS256). */
  jwtSecret: string;
  /** Path prefix the handler answers under (default `/rest/v1`). */
  prefix?: string;
  /** Most rows one request returns (default 1000, Supabase's default `max_rows`). */
  maxRows?: number;
}

/** The roles a token may carry here (Supabase's API roles). */
const API_ROLES = new Set(["anon", "authenticated", "service_role"]);

const CORS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers":
    "authorization, apikey, x-client-info, content-type, accept, accept-profile, content-profile, prefer, range, x-retry-count",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
  "access-control-expose-headers": "content-range",
};

/** A refused request: HTTP `status` and PostgREST's error body. */
class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

function errorResponse(e: RestError, head = false): Response {
  const body = { code: e.code, details: e.details, hint: e.hint, message: e.message };
  return new Response(head ? null : JSON.stringify(body), {
    status: e.status,
    headers: { "content-type": "application/json; charset=utf-8", ...CORS },
  });
}

function unsupported(what: string): RestError {
  return new RestError(
    400,
    "PGRST100",
    `${what} is not supported by the local REST API`,
    null,
    "the local stack serves GET with select, eq/neq/gt/gte/lt/lte/like/ilike/in/is filters, order, limit and offset",
  );
}

interface Column {
  name: string;
  /** `format_type` of the column (SQL text, safe to paste into a cast). */
  type: string;
}

/** The SQL query for one request, with its parameters. */
interface Plan {
  text: string;
  params: string[];
  single: boolean;
  offset: number;
}

function planQuery(
  schema: string,
  table: string,
  columns: Column[],
  params: URLSearchParams,
  single: boolean,
  stripNulls: boolean,
  maxRows: number,
): Plan {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const column = (name: string): Column => {
    const c = byName.get(name);
    if (!c) {
      throw new RestError(400, "42703", `column ${table}.${name} does not exist`);
    }
    return c;
  };
  const values: string[] = [];
  const param = (v: string) => {
    values.push(v);
    return `$${values.length}`;
  };

  let select = "*";
  const where: string[] = [];
  let order = "";
  let limit: number | null = null;
  let offset = 0;
  const seen = new Set<string>();
  for (const [key, raw] of params) {
    if (key === "select" || key === "order" || key === "limit" || key === "offset") {
      if (seen.has(key)) throw new RestError(400, "PGRST100", `${key} given more than once`);
      seen.add(key);
    }
    if (key === "select") {
      const names = raw.split(",").map((s) => s.trim());
      if (names.some((n) => n !== "*" && !IDENT.test(n))) {
        throw unsupported(`select=${raw} (only * or column names)`);
      }
      select = names.includes("*") ? "*" : names.map((n) => quoteIdent(column(n).name)).join(", ");
    } else if (key === "order") {
      const terms = raw.split(",").map((term) => {
        const [name, ...mods] = term.trim().split(".");
        if (!IDENT.test(name)) throw unsupported(`order=${raw}`);
        let sqlTerm = quoteIdent(column(name).name);
        for (const m of mods) {
          if (m === "asc" || m === "desc") sqlTerm += ` ${m}`;
          else if (m === "nullsfirst") sqlTerm += " nulls first";
          else if (m === "nullslast") sqlTerm += " nulls last";
          else {throw new RestError(
              400,
              "PGRST100",
              `unknown order modifier "${m}" in order=${raw}`,
            );}
        }
        return sqlTerm;
      });
      order = ` order by ${terms.join(", ")}`;
    } else if (key === "limit" || key === "offset") {
      if (!/^\d{1,9}$/.test(raw)) {
        throw new RestError(400, "PGRST100", `${key} must be a non-negative integer, got ${raw}`);
      }
      if (key === "limit") limit = Number(raw);
      else offset = Number(raw);
    } else if (key === "or" || key === "and" || key === "not.or" || key === "not.and") {
      throw unsupported(`the ${key}= filter`);
    } else if (key === "columns" || key === "on_conflict") {
      throw unsupported(`${key}=`);
    } else {
      if (!IDENT.test(key)) {
        throw unsupported(`the filter ${key} (JSON paths, casts, embedded resources)`);
      }
      const col = column(key);
      const ref = `t.${quoteIdent(col.name)}`;
      const dot = raw.indexOf(".");
      const op = dot < 0 ? raw : raw.slice(0, dot);
      const value = dot < 0 ? "" : raw.slice(dot + 1);
      if (dot < 0) {
        throw new RestError(400, "PGRST100", `filter ${key}=${raw} needs <operator>.<value>`);
      }
      if (op === "not") throw unsupported(`negated filters (${key}=${raw})`);
      if (op in COMPARISONS) {
        where.push(`${ref} ${COMPARISONS[op]} (${param(value)}::text)::${col.type}`);
      } else if (op === "in") {
        let list: string[];
        try {
          list = parseInList(value);
        } catch (e) {
          throw new RestError(400, "PGRST100", `${key}=${raw}: ${(e as Error).message}`);
        }
        where.push(`${ref} = any((${param(textArrayLiteral(list))}::text[])::${col.type}[])`);
      } else if (op === "like" || op === "ilike") {
        where.push(
          `${ref}::text ${op === "like" ? "like" : "ilike"} ${param(value.replaceAll("*", "%"))}`,
        );
      } else if (op === "is") {
        const kw = value.toLowerCase();
        if (!["null", "true", "false", "unknown"].includes(kw)) {
          throw new RestError(
            400,
            "PGRST100",
            `is.${value}: expected null, true, false or unknown`,
          );
        }
        where.push(`${ref} is ${kw}`);
      } else {
        throw new RestError(
          400,
          "PGRST100",
          `unknown or unsupported operator "${op}" in ${key}=${raw}`,
          null,
          "supported: eq neq gt gte lt lte like ilike in is",
        );
      }
    }
  }
  const take = Math.min(limit ?? maxRows, maxRows);
  const row = stripNulls ? "json_strip_nulls(row_to_json(x))" : "row_to_json(x)";
  const text = `select coalesce(json_agg(${row}), '[]')::text as body, count(*)::int as n
    from (select ${select === "*" ? "t.*" : select} from ${quoteIdent(schema)}.${
    quoteIdent(table)
  } t` +
    (where.length ? ` where ${where.join(" and ")}` : "") +
    `${order} limit ${take} offset ${offset}) x`;
  return { text, params: values, single, offset };
}

/** Maps a Postgres error from the query to PostgREST's status (its documented SQLSTATE table). */
function fromPostgresError(e: unknown, role: string): RestError {
  const err = e as { code?: string; message?: string; detail?: string; hint?: string };
  const code = err.code ?? "";
  const message = String(err.message ?? e);
  let status = 500;
  if (code === "42501") status = role === "anon" ? 401 : 403;
  else if (code === "57014") status = 500;
  else if (/^(22|23|42)/.test(code)) status = 400;
  return new RestError(status, code || "PGRST000", message, err.detail ?? null, err.hint ?? null);
}

/**
 * Returns the request handler for the REST subset (see the module doc). It answers every path
 * under `prefix`; each request is one read-only transaction as the token's role.
 */
export function restHandler(opts: RestOptions): (req: Request) => Promise<Response> {
  const prefix = (opts.prefix ?? "/rest/v1").replace(/\/+$/, "");
  const maxRows = opts.maxRows ?? 1000;
  return async (req) => {
    const head = req.method === "HEAD";
    try {
      if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
      const url = new URL(req.url);
      const rest = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : null;
      const m = rest === null ? null : /^\/([^/]+)\/?$/.exec(rest);
      if (!m) {
        if (rest !== null && rest.startsWith("/rpc/")) {
          throw unsupported("calling functions (/rpc)");
        }
        throw new RestError(
          404,
          "PGRST125",
          `no table at ${url.pathname} (expected ${prefix}/<table>)`,
        );
      }
      if (req.method !== "GET" && !head) {
        throw new RestError(
          405,
          "PGRST117",
          `${req.method} is not supported by the local REST API (read-only: GET and HEAD)`,
        );
      }
      const table = decodeURIComponent(m[1]);
      if (!IDENT.test(table)) throw new RestError(404, "PGRST205", `no table named ${table}`);

      // Who is asking: Supabase's gateway wants an apikey; the role comes from the bearer token.
      const apikey = req.headers.get("apikey");
      if (!apikey) {
        throw new RestError(
          401,
          "PGRST301",
          "No API key found in request",
          null,
          'send the "apikey" header',
        );
      }
      const auth = req.headers.get("authorization");
      let token = apikey;
      if (auth !== null) {
        const bm = /^Bearer\s+(\S+)$/i.exec(auth);
        if (!bm) {
          throw new RestError(401, "PGRST301", "Authorization header is not 'Bearer <token>'");
        }
        token = bm[1];
      }
      let claims: Record<string, unknown>;
      try {
        claims = await verifyJwt(opts.jwtSecret, token);
      } catch (e) {
        if (e instanceof JwtError) {
          throw new RestError(401, e.code === "expired" ? "PGRST303" : "PGRST301", e.message);
        }
        throw e;
      }
      const role = String(claims.role);
      if (!API_ROLES.has(role)) {
        throw new RestError(
          401,
          "PGRST301",
          `role "${role}" is not one of anon, authenticated, service_role`,
        );
      }

      const profile = req.headers.get("accept-profile");
      if (profile !== null && profile !== "public") {
        throw new RestError(406, "PGRST106", "The schema must be one of the following: public");
      }
      const accept = (req.headers.get("accept") ?? "application/json").toLowerCase();
      const media = accept.split(";")[0].trim();
      const stripNulls = /;\s*nulls=stripped/.test(accept);
      let single = false;
      if (media === "application/vnd.pgrst.object+json") single = true;
      else if (
        !["application/json", "*/*", "application/vnd.pgrst.array+json", "application/*"].includes(
          media,
        )
      ) {
        throw new RestError(406, "PGRST107", `None of these media types are available: ${accept}`);
      }
      const prefer = req.headers.get("prefer") ?? "";
      if (/count=/.test(prefer)) throw unsupported("Prefer: count=");

      const cols = await opts.sql<Column[]>`
        select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relname = ${table} and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and a.attnum > 0 and not a.attisdropped
        order by a.attnum`;
      if (cols.length === 0) {
        throw new RestError(
          404,
          "PGRST205",
          `Could not find the table 'public.${table}' in the schema cache`,
        );
      }
      const plan = planQuery(
        "public",
        table,
        [...cols],
        url.searchParams,
        single,
        stripNulls,
        maxRows,
      );

      let result: { body: string; n: number };
      try {
        result = await opts.sql.begin(async (tx) => {
          await tx`select set_config('role', ${role}, true),
            set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
            set_config('request.jwt.claim.role', ${role}, true),
            set_config('statement_timeout', '8000', true),
            set_config('transaction_read_only', 'on', true)`;
          const [r] = await tx.unsafe<{ body: string; n: number }[]>(plan.text, plan.params);
          return r;
        });
      } catch (e) {
        throw fromPostgresError(e, role);
      }
      let body = result.body;
      if (plan.single) {
        if (result.n !== 1) {
          throw new RestError(
            406,
            "PGRST116",
            "JSON object requested, multiple (or no) rows returned",
            `The result contains ${result.n} rows`,
          );
        }
        body = JSON.stringify((JSON.parse(body) as unknown[])[0]);
      }
      const range = result.n === 0 ? "*/*" : `${plan.offset}-${plan.offset + result.n - 1}/*`;
      return new Response(head ? null : body, {
        status: 200,
        headers: {
          "content-type": plan.single
            ? "application/vnd.pgrst.object+json; charset=utf-8"
            : "application/json; charset=utf-8",
          "content-range": range,
          ...CORS,
        },
      });
    } catch (e) {
      if (e instanceof RestError) return errorResponse(e, head);
      const msg = (e as Error).message ?? String(e);
      return errorResponse(new RestError(500, "PGRST000", `local REST API: ${msg}`), head);
    }
  };
}

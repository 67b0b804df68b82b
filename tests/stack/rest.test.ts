/**
 * The local REST subset with the real supabase-js client (and raw HTTP for what supabase-js would not
 * send) on the test database: reads run as the token's role under RLS; anything outside the subset is
 * a 4xx with PostgREST's error shape.
 */

import assert from "node:assert/strict";
import { signJwt } from "../../scripts/stack/jwt.ts";
import { connect, withTestSymbol } from "../db/test_database.ts";
import { insertSignal, startApi } from "../support/local_api.ts";

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 6);

Deno.test("supabase-js reads signals with eq/gt filters, order and limit, as the token's role", async () => {
  const api = await startApi();
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTREST", async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await insertSignal(sql, "TSTREST", T0 + i * H));
      const user = await api.client(api.anonKey, await api.userToken());
      const { data, error, status } = await user.from("signals").select(
        "id, symbol, open_time, entry",
      )
        .eq("symbol", "TSTREST").gt("id", ids[1]).order("id", { ascending: false }).limit(2);
      assert.equal(error, null);
      assert.equal(status, 200);
      assert.deepEqual(data?.map((r) => r.id), [ids[4], ids[3]]);
      assert.deepEqual(Object.keys(data?.[0] ?? {}), ["id", "symbol", "open_time", "entry"]);
      assert.equal(
        data?.[0].open_time,
        new Date(T0 + 4 * H).toISOString().replace(".000Z", "+00:00"),
      );
      assert.equal(data?.[0].entry, 100.5);

      const all = await user.from("signals").select("*").eq("symbol", "TSTREST").order("id");
      const [row] = await sql<{ row: Record<string, unknown> }[]>`
        select to_jsonb(s) as row from public.signals s where id = ${ids[0]}`;
      assert.deepEqual(all.data?.[0], row.row, "the same JSON as the row");

      const one = await user.from("signals").select("id").eq("id", ids[2]).single();
      assert.deepEqual(one.data, { id: ids[2] });
      const many = await user.from("signals").select("id").eq("symbol", "TSTREST").single();
      assert.equal(many.status, 406);
      assert.equal(many.error?.code, "PGRST116");

      const inList = await user.from("signals").select("id").in("id", [ids[0], ids[3]]).order("id");
      assert.deepEqual(inList.data?.map((r) => r.id), [ids[0], ids[3]]);

      // anon has no grant on signals (until --anon-signals on): PostgREST's 401 for anon.
      const anon = await api.client(api.anonKey);
      const refused = await anon.from("signals").select("*").limit(1);
      assert.equal(refused.status, 401);
      assert.equal(refused.error?.code, "42501");
      // service_role bypasses RLS and may read server-only tables.
      const service = await api.client(api.serviceRoleKey);
      const candles = await service.from("candles").select("symbol").limit(1);
      assert.equal(candles.error, null);
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("the REST subset refuses what it does not support with a 4xx and PostgREST's error shape", async () => {
  const api = await startApi();
  try {
    const token = await api.userToken();
    const headers = { apikey: api.anonKey, authorization: `Bearer ${token}` };
    const get = (path: string, extra: Record<string, string> = {}, method = "GET") =>
      fetch(`${api.url}/rest/v1/${path}`, { method, headers: { ...headers, ...extra } });
    const cases: [string, Promise<Response>, number, RegExp][] = [
      [
        "a write",
        get("signals", { "content-type": "application/json" }, "POST"),
        405,
        /POST is not supported/,
      ],
      ["a delete", get("signals?id=eq.1", {}, "DELETE"), 405, /read-only/],
      ["an RPC", get("rpc/anything"), 400, /calling functions/],
      ["embedding", get("signals?select=id,symbols(symbol)"), 400, /only \* or column names/],
      ["a cast in select", get("signals?select=id::text"), 400, /only \* or column names/],
      ["an unknown column", get("signals?select=nope"), 400, /column signals\.nope does not exist/],
      ["an unknown filter column", get("signals?nope=eq.1"), 400, /does not exist/],
      ["an unknown operator", get("signals?id=xx.1"), 400, /unsupported operator "xx"/],
      ["a negated filter", get("signals?id=not.eq.1"), 400, /negated filters/],
      ["or=", get("signals?or=(id.eq.1,id.eq.2)"), 400, /or= filter/],
      ["a bad limit", get("signals?limit=-1"), 400, /non-negative integer/],
      ["a bad value", get("signals?id=eq.abc"), 400, /invalid input syntax for type bigint/],
      ["a count", get("signals", { prefer: "count=exact" }), 400, /Prefer: count/],
      ["another schema", get("signals", { "accept-profile": "private" }), 406, /must be one of/],
      ["CSV", get("signals", { accept: "text/csv" }), 406, /media types/],
      ["an unknown table", get("nope"), 404, /public\.nope/],
      ["no apikey", fetch(`${api.url}/rest/v1/signals`), 401, /No API key/],
      [
        "a foreign token",
        get("signals", {
          authorization: `Bearer ${await signJwt("other", { role: "authenticated" })}`,
        }),
        401,
        /signature/,
      ],
      ["not a bearer token", get("signals", { authorization: "Basic abc" }), 401, /Bearer/],
      [
        "a role outside the API",
        get("signals", {
          authorization: `Bearer ${await signJwt(api.api.keys.jwtSecret, { role: "postgres" })}`,
        }),
        401,
        /not one of anon, authenticated, service_role/,
      ],
    ];
    for (const [what, pending, status, message] of cases) {
      const res = await pending;
      const body = await res.json();
      assert.equal(res.status, status, `${what}: ${JSON.stringify(body)}`);
      assert.deepEqual(Object.keys(body).sort(), ["code", "details", "hint", "message"], what);
      assert.match(body.message, message, `${what}: ${body.message}`);
    }
    const preflight = await fetch(`${api.url}/rest/v1/signals`, { method: "OPTIONS" });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    await preflight.body?.cancel();
  } finally {
    await api.stop();
  }
});

Deno.test("REST reads honour row-level security with the caller's claims", async () => {
  const api = await startApi();
  const sql = connect();
  const alice = crypto.randomUUID();
  try {
    await sql.unsafe(`
      drop table if exists public.rest_test_notes;
      create table public.rest_test_notes (id bigint generated always as identity primary key,
        owner uuid not null, body text);
      alter table public.rest_test_notes enable row level security;
      grant select on public.rest_test_notes to authenticated;
      create policy own_notes on public.rest_test_notes for select to authenticated
        using (owner = (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid);`)
      .simple();
    await sql`insert into public.rest_test_notes (owner, body)
      values (${alice}, 'mine'), (${crypto.randomUUID()}, 'theirs'), (${alice}, null)`;
    const client = await api.client(api.anonKey, await api.userToken(alice));
    const { data } = await client.from("rest_test_notes").select("body").order("id");
    assert.deepEqual(data, [{ body: "mine" }, { body: null }]);
    const stripped = await fetch(`${api.url}/rest/v1/rest_test_notes?select=body&order=id`, {
      headers: {
        apikey: api.anonKey,
        authorization: `Bearer ${await api.userToken(alice)}`,
        accept: "application/vnd.pgrst.array+json;nulls=stripped",
      },
    });
    assert.deepEqual(await stripped.json(), [{ body: "mine" }, {}]);
  } finally {
    await sql`drop table if exists public.rest_test_notes`;
    await sql.end();
    await api.stop();
  }
});

import assert from "node:assert/strict";
import { NetDispatcher } from "../../scripts/db/dispatcher.ts";
import { connect, testDatabaseUrl } from "./test_database.ts";

interface Seen {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

/** A real local HTTP server that records requests; /slow answers after 1 s. */
function startServer() {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      path: url.pathname + url.search,
      headers: req.headers,
      body: await req.text(),
    });
    if (url.pathname === "/slow") await new Promise((r) => setTimeout(r, 1000));
    return Response.json({ ok: true, path: url.pathname }, {
      status: url.pathname === "/fail" ? 503 : 200,
    });
  });
  return { seen, server, base: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("dispatcher sends a queued request only after its transaction commits and records the response", async () => {
  const { seen, server, base } = startServer();
  const sql = connect(2);
  const d = new NetDispatcher({ url: testDatabaseUrl() });
  try {
    let id = 0;
    await sql.begin(async (tx) => {
      const [r] = await tx`select net.http_post(${base + "/analyze"}, '{"series":[1,2]}'::jsonb,
        '{"x":"1"}'::jsonb, '{"Content-Type":"application/json","x-wake-secret":"s3cret"}'::jsonb, 2000) as id`;
      id = Number(r.id);
      // (It also sends whatever other test files left queued in the shared database.)
      await d.drainOnce();
      assert.ok(!seen.some((s) => s.path === "/analyze?x=1"), "uncommitted request is invisible");
      const [q] = await tx`select count(*)::int as n from net.http_request_queue where id = ${id}`;
      assert.equal(q.n, 1, "and still queued");
    });
    assert.ok((await d.drainOnce()) >= 1);
    const hit = seen.find((s) => s.path === "/analyze?x=1");
    assert.ok(hit, `request arrived (${seen.map((s) => s.path)})`);
    assert.equal(hit.method, "POST");
    assert.equal(hit.headers.get("x-wake-secret"), "s3cret");
    assert.deepEqual(JSON.parse(hit.body), { series: [1, 2] });
    const [res] =
      await sql`select status_code, content, timed_out, error_msg, headers ->> 'content-type' as ct
      from net._http_response where id = ${id}`;
    assert.equal(res.status_code, 200);
    assert.deepEqual(JSON.parse(res.content), { ok: true, path: "/analyze" });
    assert.equal(res.timed_out, false);
    assert.equal(res.error_msg, null);
    assert.equal(res.ct, "application/json");
    const [q] = await sql`select count(*)::int as n from net.http_request_queue where id = ${id}`;
    assert.equal(q.n, 0, "the queue row is deleted");
  } finally {
    await d.stop();
    await sql.end();
    await server.shutdown();
  }
});

Deno.test("dispatcher records error statuses, timeouts and refused connections without retrying", async () => {
  const { seen, server, base } = startServer();
  const sql = connect(2);
  const d = new NetDispatcher({ url: testDatabaseUrl() });
  try {
    const ids = await sql`select net.http_post(${base + "/fail"}) as fail,
      net.http_post(${base + "/slow"}, timeout_milliseconds => 200) as slow,
      net.http_post('http://127.0.0.1:1/refused') as refused`;
    const { fail, slow, refused } = ids[0];
    await d.drainOnce();
    const rows = await sql`select id, status_code, timed_out, error_msg from net._http_response
      where id in (${fail}, ${slow}, ${refused})`;
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    assert.equal(byId.get(String(fail))?.status_code, 503);
    assert.equal(byId.get(String(slow))?.timed_out, true);
    assert.match(byId.get(String(slow))?.error_msg ?? "", /Timeout of 200 ms/);
    assert.equal(byId.get(String(refused))?.status_code, null);
    assert.ok(
      (byId.get(String(refused))?.error_msg ?? "").length > 0,
      "refused connection has an error message",
    );
    assert.equal(seen.filter((s) => s.path === "/fail").length, 1, "no retry");
  } finally {
    await d.stop();
    await sql.end();
    await server.shutdown();
  }
});

Deno.test("a started dispatcher delivers an ingest statement's one wake-up via LISTEN before its next poll", async () => {
  const { seen, server, base } = startServer();
  const sql = connect(2);
  // Polling only every 10 minutes: within this test only the notification can deliver it, so the
  // wait below can be generous (a loaded machine) without letting a poll pass for LISTEN.
  const d = new NetDispatcher({ url: testDatabaseUrl(), pollMs: 600_000 });
  const symbol = "TSTWAKE";
  try {
    await d.start();
    await sql`insert into public.symbols (symbol, base_asset, quote_asset, display_name, active, timeframes)
      values (${symbol}, 'TST', 'USDT', ${symbol}, true, '{1h}')`;
    await sql.begin(async (tx) => {
      await tx`select private.configure_functions(${
        base + "/functions/v1"
      }, 'dispatcher-test-secret')`;
      await tx`select * from api.ingest_candles(${
        JSON.stringify(Array.from({ length: 300 }, (_, i) => ({
          symbol,
          timeframe: "1h",
          open_time: Date.UTC(2024, 0, 1) + i * 3_600_000,
          open: 10,
          high: 11,
          low: 9,
          close: 10.5,
          volume: 1,
        })))
      }::text::json)`;
    });
    const deadline = Date.now() + 30_000;
    while (!seen.some((s) => s.path === "/functions/v1/analyze") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const hits = seen.filter((s) => s.path === "/functions/v1/analyze");
    assert.equal(
      hits.length,
      1,
      "one request for the 300-row statement, delivered via LISTEN",
    );
    assert.deepEqual(JSON.parse(hits[0].body).series, [
      {
        symbol,
        timeframe: "1h",
        count: 300,
        last_open_time: Date.UTC(2024, 0, 1) + 299 * 3_600_000,
      },
    ]);
  } finally {
    await d.stop();
    await sql`delete from private.config where key in ('functions_url', 'functions_secret')`;
    await sql`delete from public.symbols where symbol = ${symbol}`;
    await sql.end();
    await server.shutdown();
  }
});

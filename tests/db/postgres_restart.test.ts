/**
 * A database restart that kills a connection while postgres.js is still setting it up (its internal
 * array-type query) must not end a process: postgres.js drops that query's promise, so its rejection
 * escapes as an unhandled rejection (supabase/functions/_shared/postgres_restart.ts). A proxy in front
 * of the real test database plays the restart at exactly that moment, deterministically: it answers
 * the first type query with the FATAL 57P01 a fast shutdown sends, and closes the connection.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { isDroppedTypeFetch } from "../../supabase/functions/_shared/postgres_restart.ts";
import { runScript } from "../support/run_cli.ts";
import { testDatabaseUrl } from "./test_database.ts";

/** A backend ErrorResponse message (PostgreSQL docs, "Message Formats"). */
function errorResponse(code: string, message: string): Uint8Array {
  const fields = `SFATAL\0VFATAL\0C${code}\0M${message}\0\0`;
  const body = new TextEncoder().encode(fields);
  const out = new Uint8Array(5 + body.length);
  out[0] = "E".charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

/**
 * Proxies to the test database; the first connection that sends postgres.js's array-type query
 * gets "terminating connection due to administrator command" instead, and is closed. Later
 * connections pass untouched.
 */
function startRestartProxy(): { url: string; killed: () => boolean; close(): Promise<void> } {
  const target = new URL(testDatabaseUrl());
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const work: Promise<void>[] = [];
  let killed = false;
  const closeAll = (...cs: Deno.Conn[]) => {
    for (const c of cs) {
      try {
        c.close();
      } catch { /* closed */ }
      conns.delete(c);
    }
  };
  const serve = async (client: Deno.Conn) => {
    const server = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
    conns.add(client);
    conns.add(server);
    const back = server.readable.pipeTo(client.writable).catch(() => {});
    const buf = new Uint8Array(64 * 1024);
    let seen = "";
    try {
      for (let n = await client.read(buf); n !== null; n = await client.read(buf)) {
        const chunk = buf.slice(0, n);
        seen = (seen + new TextDecoder().decode(chunk)).slice(-4096);
        if (!killed && seen.includes("pg_catalog.pg_type")) {
          killed = true;
          await client.write(
            errorResponse("57P01", "terminating connection due to administrator command"),
          );
          break;
        }
        await server.write(chunk);
      }
    } catch { /* closed */ }
    closeAll(client, server);
    await back;
  };
  const accepting = (async () => {
    for await (const c of listener) work.push(serve(c));
  })().catch(() => {});
  const url = new URL(target);
  url.port = String((listener.addr as Deno.NetAddr).port);
  return {
    url: url.href,
    killed: () => killed,
    close: async () => {
      listener.close();
      closeAll(...conns);
      await accepting;
      await Promise.allSettled(work);
    },
  };
}

Deno.test("a connection killed during postgres.js's type fetch: the query waiting for it fails, the next one works, and the dropped rejection is recognised", async () => {
  const dropped: unknown[] = [];
  const capture = (ev: PromiseRejectionEvent) => {
    dropped.push(ev.reason);
    ev.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", capture);
  const proxy = startRestartProxy();
  const sql = postgres(proxy.url, { max: 1, onnotice: () => {} });
  try {
    const first = await sql`select 1 as x`.then(() => null, (e) => e);
    assert.ok(proxy.killed(), "the type query was answered with 57P01");
    assert.equal(first?.code, "57P01", "the query waiting for the connection gets the error");
    const [{ x }] = await sql`select 2 as x`;
    assert.equal(x, 2, "the client reconnected");
    assert.equal(dropped.length, 1, "postgres.js dropped one rejection");
    assert.ok(isDroppedTypeFetch(dropped[0]), String(dropped[0]));
    assert.equal((dropped[0] as { code?: string }).code, "57P01");
    // Nothing else is taken for it: a failing user query, a plain error, no error at all.
    const mine = await sql`select nonsense from nowhere`.then(() => null, (e) => e);
    assert.ok(mine instanceof Error && !isDroppedTypeFetch(mine));
    assert.ok(!isDroppedTypeFetch(new Error("pg_catalog.pg_type")));
    assert.ok(!isDroppedTypeFetch(undefined));
  } finally {
    await sql.end({ timeout: 1 });
    await proxy.close();
    globalThis.removeEventListener("unhandledrejection", capture);
  }
});

Deno.test("a CLI whose connection is killed during the type fetch carries on (runCli guards it)", async () => {
  const proxy = startRestartProxy();
  try {
    const r = await runScript("../tests/support/type_fetch_client.ts", [proxy.url]);
    assert.ok(proxy.killed());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { first: "57P01", second: 2 });
  } finally {
    await proxy.close();
  }
});

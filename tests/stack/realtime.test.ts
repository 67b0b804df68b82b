/**
 * The local Realtime endpoint with the real `@supabase/supabase-js` client on the real test database:
 * signals arrive once with the row's fields, filters and row-level security apply per subscriber (as
 * its JWT role and claims allow, checked in the database), tokens are checked, and bad frames get an
 * error reply without harming other subscribers.
 */

import assert from "node:assert/strict";
import { connect, testDatabaseUrl, withTestSymbol } from "../db/test_database.ts";
import { runTask } from "../support/run_cli.ts";
import {
  insertSignal,
  QUIET_MS,
  sleep,
  startApi,
  subscribed,
  waitFor,
} from "../support/local_api.ts";

/** What supabase-js hands a postgres_changes callback. */
interface Change {
  eventType: string;
  schema: string;
  table: string;
  commit_timestamp: string;
  errors: string[] | null;
  new: Record<string, unknown>;
  old: Record<string, unknown>;
}
const asChange = (p: unknown) => p as Change;
const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 6);

/** A raw Phoenix client for frames supabase-js would never send (vsn 2.0.0 arrays by default). */
async function rawSocket(url: string, apikey: string, vsn = "2.0.0") {
  const ws = new WebSocket(
    `${url.replace("http", "ws")}/realtime/v1/websocket?apikey=${apikey}&vsn=${vsn}`,
  );
  const frames: unknown[][] = []; // vsn 1.0.0 frames are objects: read them through `as`
  ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
  await new Promise<void>((res, rej) => {
    ws.onopen = () => res();
    ws.onerror = () => rej(new Error("websocket failed"));
  });
  const closed = new Promise<void>((res) => ws.addEventListener("close", () => res()));
  return {
    ws,
    frames,
    send: (data: string | Uint8Array) => ws.send(data),
    /** The next frame (after those already taken) matching `pred`. */
    async next(pred: (f: unknown[]) => boolean, what: string): Promise<unknown[]> {
      let found: unknown[] | undefined;
      // Generous: it only bounds how long a missing frame takes to fail the test.
      await waitFor(() => (found = frames.find(pred)) !== undefined, what, 15_000);
      frames.splice(frames.indexOf(found as unknown[]), 1);
      return found as unknown[];
    },
    close: async () => {
      ws.close();
      await closed;
    },
  };
}

Deno.test("a signal inserted arrives once, with the same fields as the stored row", async () => {
  const api = await startApi();
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTRTONE", async () => {
      const client = await api.client(api.anonKey, await api.userToken());
      const got: Change[] = [];
      const system: Record<string, unknown>[] = [];
      await subscribed(
        client.channel("one")
          .on("postgres_changes", { event: "INSERT", schema: "public", table: "signals" }, (p) => {
            if ((p.new as { symbol?: string }).symbol === "TSTRTONE") got.push(asChange(p));
          })
          .on("system", {}, (p) => system.push(p)),
      );
      await waitFor(() => system.length > 0, "the subscription's system message");
      assert.deepEqual(system[0], {
        extension: "postgres_changes",
        status: "ok",
        message: "Subscribed to PostgreSQL",
        channel: "one",
      });
      const id = await insertSignal(sql, "TSTRTONE", T0);
      await waitFor(() => got.length >= 1, "the signal");
      await sleep(QUIET_MS);
      assert.equal(got.length, 1, "exactly once");
      const [row] = await sql<{ row: Record<string, unknown> }[]>`
        select to_jsonb(s) as row from public.signals s where id = ${id}`;
      assert.equal(got[0].eventType, "INSERT");
      assert.equal(got[0].schema, "public");
      assert.equal(got[0].table, "signals");
      assert.match(got[0].commit_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(got[0].new, row.row, "every column, same values and types");
      assert.deepEqual(got[0].errors, null);
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("a filter by symbol delivers only that symbol's signals", async () => {
  const api = await startApi();
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTRTA", () =>
      withTestSymbol(sql, "TSTRTB", async () => {
        const client = await api.client(api.anonKey, await api.userToken());
        const got: Change[] = [];
        await subscribed(
          client.channel("filtered").on(
            "postgres_changes",
            { event: "INSERT", schema: "public", table: "signals", filter: "symbol=eq.TSTRTA" },
            (p) => got.push(asChange(p)),
          ),
        );
        const b = await insertSignal(sql, "TSTRTB", T0);
        const a = await insertSignal(sql, "TSTRTA", T0);
        const b2 = await insertSignal(sql, "TSTRTB", T0 + H);
        await waitFor(() => got.length >= 1, "the TSTRTA signal");
        await sleep(QUIET_MS);
        assert.deepEqual(got.map((p) => p.new.id), [a], `not ${b} or ${b2}`);
      }));
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("a channel with one failing subscription receives nothing, as Realtime's single transaction", async () => {
  const api = await startApi();
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTRTMIX", async () => {
      const client = await api.client(api.anonKey, await api.userToken());
      const got: Change[] = [];
      const system: { status?: string; message?: string }[] = [];
      const signals = { event: "INSERT", schema: "public", table: "signals" } as const;
      await subscribed(
        client.channel("mixed")
          .on("postgres_changes", signals, (p) => got.push(asChange(p)))
          // candles is not in the publication: Realtime rolls back the whole channel's subscriptions.
          .on("postgres_changes", { event: "INSERT", schema: "public", table: "candles" }, () => {})
          .on("system", {}, (p) => system.push(p)),
      );
      await waitFor(() => system.length > 0, "the system message");
      assert.equal(system[0].status, "error");
      assert.match(String(system[0].message), /table: candles/);
      await insertSignal(sql, "TSTRTMIX", T0);
      await sleep(QUIET_MS);
      assert.deepEqual(got, [], "not even the signals entry delivers");

      // The same signals entry alone, on a channel of its own, does deliver.
      const alone: Change[] = [];
      await subscribed(
        client.channel("alone").on("postgres_changes", signals, (p) => alone.push(asChange(p))),
      );
      const id = await insertSignal(sql, "TSTRTMIX", T0 + H);
      await waitFor(() => alone.some((p) => p.new.id === id), "the signal on the good channel");
      assert.deepEqual(got, []);
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("an anon key receives no signal until signals are opened to anon (db:configure --anon-signals on)", async () => {
  const api = await startApi();
  const sql = connect();
  const dbArgs = ["--db-url", testDatabaseUrl()];
  try {
    await withTestSymbol(sql, "TSTRTANON", async () => {
      const anon = await api.client(api.anonKey);
      const user = await api.client(api.anonKey, await api.userToken());
      const anonGot: Change[] = [];
      const userGot: Change[] = [];
      const spec = { event: "INSERT", schema: "public", table: "signals" } as const;
      await subscribed(
        anon.channel("anon").on("postgres_changes", spec, (p) => anonGot.push(asChange(p))),
      );
      await subscribed(
        user.channel("user").on("postgres_changes", spec, (p) => userGot.push(asChange(p))),
      );

      const closed = await insertSignal(sql, "TSTRTANON", T0);
      await waitFor(
        () => userGot.some((p) => p.new.id === closed),
        "the authenticated subscriber's copy",
      );
      await sleep(QUIET_MS);
      // Realtime tells a role without SELECT on the key that it is unauthorized, and sends no row.
      assert.ok(anonGot.every((p) => Object.keys(p.new).length === 0), JSON.stringify(anonGot));
      assert.ok(anonGot.every((p) => p.errors?.includes("Error 401: Unauthorized")));

      const on = await runTask("db:configure", [...dbArgs, "--anon-signals", "on"]);
      assert.equal(on.code, 0, on.stderr);
      try {
        const open = await insertSignal(sql, "TSTRTANON", T0 + H);
        await waitFor(() => anonGot.some((p) => p.new.id === open), "anon's copy once opened");
        const row = anonGot.find((p) => p.new.id === open);
        assert.equal(row?.new.symbol, "TSTRTANON");
        assert.equal(row?.errors, null);
      } finally {
        const off = await runTask("db:configure", [...dbArgs, "--anon-signals", "off"]);
        assert.equal(off.code, 0, off.stderr);
      }
      const closedAgain = await insertSignal(sql, "TSTRTANON", T0 + 2 * H);
      await waitFor(() => userGot.some((p) => p.new.id === closedAgain), "the user's copy");
      await sleep(QUIET_MS);
      assert.ok(!anonGot.some((p) => p.new.id === closedAgain), "closed again");
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("row-level security is checked per subscriber with its own JWT claims", async () => {
  const api = await startApi();
  const sql = connect();
  const alice = crypto.randomUUID();
  const bob = crypto.randomUUID();
  try {
    // A scratch table in the publication whose policy reads the subscriber's `sub` claim.
    await sql.unsafe(`
      drop table if exists public.rt_test_notes;
      create table public.rt_test_notes (id bigint generated always as identity primary key,
        owner uuid not null, body text not null);
      alter table public.rt_test_notes enable row level security;
      grant select on public.rt_test_notes to authenticated;
      create policy own_notes on public.rt_test_notes for select to authenticated
        using (owner = (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::uuid);
      alter publication supabase_realtime add table public.rt_test_notes;`).simple();
    const seen: Record<string, Change[]> = { alice: [], bob: [] };
    for (const [name, sub] of [["alice", alice], ["bob", bob]] as const) {
      const c = await api.client(api.anonKey, await api.userToken(sub));
      await subscribed(
        c.channel(`notes-${name}`).on(
          "postgres_changes",
          { event: "*", schema: "public", table: "rt_test_notes" },
          (p) => seen[name].push(asChange(p)),
        ),
      );
    }
    await sql`insert into public.rt_test_notes (owner, body) values (${alice}, 'for alice')`;
    await sql`insert into public.rt_test_notes (owner, body) values (${bob}, 'for bob')`;
    await waitFor(() => seen.alice.length >= 1 && seen.bob.length >= 1, "each owner's note");
    await sleep(QUIET_MS);
    assert.deepEqual(seen.alice.map((p) => p.new.body), ["for alice"]);
    assert.deepEqual(seen.bob.map((p) => p.new.body), ["for bob"]);

    // UPDATE carries the new row and the old key; DELETE only the old key (Realtime's rules).
    await sql`update public.rt_test_notes set body = 'edited' where owner = ${alice}`;
    await waitFor(() => seen.alice.length >= 2, "the update");
    const upd = seen.alice[1];
    assert.equal(upd.eventType, "UPDATE");
    assert.equal(upd.new.body, "edited");
    assert.deepEqual(Object.keys(upd.old), ["id"]);
    await sql`delete from public.rt_test_notes where owner = ${alice}`;
    await waitFor(() => seen.alice.length >= 3, "the delete");
    assert.equal(seen.alice[2].eventType, "DELETE");
    assert.deepEqual(Object.keys(seen.alice[2].old), ["id"]);
    await sleep(QUIET_MS);
    assert.equal(
      seen.bob.length,
      2,
      "bob sees alice's delete (DELETE is not RLS-checked), not her update",
    );
  } finally {
    await sql`drop table if exists public.rt_test_notes`; // also leaves the publication
    await sql.end();
    await api.stop();
  }
});

Deno.test("a malformed frame gets an error reply, not a crash; other subscribers carry on", async () => {
  const warnings: string[] = [];
  const api = await startApi(warnings);
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTRTBAD", async () => {
      const good = await api.client(api.anonKey, await api.userToken());
      const got: Change[] = [];
      await subscribed(
        good.channel("good").on(
          "postgres_changes",
          { event: "INSERT", schema: "public", table: "signals", filter: "symbol=eq.TSTRTBAD" },
          (p) => got.push(asChange(p)),
        ),
      );
      const raw = await rawSocket(api.url, api.anonKey);
      const isError = (f: unknown[]) =>
        f[3] === "phx_reply" && (f[4] as { status?: string }).status === "error";
      const reason = (f: unknown[]) => (f[4] as { response: { reason: string } }).response.reason;

      raw.send("this is not json");
      assert.match(
        reason(await raw.next(isError, "reply to non-JSON")),
        /malformed frame: not JSON/,
      );
      raw.send(JSON.stringify({ topic: "x" }));
      assert.match(
        reason(await raw.next(isError, "reply to an object")),
        /expected \[join_ref, ref, topic/,
      );
      raw.send(JSON.stringify(["1", "2", "realtime:x", "phx_join", "not an object"]));
      const shape = await raw.next(isError, "reply to a bad payload");
      assert.equal(shape[1], "2", "the reply carries the push's ref");
      assert.match(reason(shape), /payload must be an object/);
      raw.send(new Uint8Array([3, 0, 0, 0]));
      assert.match(reason(await raw.next(isError, "reply to binary")), /binary frames/);
      raw.send(JSON.stringify([null, "3", "realtime:nobody", "broadcast", {}]));
      assert.equal(
        reason(await raw.next(isError, "reply to an unjoined topic")),
        "unmatched topic",
      );
      raw.send(JSON.stringify([null, "4", "elsewhere", "phx_join", {}]));
      assert.equal(reason(await raw.next(isError, "reply to a foreign topic")), "unmatched topic");

      // The connection still works, and so does everyone else's.
      raw.send(JSON.stringify([null, "5", "phoenix", "heartbeat", {}]));
      const hb = await raw.next((f) => f[1] === "5", "heartbeat reply");
      assert.deepEqual(hb, [null, "5", "phoenix", "phx_reply", { status: "ok", response: {} }]);
      const id = await insertSignal(sql, "TSTRTBAD", T0);
      await waitFor(() => got.some((p) => p.new.id === id), "the good subscriber's signal");
      assert.ok(api.api.realtime.stats.refusedFrames >= 6);
      await raw.close();

      // Protocol 1.0.0 (objects instead of arrays) is answered in kind.
      const v1 = await rawSocket(api.url, api.anonKey, "1.0.0");
      v1.send(JSON.stringify({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "9" }));
      const v1reply = await v1.next(
        (f) => (f as unknown as { ref: string }).ref === "9",
        "v1 reply",
      );
      assert.deepEqual(v1reply, {
        topic: "phoenix",
        event: "phx_reply",
        payload: { status: "ok", response: {} },
        ref: "9",
      });
      v1.send("[1,2,3]");
      const v1bad = await v1.next(
        (f) => (f as unknown as { event: string }).event === "phx_reply",
        "v1 error",
      );
      assert.match(JSON.stringify(v1bad), /expected \{topic, event, payload, ref\}/);
      await v1.close();
    });
    assert.deepEqual(warnings, []);
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("joins check the token and the subscription as Realtime does", async () => {
  const api = await startApi();
  try {
    // No key, or a key signed with another secret: refused before the upgrade.
    const noKey = await fetch(`${api.url}/realtime/v1/websocket?vsn=2.0.0`, {
      headers: { upgrade: "websocket" },
    });
    assert.equal(noKey.status, 401);
    assert.deepEqual(await noKey.json(), { error: "API key is missing" });
    const forged = api.anonKey.slice(0, -4) + "AAAA";
    const bad = await fetch(`${api.url}/realtime/v1/websocket?vsn=2.0.0&apikey=${forged}`, {
      headers: { upgrade: "websocket" },
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();

    const raw = await rawSocket(api.url, api.anonKey);
    const replyTo = (ref: string) => (f: unknown[]) => f[1] === ref && f[3] === "phx_reply";
    const payload = (f: unknown[]) => f[4] as { status: string; response: Record<string, unknown> };
    const join = (ref: string, topic: string, extra: Record<string, unknown>) =>
      raw.send(JSON.stringify([ref, ref, topic, "phx_join", { config: {}, ...extra }]));

    join("1", "realtime:x", { access_token: forged });
    assert.match(
      String(payload(await raw.next(replyTo("1"), "forged token")).response.reason),
      /^JwtSignatureError/,
    );
    join("2", "realtime:x", { access_token: await api.userToken(undefined, -10) });
    assert.match(
      String(payload(await raw.next(replyTo("2"), "expired token")).response.reason),
      /^InvalidJWTToken: Token has expired/,
    );
    join("3", "realtime:", {});
    assert.match(
      String(payload(await raw.next(replyTo("3"), "empty topic")).response.reason),
      /^TopicNameRequired/,
    );

    // A table outside the publication: the join succeeds, the system message says why nothing comes.
    const entry = { event: "INSERT", schema: "public", table: "candles" };
    join("4", "realtime:c", { config: { postgres_changes: [entry] } });
    const ok = payload(await raw.next(replyTo("4"), "join"));
    assert.equal(ok.status, "ok");
    const [echo] = ok.response.postgres_changes as Record<string, unknown>[];
    assert.deepEqual({ ...echo, id: undefined }, { ...entry, id: undefined });
    assert.equal(typeof echo.id, "number");
    const sys = await raw.next((f) => f[3] === "system", "system message");
    assert.equal((sys[4] as { status: string }).status, "error");
    assert.match((sys[4] as { message: string }).message, /Please check Realtime is enabled/);
    // ... and with `wait`, the join itself fails.
    join("5", "realtime:w", {
      config: { postgres_changes: [entry], postgres_changes_options: { wait: true } },
    });
    assert.match(
      String(payload(await raw.next(replyTo("5"), "wait")).response.reason),
      /^RealtimeDisabledForConfiguration/,
    );
    // A bad filter operator is reported by name.
    join("6", "realtime:f", {
      access_token: await api.userToken(),
      config: {
        postgres_changes: [{
          event: "INSERT",
          schema: "public",
          table: "signals",
          filter: "symbol=foo.x",
        }],
      },
    });
    await raw.next(replyTo("6"), "join with a bad filter");
    const fsys = await raw.next((f) => f[3] === "system" && f[2] === "realtime:f", "filter error");
    assert.match((fsys[4] as { message: string }).message, /operator "foo" is not supported/);

    // Leave: ok, then phx_close.
    raw.send(JSON.stringify(["6", "7", "realtime:f", "phx_leave", {}]));
    assert.equal(payload(await raw.next(replyTo("7"), "leave")).status, "ok");
    await raw.next((f) => f[2] === "realtime:f" && f[3] === "phx_close", "phx_close");

    // A token that expires ends its channel with Realtime's message.
    join("8", "realtime:short", { access_token: await api.userToken(undefined, 1) });
    assert.equal(payload(await raw.next(replyTo("8"), "short-lived join")).status, "ok");
    const expired = await raw.next((f) => f[2] === "realtime:short" && f[3] === "system", "expiry");
    assert.equal((expired[4] as { message: string }).message, "Token has expired");
    await raw.next((f) => f[2] === "realtime:short" && f[3] === "phx_close", "close after expiry");
    await raw.close();
  } finally {
    await api.stop();
  }
});

Deno.test("an access_token push switches the channel to the new token's role", async () => {
  const api = await startApi();
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTRTTOK", async () => {
      const client = await api.client(api.anonKey);
      const got: Change[] = [];
      const system: Record<string, unknown>[] = [];
      await subscribed(
        client.channel("tok").on("postgres_changes", {
          event: "INSERT",
          schema: "public",
          table: "signals",
        }, (p) => {
          if (asChange(p).new.symbol === "TSTRTTOK") got.push(asChange(p));
        }).on("system", {}, (p) => system.push(p)),
      );
      await waitFor(() => system.length >= 1, "the subscription's system message");
      await insertSignal(sql, "TSTRTTOK", T0);
      await sleep(QUIET_MS);
      assert.equal(got.length, 0, "anon sees no signal");
      const confirmed = system.length;
      await client.realtime.setAuth(await api.userToken()); // sends access_token on the joined channel
      // The server confirms the subscriptions again once they run as the new role (a fixed pause
      // here was not always long enough on a loaded machine).
      await waitFor(
        () => system.length > confirmed,
        "the subscription confirmed for the new token",
      );
      assert.equal(system[confirmed].message, "Subscribed to PostgreSQL");
      const id = await insertSignal(sql, "TSTRTTOK", T0 + H);
      await waitFor(() => got.some((p) => p.new.id === id), "the signal after signing in");
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

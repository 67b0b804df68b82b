/**
 * `deno task watch` as a user runs it, against the local API on the test database: it prints each new
 * signal once with the local stack's preview, catches up what a reconnect in the middle of a burst
 * missed, never prints a withdrawn signal as new and reports a printed one withdrawn once, and
 * refuses bad options and keys in one line.
 */

import assert from "node:assert/strict";
import {
  formatPreview,
  formatWithdrawal,
  signalsAfter,
  type StoredSignalRecord,
  withdrawnAfter,
} from "../../scripts/lib/report/signal_preview.ts";
import { verifyJwt } from "../../scripts/stack/jwt.ts";
import { localApiSecret, readLocalApiInfo, startLocalApi } from "../../scripts/stack/local_api.ts";
import { resolveProject } from "../../scripts/watch.ts";
import { connect, testDatabaseUrl, withTestSymbol } from "../db/test_database.ts";
import {
  insertSignal,
  sleep,
  startApi,
  startRestartableApi,
  waitFor,
} from "../support/local_api.ts";
import { randomJwtSecret, userToken } from "../../scripts/stack/jwt.ts";
import { hasStackTrace, runTask, spawnScript } from "../support/run_cli.ts";

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 6);

/** A running `deno task watch`: its output as it comes, and its exit. */
function watch(args: string[]) {
  const child = spawnScript("watch.ts", args);
  const out = { stdout: "", stderr: "" };
  const pump = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) out[key] += chunk;
  };
  const pumped = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  const exit = child.status.then(async (s) => {
    await pumped;
    return s.code;
  });
  return {
    out,
    /** Its exit code; it is killed (and this rejects) after `timeoutMs`. */
    exited: async (timeoutMs = 60_000): Promise<number> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* exited */ }
          reject(new Error(`watch still running after ${timeoutMs} ms; stderr: ${out.stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    /** Waits for the note that the first subscribe and catch-up are done. */
    watching: () => waitFor(() => out.stderr.includes("watching "), "watch to subscribe", 30_000),
    kill: () => {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    },
  };
}

/** The stack's record for each id (via the stack's own query), in id order. */
async function stackRecords(
  sql: ReturnType<typeof connect>,
  ids: number[],
): Promise<StoredSignalRecord[]> {
  const all = await signalsAfter(sql, Math.min(...ids) - 1, 10_000);
  return all.filter((r) => ids.includes(r.id));
}

Deno.test("watch prints each new signal once, with the local stack's preview (text and --json)", async () => {
  const api = await startApi();
  const sql = connect();
  const token = await api.userToken();
  const base = ["--url", api.url, "--key", api.anonKey, "--token", token, "--symbol", "tstwatch"];
  try {
    await withTestSymbol(sql, "TSTWATCH", async () => {
      const before = await insertSignal(sql, "TSTWATCH", T0, "stored before the watch started");
      const text = watch([...base, "--count", "2"]);
      const json = watch([...base, "--json", "--last", "1", "--count", "3"]);
      try {
        await text.watching();
        await json.watching();
        const a = await insertSignal(sql, "TSTWATCH", T0 + H, "first live");
        const b = await insertSignal(sql, "TSTWATCH", T0 + 2 * H, "second live");
        assert.equal(await text.exited(), 0, text.out.stderr);
        assert.equal(await json.exited(), 0, json.out.stderr);
        const [r0, ra, rb] = await stackRecords(sql, [before, a, b]);
        assert.equal(text.out.stdout, `${formatPreview(ra)}\n\n${formatPreview(rb)}\n\n`);
        const lines = json.out.stdout.trim().split("\n").map((l) => JSON.parse(l));
        const withoutBar = (r: StoredSignalRecord) => {
          const { id: _id, bar: _bar, ...rest } = r;
          return rest;
        };
        assert.deepEqual(lines, [r0, ra, rb].map(withoutBar), "--last 1, then the live ones");
      } finally {
        text.kill();
        json.kill();
      }
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("a reconnect in the middle of a burst loses nothing that watch prints (catch-up query)", async () => {
  const api = await startApi();
  const sql = connect();
  const total = 60;
  try {
    await withTestSymbol(sql, "TSTBURST", async () => {
      const w = watch([
        "--url",
        api.url,
        "--key",
        api.anonKey,
        "--token",
        await api.userToken(),
        "--symbol",
        "TSTBURST",
        "--json",
        "--count",
        String(total),
      ]);
      try {
        await w.watching();
        const deliveredBefore = api.api.realtime.stats.delivered;
        const inserted: number[] = [];
        for (let i = 0; i < total; i++) {
          inserted.push(await insertSignal(sql, "TSTBURST", T0 + i * H, `burst ${i}`));
          // A third of the way in, the connection drops and Realtime refuses reconnects for a while:
          // everything stored meanwhile is never sent live.
          if (i === 20) api.api.realtime.disconnectAll(1500);
          await sleep(75); // ~5 s in all: the client is back before the burst ends
        }
        assert.equal(await w.exited(), 0, w.out.stderr);
        const ids = w.out.stdout.trim().split("\n").map((l) => JSON.parse(l).openTime);
        assert.equal(ids.length, total, "one line per signal");
        assert.deepEqual(
          [...ids].sort((x, y) => x - y),
          inserted.map((_, i) => T0 + i * H),
          "every signal of the burst, each once",
        );
        assert.match(w.out.stderr, /connection lost/);
        assert.match(w.out.stderr, /subscribed again; catching up/);
        const live = api.api.realtime.stats.delivered - deliveredBefore;
        console.log(`burst: ${live} of ${total} delivered live, the rest by the catch-up query`);
        assert.ok(live < total, `some signals came only through the catch-up (${live} live)`);
        assert.ok(!hasStackTrace(w.out.stderr));
      } finally {
        w.kill();
      }
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

/** Open times (ms) of the signals a --json watch printed, in order (each test signal has its own). */
const printedOpenTimes = (stdout: string) =>
  stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).openTime as number);

Deno.test("a stack restarted with the same keys: watch reconnects and prints what it missed, each once", async () => {
  const api = await startRestartableApi();
  const sql = connect();
  const secret = api.current().keys.jwtSecret;
  try {
    await withTestSymbol(sql, "TSTRESTART", async () => {
      const w = watch([
        "--url",
        api.url,
        "--key",
        api.current().keys.anonKey,
        "--token",
        await userToken(secret, crypto.randomUUID()),
        "--symbol",
        "TSTRESTART",
        "--json",
        "--count",
        "3",
      ]);
      try {
        await w.watching();
        await insertSignal(sql, "TSTRESTART", T0, "before the restart");
        await waitFor(() => printedOpenTimes(w.out.stdout).length === 1, "the first signal");
        // Stopped: its connections close; stored meanwhile, never sent live.
        await api.restart(() =>
          insertSignal(sql, "TSTRESTART", T0 + H, "while down").then(() => {})
        );
        await waitFor(
          () => printedOpenTimes(w.out.stdout).length === 2,
          "the missed signal",
          30_000,
        );
        await insertSignal(sql, "TSTRESTART", T0 + 2 * H, "after the restart");
        assert.equal(await w.exited(), 0, w.out.stderr);
        assert.deepEqual(printedOpenTimes(w.out.stdout), [T0, T0 + H, T0 + 2 * H]);
        assert.match(w.out.stderr, /connection lost/);
        assert.match(w.out.stderr, /subscribed again; catching up/);
        assert.ok(!hasStackTrace(w.out.stderr));
      } finally {
        w.kill();
      }
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("a stack restarted with other keys: watch stops in one line instead of reconnecting forever", async () => {
  const api = await startRestartableApi();
  try {
    const keys = api.current().keys;
    const w = watch([
      "--url",
      api.url,
      "--key",
      keys.anonKey,
      "--token",
      await userToken(keys.jwtSecret, crypto.randomUUID()),
      "--symbol",
      "TSTNOBODY",
    ]);
    try {
      await w.watching();
      await api.restart(undefined, randomJwtSecret());
      assert.equal(await w.exited(30_000), 1, w.out.stderr);
      const lines = w.out.stderr.trim().split("\n");
      assert.match(
        lines[lines.length - 1],
        /^error: the project refused the token \(Failed to validate JWT signature\): check it belongs to this project/,
      );
      assert.ok(!hasStackTrace(w.out.stderr));
      assert.equal(w.out.stdout, "");
    } finally {
      w.kill();
    }
  } finally {
    await api.stop();
  }
});

Deno.test("a token that expires while watching ends the watch in one line (realtime-js does not rejoin)", async () => {
  const api = await startApi();
  try {
    const w = watch([
      "--url",
      api.url,
      "--key",
      api.anonKey,
      "--token",
      await api.userToken(undefined, 4),
      "--symbol",
      "TSTNOBODY",
    ]);
    try {
      await w.watching();
      assert.equal(await w.exited(30_000), 1, w.out.stderr);
      const lines = w.out.stderr.trim().split("\n");
      assert.equal(
        lines[lines.length - 1],
        "error: Realtime ended the subscription: Token has expired (pass a fresh token)",
      );
      assert.ok(!hasStackTrace(w.out.stderr));
    } finally {
      w.kill();
    }
  } finally {
    await api.stop();
  }
});

Deno.test("a withdrawn signal is never printed as new; one printed before gets one WITHDRAWN line, live or at the catch-up", async () => {
  const api = await startRestartableApi();
  const sql = connect();
  const secret = api.current().keys.jwtSecret;
  const withdraw = (id: number) =>
    sql`update public.signals set superseded_at = now(),
      superseded_reason = 'candle history changed from 2025-01-06 00:00 UTC' where id = ${id}`;
  try {
    await withTestSymbol(sql, "TSTWITHDRAW", async () => {
      const w = watch([
        "--url",
        api.url,
        "--key",
        api.current().keys.anonKey,
        "--token",
        await userToken(secret, crypto.randomUUID()),
        "--symbol",
        "TSTWITHDRAW",
        "--count",
        "3",
      ]);
      try {
        await w.watching();
        const a = await insertSignal(sql, "TSTWITHDRAW", T0, "printed, then withdrawn (live)");
        await waitFor(() => w.out.stdout.includes("printed, then withdrawn (live)"), "A");
        await withdraw(a); // its UPDATE reaches the watch live
        await waitFor(() => w.out.stdout.includes(`(signal #${a})`), "A's withdrawal");
        const c = await insertSignal(sql, "TSTWITHDRAW", T0 + H, "withdrawn while away");
        await waitFor(() => w.out.stdout.includes("withdrawn while away"), "C");
        // While the API is down (never sent live): C is withdrawn, and E stored and withdrawn.
        let e = 0;
        await api.restart(async () => {
          await withdraw(c);
          e = await insertSignal(sql, "TSTWITHDRAW", T0 + 2 * H, "never printed");
          await withdraw(e);
        });
        await waitFor(() => w.out.stdout.includes(`(signal #${c})`), "C's withdrawal", 30_000);
        const d = await insertSignal(sql, "TSTWITHDRAW", T0 + 3 * H, "the last one");
        assert.equal(await w.exited(), 0, w.out.stderr);
        const [rd] = await signalsAfter(sql, d - 1, 1);
        const gone = await withdrawnAfter(sql, a - 1);
        const line = (id: number) => {
          const g = gone.find((x) => x.id === id);
          assert.ok(g, `withdrawal ${id}`);
          return formatWithdrawal(g);
        };
        // A and C as they were printed (live then): the preview of D's fields at their bars.
        const as = (id: number, t: number, rationale: string) =>
          formatPreview({ ...rd, id, openTime: t, time: new Date(t).toISOString(), rationale });
        assert.equal(
          w.out.stdout,
          [
            as(a, T0, "printed, then withdrawn (live)"),
            line(a),
            as(c, T0 + H, "withdrawn while away"),
            line(c),
            formatPreview(rd),
          ].map((x) => `${x}\n\n`).join(""),
        );
        assert.ok(!w.out.stdout.includes("never printed"), "E was withdrawn before it was seen");
        assert.match(line(a), /^✖ WITHDRAWN ▲ LONG TSTWITHDRAW 1h {2}bar 2025-01-06 00:00 UTC/);
        assert.match(w.out.stderr, /subscribed again; catching up/);
        assert.ok(e > c);
      } finally {
        w.kill();
      }
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("a replaced database (ids start again) is noticed at the catch-up and followed from its start", async () => {
  const api = await startApi();
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTRESET", async () => {
      // The old database's signal: an id far above the sequence, so the new ones are all below it.
      const oldId = 1_900_000_000 + Math.floor(Math.random() * 1_000_000);
      await sql`insert into public.signals (id, symbol, timeframe, open_time, direction, entry,
          stop_loss, tp1, tp2, tp3, risk_reward, confidence, atr, contributions, patterns, rationale)
        overriding system value values (${oldId}, 'TSTRESET', '1h', ${new Date(
        T0,
      )}, 'long', 100.5, 95.25, 110, 115, 120.75,
          1.87, 0.72, 2.5, '[]', '{}', 'the old database')`;
      const w = watch([
        "--url",
        api.url,
        "--key",
        api.anonKey,
        "--token",
        await api.userToken(),
        "--symbol",
        "TSTRESET",
        "--json",
        "--last",
        "1",
        "--count",
        "3",
      ]);
      try {
        await w.watching();
        // Realtime goes away; meanwhile the database is replaced: the old signal is gone and the new
        // one has a lower id, below the catch-up's usual window (highest printed − 200).
        api.api.realtime.disconnectAll(1500);
        await sql`delete from public.signals where id = ${oldId}`;
        await insertSignal(sql, "TSTRESET", T0 + H, "the new database's first");
        await waitFor(() => printedOpenTimes(w.out.stdout).length === 2, "the new signal", 30_000);
        await insertSignal(sql, "TSTRESET", T0 + 2 * H, "the new database's second");
        assert.equal(await w.exited(), 0, w.out.stderr);
        assert.deepEqual(printedOpenTimes(w.out.stdout), [T0, T0 + H, T0 + 2 * H]);
        assert.match(
          w.out.stderr,
          /signals were replaced \(the newest signal id is \d+, below \d+/,
        );
        assert.ok(!hasStackTrace(w.out.stderr));
      } finally {
        w.kill();
      }
    });
  } finally {
    await sql.end();
    await api.stop();
  }
});

Deno.test("watch refuses bad options and keys that cannot read signals in one line", async () => {
  const api = await startApi();
  try {
    const project = ["--url", api.url, "--key", api.anonKey];
    const cases: [string[], RegExp][] = [
      [[...project, "--symbol", "BTC-USD"], /^error: --symbol: expected a Binance symbol/],
      [[...project, "--timeframe", "7h"], /^error: --timeframe: expected one of 1s 1m/],
      [[...project, "--count", "0"], /^error: --count: expected a positive integer/],
      [[...project, "extra"], /^error: unexpected argument extra/],
      [["--url", "ftp://example.com", "--key", "k"], /^error: --url: expected an http/],
      [["--url", api.url, "--key", "not-a-jwt"], /^error: the project refused the key \(/],
      [
        [...project, "--token", "not-a-jwt"],
        /^error: the project refused the token \(The token provided is not a valid JWT\)/,
      ],
      [
        [...project, "--token", await api.userToken(undefined, -60)],
        /^error: the project refused the token \(.*expired.*\): pass a fresh one\n$/,
      ],
      [[...project, "--token", ""], /^error: --token: empty/],
      [[...project, "--last", "1001"], /^error: --last: at most 1000/],
      // Nothing listens there (a stopped stack, a wrong URL): one line, not an endless retry.
      [
        ["--url", "http://127.0.0.1:9", "--key", "k"],
        /^error: cannot reach the project's Data API: /,
      ],
      // The anon key is valid, but signals are closed to anon by default.
      [project, /^error: this key cannot read signals \(permission denied for table signals\)/],
    ];
    for (const [args, message] of cases) {
      const r = await runTask("watch", args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.ok(!hasStackTrace(r.stderr));
      assert.equal(r.stdout, "");
    }
  } finally {
    await api.stop();
  }
});

Deno.test("the README's subscriber example runs as written: refused rows as errors, then the newest signals and live ones", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const readme = await Deno.readTextFile(`${root}README.md`);
  const start = readme.indexOf(
    'import { createClient } from "@supabase/supabase-js";\n\ntype Signal',
  );
  assert.ok(start > 0, "the example is in the README");
  const code = readme.slice(start, readme.indexOf("```", start));
  const api = await startApi();
  const sql = connect();
  const dbArgs = ["--db-url", testDatabaseUrl()];
  await Deno.mkdir(`${root}.test-results`, { recursive: true });
  const file = `${root}.test-results/readme_subscriber_${crypto.randomUUID()}.ts`;
  await Deno.writeTextFile(file, code);
  const children: Deno.ChildProcess[] = [];
  /** Runs the example as its user would, with the anon key; its output as it comes. */
  const runExample = () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-env", file],
      cwd: root,
      env: { SUPABASE_URL: api.url, SUPABASE_ANON_KEY: api.anonKey, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.push(child);
    const io = { out: "", err: "" };
    (async () => {
      for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) io.out += c;
    })();
    (async () => {
      for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) io.err += c;
    })();
    return io;
  };
  try {
    await withTestSymbol(sql, "TSTREADME", async () => {
      await insertSignal(sql, "TSTREADME", T0, "before", 101.5);
      // Signals closed to anon (the default): the catch-up's refusal and each change's errors are
      // printed on stderr, never a half-empty signal on stdout.
      const closed = runExample();
      await waitFor(
        () => closed.err.includes("permission denied for table signals"),
        `the catch-up's refusal (${closed.err})`,
        30_000,
      );
      await sleep(500); // subscribed meanwhile (the catch-up runs on SUBSCRIBED)
      await insertSignal(sql, "TSTREADME", T0 + H, "refused", 102);
      await waitFor(
        () => closed.err.includes("Error 401: Unauthorized"),
        `the change's error (${closed.err})`,
        15_000,
      );
      assert.equal(closed.out, "", "nothing on stdout");

      // The example reads as anon: open signals to anon for the run.
      assert.equal((await runTask("db:configure", [...dbArgs, "--anon-signals", "on"])).code, 0);
      try {
        const open = runExample();
        const line = (entry: number) => `long TSTREADME 1h entry ${entry}`;
        await waitFor(
          () => open.out.includes(line(102)),
          `the newest signal at start (${open.err})`,
          30_000,
        );
        await insertSignal(sql, "TSTREADME", T0 + 2 * H, "live", 102.5);
        await waitFor(
          () => open.out.includes(line(102.5)),
          `the live signal (${open.err})`,
          15_000,
        );
        await sleep(500);
        const ours = open.out.split("\n").filter((l) => l.includes("TSTREADME"));
        assert.deepEqual(
          ours,
          [line(101.5), line(102), line(102.5)],
          "each once, oldest first",
        );
      } finally {
        assert.equal((await runTask("db:configure", [...dbArgs, "--anon-signals", "off"])).code, 0);
      }
    });
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch { /* exited */ }
      await c.status;
    }
    await Deno.remove(file);
    await sql.end();
    await api.stop();
  }
});

Deno.test("watch finds the project: flags, else the environment, else the running local stack", () => {
  const local = {
    url: "http://127.0.0.1:54321",
    anonKey: "A",
    serviceRoleKey: "S",
    userToken: "U",
  };
  // The local stack: its anon key with its signed-in test user, so its signals are readable.
  assert.deepEqual(resolveProject({}, {}, local), { url: local.url, key: "A", token: "U" });
  // A key of your own means no borrowed token.
  assert.deepEqual(resolveProject({ key: "K" }, {}, local), {
    url: local.url,
    key: "K",
    token: undefined,
  });
  const env = {
    SUPABASE_URL: "https://ref.supabase.co/",
    SUPABASE_ANON_KEY: "E",
    SUPABASE_USER_TOKEN: "T",
  };
  assert.deepEqual(resolveProject({}, env, local), {
    url: "https://ref.supabase.co",
    key: "E",
    token: "T",
  });
  assert.equal(resolveProject({ token: "mine" }, env, local).token, "mine");
  assert.throws(
    () => resolveProject({}, { SUPABASE_URL: "https://ref.supabase.co" }, local),
    /no key for https:\/\/ref\.supabase\.co: pass --key KEY or set SUPABASE_ANON_KEY/,
  );
  assert.throws(() => resolveProject({}, {}, null), /no project: pass --url URL --key KEY/);
  assert.throws(() => resolveProject({ url: "nope" }, {}, null), /--url: not a URL/);
});

Deno.test("the local API publishes its URL, keys and a test user's token for watch, and removes them on stop", async () => {
  const root = `${await Deno.makeTempDir({ prefix: "local-api-" })}/`;
  try {
    const api = await startApi();
    let stopped = false;
    try {
      await api.api.publish(root, api.url);
      const info = await readLocalApiInfo(root);
      assert.equal(info?.url, api.url);
      assert.equal(info?.anonKey, api.anonKey);
      const claims = await verifyJwt(api.api.keys.jwtSecret, info?.userToken ?? "");
      assert.equal(claims.role, "authenticated");
      const res = await fetch(`${api.url}/rest/v1/signals?select=id&limit=1`, {
        headers: { apikey: api.anonKey, authorization: `Bearer ${info?.userToken}` },
      });
      assert.equal(res.status, 200, "the test user reads signals");
      await res.body?.cancel();
      await api.stop();
      stopped = true;
      assert.equal(await readLocalApiInfo(root), null, "gone after stop");
    } finally {
      if (!stopped) await api.stop();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the local stack's keys stay the same from run to run of a checkout, as supabase start's do", async () => {
  const root = `${await Deno.makeTempDir({ prefix: "local-secret-" })}/`;
  try {
    // Two stacks starting at once agree on one secret.
    const [a, b] = await Promise.all([localApiSecret(root), localApiSecret(root)]);
    assert.deepEqual(a, b);
    assert.match(a.jwtSecret, /^[0-9a-f]{40}$/);
    const path = `${root}.cache/local-api-secret.json`;
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, "readable by its owner only");
    assert.deepEqual([...Deno.readDirSync(`${root}.cache`)].map((e) => e.name), [
      "local-api-secret.json",
    ]);

    // Two runs: the same anon key and test user token, so apps and a running watch keep working.
    const published: unknown[] = [];
    for (let run = 0; run < 2; run++) {
      const api = await startLocalApi({
        dbUrl: testDatabaseUrl(),
        ...(await localApiSecret(root)),
      });
      try {
        await api.publish(root, "http://127.0.0.1:1");
        published.push(await readLocalApiInfo(root));
      } finally {
        await api.stop();
      }
    }
    assert.deepEqual(published[0], published[1]);

    // A damaged file is named, not silently replaced (that would change every key).
    await Deno.writeTextFile(path, "{}");
    await assert.rejects(
      () => localApiSecret(root),
      /local-api-secret\.json is not a local API secret .*: delete it to issue new keys/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

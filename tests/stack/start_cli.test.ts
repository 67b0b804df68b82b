/**
 * `deno task start` as a new user runs it: Ctrl-C through `deno task` (the terminal signals the
 * whole process group, and deno task forwards it once more) stops everything and leaves no database
 * behind; a folder of one series' files is replayed as that series; a bad input (overlapping files,
 * a port in use) is one line before anything starts; `--db-url` hands the database its own wake-up
 * settings back; with Discord settings the outcome follow-ups of a replay arrive before
 * `--exit-when-done` ends it.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { functionLogger } from "../../scripts/stack/stack.ts";
import type { LogEntry } from "../../scripts/lib/cli/log.ts";
import { type CliRun, hasStackTrace, runTask } from "../support/run_cli.ts";
import { fixtureRows } from "../support/fixtures.ts";
import { spawnStartInSession, waitReplaying } from "../support/start_session.ts";
import { testDatabaseUrl } from "../db/test_database.ts";

/** 700 hours of real BTCUSDT 1h (two signals, bars 512 and 548), within one relay backfill. */
const ROWS = fixtureRows("BTCUSDT-1h-2025W02-W07.json").slice(0, 700);

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value));
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

Deno.test("Ctrl-C on deno task start (SIGINT to its process group, twice) stops it cleanly: exit 0, a summary, no database or process left", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "start-ctrl-c-" });
  await Deno.chmod(tmp, 0o755); // as /tmp: Postgres runs as its own user when the tests run as root
  const file = `${tmp}/in/BTCUSDT-1h-2025W02.json`;
  await writeJson(file, ROWS);
  const session = spawnStartInSession(file, tmp, "piped");
  const { child, reader } = session;
  let stderr = "";
  const stdout = new Response(child.stdout).text();
  try {
    await waitReplaying(session);
    stderr = session.stderr;
    const clusters = [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("wyckoff-pg-"));
    assert.equal(clusters.length, 1, "the throwaway cluster lives in TMPDIR");
    // At real-time speed nothing closes for an hour: the progress line is not repeated every 5 s.
    const idle = Date.now() + 11_000;
    let pending = reader.read();
    while (Date.now() < idle) {
      const next = await Promise.race([
        pending,
        new Promise<null>((r) => setTimeout(() => r(null), idle - Date.now())),
      ]);
      if (next === null) break;
      if (next.done) throw new Error(`start ended early:\n${stderr}`);
      stderr += next.value;
      pending = reader.read();
    }
    assert.ok((stderr.match(/ UTC · /g) ?? []).length <= 1, stderr);
    Deno.kill(-child.pid, "SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    try {
      Deno.kill(-child.pid, "SIGINT"); // impatient second Ctrl-C while it stops
    } catch (e) {
      // Already stopped within 300 ms: nothing left to signal (ESRCH), which is not a failure.
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    for (let r = await pending; !r.done; r = await reader.read()) stderr += r.value;
    const status = await child.status;
    await stdout;
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /stopping \(SIGINT\)/);
    assert.ok((stderr.match(/still stopping/g) ?? []).length <= 1, stderr);
    assert.match(stderr, /\nsummary: \d+ candles stored, \d+ signals, 1 series, [\d.]+ s\n$/);
    assert.ok(!hasStackTrace(stderr), stderr);
    const left = [...Deno.readDirSync(tmp)].map((e) => e.name).filter((n) => n !== "in");
    assert.deepEqual(left, [], "the database is removed");
    // A process that has been signalled may take a moment to be reaped on a loaded machine: wait up
    // to 10 s for the last one, and name whatever is still there.
    let leftover: string[] = [];
    for (const until = Date.now() + 10_000; Date.now() < until;) {
      const ps = await new Deno.Command("ps", { args: ["-eo", "pid,stat,args"] }).output();
      leftover = new TextDecoder().decode(ps.stdout).split("\n").filter((l) => l.includes(tmp));
      if (leftover.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(leftover, [], "no process of the run is left");
  } finally {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("--replay a folder of one series' monthly files replays them as one series, as signals prints the joined file; repeated function warnings are shown once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "start-folder-" });
  try {
    // Binance's archive layout: SYMBOL/interval/<first day>.json, one file per period.
    await writeJson(`${dir}/BTCUSDT/1h/2025-01-06.json`, ROWS.slice(0, 300));
    await writeJson(`${dir}/BTCUSDT/1h/2025-01-18.json`, ROWS.slice(300));
    await writeJson(`${dir}/whole/BTCUSDT-1h-2025W02.json`, ROWS);
    const r = await runTask("start", [
      "--replay",
      `${dir}/BTCUSDT`,
      "--exit-when-done",
      "--json",
      "--port",
      "0",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /replaying 1 series \(700 candles\)/);
    assert.match(r.stderr, /summary: 700 candles stored, 2 signals, 1 series/);
    // Without Discord settings every notify wake-up warns alike: said once, not once per signal.
    assert.ok(
      (r.stderr.match(/Discord is not configured/g) ?? []).length <= 1,
      r.stderr,
    );
    const offline = await runTask("signals", [`${dir}/whole/BTCUSDT-1h-2025W02.json`, "--json"]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(jsonLines(r.stdout), jsonLines(offline.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad inputs to deno task start are one line before anything starts: overlapping files of a series, a database URL that is not one, a port in use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "start-bad-" });
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await writeJson(`${dir}/a/BTCUSDT-1h-a.json`, ROWS.slice(0, 400));
    await writeJson(`${dir}/a/BTCUSDT-1h-b.json`, ROWS.slice(300));
    const cases: [string[], RegExp][] = [
      // --port 0: the default port may be taken by any other run on the machine.
      [
        ["--replay", `${dir}/a`, "--port", "0"],
        /^error: .*BTCUSDT-1h-b\.json: overlaps .*BTCUSDT-1h-a\.json \(both hold BTCUSDT 1h candles from 2025-01-18T12:00Z\); replay each candle from one file only\n$/,
      ],
      [
        ["--replay", `${dir}/a/BTCUSDT-1h-a.json`, "--db-url", "localhost:5432", "--port", "0"],
        /^error: --db-url: expected a postgres:\/\/ or postgresql:\/\/ URL, got localhost:\/\/…\n$/,
      ],
      [
        [
          "--replay",
          `${dir}/a/BTCUSDT-1h-a.json`,
          "--port",
          String((busy.addr as Deno.NetAddr).port),
        ],
        /^error: port \d+ is already in use \(another deno task start, or supabase start\?\): stop it or choose another with --port N\n$/,
      ],
    ];
    for (const [args, want] of cases) {
      const r = await runTask("start", [...args, "--exit-when-done"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.ok(!hasStackTrace(r.stderr));
    }
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start --db-url gives the database its wake-up and ingest settings back when it stops; a restart ignores the previous run's queued wake-ups in one calm line, without a 401", async () => {
  const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  const name = `start_db_url_${crypto.randomUUID().slice(0, 8)}`;
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  const dir = await Deno.makeTempDir({ prefix: "start-db-url-" });
  await admin.unsafe(`create database ${name}`);
  try {
    await writeJson(`${dir}/BTCUSDT-1h-2025W02.json`, ROWS.slice(0, 300));
    // Both runs on one port, as two runs of deno task start (default 54321) are.
    const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (free.addr as Deno.NetAddr).port;
    free.close();
    const replay = () =>
      runTask("start", [
        "--db-url",
        url.href,
        "--replay",
        `${dir}/BTCUSDT-1h-2025W02.json`,
        "--exit-when-done",
        "--port",
        String(port),
      ]);
    // First run: migrates the database, which had no wake-up settings.
    const first = await replay();
    assert.equal(first.code, 0, first.stderr);
    const db = postgres(url.href, { max: 1, onnotice: () => {} });
    try {
      const settings = async () =>
        (await db`select key, value from private.config
          where key in ('functions_url', 'functions_secret', 'notify_late_signals', 'ingest_mode',
            'poll_delay_ms') order by key`)
          .map((r) => `${r.key}=${r.value}`);
      assert.deepEqual(await settings(), [], "nothing of the run is left configured");
      // The user's own settings survive a run.
      await db`select private.configure_functions('https://example.supabase.co/functions/v1', 'my-own-secret-0123456789')`;
      await db`insert into private.config (key, value) values ('notify_late_signals', 'off'),
        ('ingest_mode', 'poll'), ('poll_delay_ms', '2500')`;
      // Wake-ups a previous run queued and never sent: signed with that run's key, which nobody
      // has any more (a clean stop put the user's key back), and with the key a run killed with
      // kill -9 left configured; both addressed to the stack's gateway. And one of the user's own
      // functions (their key, their address), which is still sent.
      const received: string[] = [];
      let second: CliRun;
      const own = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        async (req) => {
          received.push(await req.text());
          return new Response("{}");
        },
      );
      try {
        await db.begin(async (tx) => {
          const gone = `http://127.0.0.1:${port}/functions/v1`;
          const mine = `http://127.0.0.1:${own.addr.port}/functions/v1`;
          await tx`select private.configure_functions(${gone}, 'previous-run-key-0123456789abcdef')`;
          await tx`select private.wake('analyze', '{"series":[]}'::jsonb)`;
          await tx`select private.configure_functions(${gone}, 'my-own-secret-0123456789')`;
          await tx`select private.wake('discord-notify', '{}'::jsonb)`;
          await tx`select private.configure_functions(${mine}, 'my-own-secret-0123456789')`;
          await tx`select private.wake('analyze', '{"mine":true}'::jsonb)`;
          await tx`select private.configure_functions('https://example.supabase.co/functions/v1', 'my-own-secret-0123456789')`;
        });
        second = await replay(); // in relay mode, with poll delay 0
      } finally {
        await own.shutdown();
      }
      assert.deepEqual(received, ['{"mine": true}'], "the user's own wake-up is sent");
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stderr, /signature|401/, second.stderr);
      assert.equal(
        second.stderr.match(/^.*previous run.*$/gm)?.join("\n"),
        "ignored 2 wake-ups a previous run left queued, signed with that run's key (each run signs with a new one); the minute sweeps redo their work",
      );
      assert.match(second.stderr, /summary: 0 candles stored/, "the candles were stored already");
      assert.deepEqual(await settings(), [
        "functions_secret=my-own-secret-0123456789",
        "functions_url=https://example.supabase.co/functions/v1",
        "ingest_mode=poll",
        "notify_late_signals=off",
        "poll_delay_ms=2500",
      ]);
      const [{ n }] =
        await db`select count(*)::int as n from private.jobs where name = 'wyckoff-ingest'`;
      assert.equal(n, 1, "poll mode's ingest job is listed again");
    } finally {
      await db.end();
    }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start --exit-when-done with Discord settings posts each replayed signal's card and its outcome follow-ups, once each, as replies", async () => {
  const dir = await Deno.makeTempDir({ prefix: "start-follow-ups-" });
  const fake = await startFakeDiscord();
  try {
    await writeJson(`${dir}/BTCUSDT-1h-2025W02.json`, ROWS);
    const r = await runTask("start", [
      "--replay",
      `${dir}/BTCUSDT-1h-2025W02.json`,
      "--exit-when-done",
      "--json",
      "--port",
      "0",
    ], {
      env: {
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_BOT_TOKEN: fake.token,
        DISCORD_CHANNEL_ID: fake.channelId,
      },
    });
    assert.equal(r.code, 0, r.stderr);
    const signals = jsonLines(r.stdout);
    const cards = fake.messages.filter((m) => !m.message_reference);
    assert.equal(cards.length, signals.length, "one card per signal");
    const replies = fake.messages.filter((m) => m.message_reference);
    assert.ok(replies.length > 0, "the replay decides some outcomes: their follow-ups arrive");
    for (const m of replies) {
      assert.ok(
        cards.some((c) => c.id === m.message_reference!.message_id),
        "a follow-up replies to a card",
      );
    }
    const keys = replies.map((m) => `${m.message_reference!.message_id} ${m.embeds[0]?.title}`);
    assert.equal(new Set(keys).size, keys.length, `each follow-up once: ${keys}`);
    assert.deepEqual(fake.violations, []);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a function's repeated warning is shown once per period, with the count of repeats left out", () => {
  const seen: LogEntry[] = [];
  let t = 0;
  const log = functionLogger((e) => seen.push(e), 60_000, () => t);
  const line = (time: string, reason = "no settings") =>
    JSON.stringify({ time, level: "warn", msg: "Discord is not configured", reason });
  log("discord-notify", line("a"));
  t = 1000;
  log("discord-notify", line("b"));
  log("discord-notify", line("c"));
  log("discord-notify", line("d", "other reason")); // other fields: shown
  log("analyze", line("e")); // another function: shown
  log("analyze", JSON.stringify({ level: "info", msg: "fine" })); // info: never shown
  log("analyze", "not json"); // a raw line: shown as it is
  t = 61_000;
  log("discord-notify", line("f"));
  assert.deepEqual(
    seen.map((e) => [e.fn, e.msg, e.reason ?? null, e.repeated ?? 0]),
    [
      ["discord-notify", "Discord is not configured", "no settings", 0],
      ["discord-notify", "Discord is not configured", "other reason", 0],
      ["analyze", "Discord is not configured", "no settings", 0],
      ["analyze", "not json", null, 0],
      ["discord-notify", "Discord is not configured", "no settings", 2],
    ],
  );
});

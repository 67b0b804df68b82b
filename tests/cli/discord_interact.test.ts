/**
 * `deno task discord:interact` against the real discord-interactions handler over real HTTP and the
 * real test database: a key pair from --keygen is accepted by an endpoint that has its public half,
 * commands and typed options reach the handler, answers are printed as text or JSON, and bad
 * arguments, a wrong key or an unreachable endpoint are one line.
 */

import assert from "node:assert/strict";
import nacl from "tweetnacl";
import { handleDiscordInteractions } from "../../supabase/functions/discord-interactions/handler.ts";
import { connect, withTestSymbol } from "../db/test_database.ts";
import { serveHandler, testDeps } from "../support/function_deps.ts";
import { hasStackTrace, runTask } from "../support/run_cli.ts";

const APP = "100000000000000001";
const USER = "700000000000000042";

Deno.test("discord:interact signs commands with a --keygen key the endpoint accepts, and prints the answers", async () => {
  const keygen = await runTask("discord:interact", ["--keygen"]);
  assert.equal(keygen.code, 0, keygen.stderr);
  const vars = Object.fromEntries(
    keygen.stdout.trim().split("\n").map((l) => {
      const m = /^export (DISCORD_PUBLIC_KEY|DISCORD_INTERACT_KEY)=([0-9a-f]{64})$/.exec(l);
      assert.ok(m, l);
      return [m[1], m[2]];
    }),
  );
  const seed = Uint8Array.from(vars.DISCORD_INTERACT_KEY.match(/../g)!.map((b) => parseInt(b, 16)));
  const pub = Array.from(
    nacl.sign.keyPair.fromSeed(seed).publicKey,
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(pub, vars.DISCORD_PUBLIC_KEY, "the public key is the seed's");

  const sql = connect(2);
  const deps = testDeps(sql, {
    env: {
      DISCORD_PUBLIC_KEY: vars.DISCORD_PUBLIC_KEY,
      DISCORD_APPLICATION_ID: APP,
      // The deferred /backtest answer goes nowhere (nothing listens on port 9), not to discord.com.
      DISCORD_API_URL: "http://127.0.0.1:9/api/v10",
    },
  });
  const server = serveHandler(handleDiscordInteractions, deps);
  const url = `${server.url}/discord-interactions`;
  const env = { DISCORD_INTERACT_KEY: vars.DISCORD_INTERACT_KEY, DISCORD_APPLICATION_ID: APP };
  const run = (...args: string[]) =>
    runTask("discord:interact", [...args, "--url", url, "--user", USER], { env });
  try {
    const ping = await run("ping");
    assert.equal(ping.code, 0, ping.stderr);
    assert.match(ping.stdout, /^PONG/);
    const status = await run("status");
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^## Status\n/);
    assert.match(status.stdout, /\nSignals: /);
    await withTestSymbol(sql, "TSTINTERACTCLI", async () => {
      const sub = await run("subscribe", "symbol:TSTINTERACTCLI", "min_confidence:0.3");
      assert.equal(sub.code, 0, sub.stderr);
      assert.match(sub.stdout, /Subscribed: .*TSTINTERACTCLI.*30%/);
      assert.match(sub.stdout, /only you would see this/);
      const list = await run("subscriptions", "--json");
      assert.equal(list.code, 0, list.stderr);
      const answer = JSON.parse(list.stdout);
      assert.equal(answer.type, 4);
      assert.match(answer.data.content, /^Your subscriptions:\n• TSTINTERACTCLI/);
      const [row] = await sql`select count(*)::int as n from public.user_subscriptions
        where discord_user_id = ${USER} and symbol = 'TSTINTERACTCLI'`;
      assert.equal(row.n, 1, "the subscription is stored for --user");
      const unsub = await run("unsubscribe", "symbol:TSTINTERACTCLI");
      assert.match(unsub.stdout, /Removed 1 subscription/);
      const late = await run("lastsignal", "symbol:TSTINTERACTCLI");
      assert.equal(late.code, 0, late.stderr);
      assert.match(late.stdout, /TSTINTERACTCLI/);
      const bt = await run("backtest", "symbol:TSTINTERACTCLI", "timeframe:1h", "days:30");
      assert.equal(bt.code, 0, bt.stderr);
      assert.match(bt.stdout, /^deferred: /);
    }, true);
    await deps.settle();

    // Bad arguments: one line each, nothing sent.
    const bad: [string[], Record<string, string>, RegExp][] = [
      [["frobnicate"], env, /^error: unknown command frobnicate \(commands: ping, status, /],
      [
        ["subscribe", "sym:BTCUSDT"],
        env,
        /^error: \/subscribe has no option sym \(options: symbol, timeframe, min_confidence\)/,
      ],
      [
        ["backtest", "symbol:BTCUSDT", "timeframe:1h", "days:many"],
        env,
        /^error: \/backtest: days must be a number, got many/,
      ],
      [["status", "verbose"], env, /^error: \/status: expected option:value, got verbose/],
      [["status"], {}, /^error: DISCORD_INTERACT_KEY is not set: /],
      [
        ["status"],
        { DISCORD_INTERACT_KEY: "abc" },
        /^error: DISCORD_INTERACT_KEY must be 64 hexadecimal digits/,
      ],
      // Another key: the endpoint refuses the signature.
      [
        ["status"],
        { ...env, DISCORD_INTERACT_KEY: "11".repeat(32) },
        /^error: the endpoint answered 401: bad request signature \(is the stack's DISCORD_PUBLIC_KEY the public half of DISCORD_INTERACT_KEY\?\)/,
      ],
    ];
    for (const [args, e, want] of bad) {
      const r = await runTask("discord:interact", [...args, "--url", url], { env: e });
      assert.equal(r.code, 1, `${args}: ${r.stdout}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.ok(!hasStackTrace(r.stderr));
    }
  } finally {
    await server.close();
    await sql.end();
  }
  // Nothing listens there any more.
  const gone = await runTask("discord:interact", ["status", "--url", url], { env });
  assert.equal(gone.code, 1);
  assert.match(
    gone.stderr,
    /^error: cannot reach .*: is deno task start running, or pass --url\n$/,
  );
});

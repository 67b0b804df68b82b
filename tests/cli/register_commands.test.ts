/**
 * `deno task register-commands` run as a user runs it, against the fake Discord: one PUT of every
 * command (which the fake validates as Discord does), globally or for a guild; a second run sends
 * nothing; changes and removals are printed; --dry-run prints the JSON; bad settings are one line.
 */

import assert from "node:assert/strict";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { diffCommands } from "../../scripts/register_commands.ts";
import { COMMANDS } from "../../supabase/functions/_shared/discord_commands.ts";
import { hasStackTrace, runTask } from "../support/run_cli.ts";

Deno.test("register-commands: one PUT of every command, then nothing to do; guild scope; changes and removals are printed", async () => {
  // Four runs in a second, each a new process that cannot know the last one's rate limits.
  const fake = await startFakeDiscord({ limits: { commands: { limit: 20, windowMs: 1000 } } });
  const env = {
    DISCORD_BOT_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
  };
  try {
    const first = await runTask("register-commands", [], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\+ \/status \(added\)/);
    assert.match(
      first.stdout,
      /registered 7 commands \(global\): 7 added, 0 changed, 0 removed, 0 unchanged/,
    );
    assert.deepEqual(fake.commands.get("")?.map((c) => c.name), COMMANDS.map((c) => c.name));
    const puts = () => fake.requests.filter((r) => r.method === "PUT").length;
    assert.equal(puts(), 1);
    const again = await runTask("register-commands", [], { env });
    assert.equal(again.stdout, "up to date: 7 commands registered (global); nothing sent\n");
    assert.equal(puts(), 1, "an unchanged set is not sent again");
    // Someone edited a description in the portal and left an old command behind.
    const stored = fake.commands.get("") ?? [];
    stored[0] = { ...stored[0], description: "old text" };
    stored.push({ id: "1", name: "oldcommand", type: 1, description: "gone" });
    const json = await runTask("register-commands", ["--json"], { env });
    assert.deepEqual(JSON.parse(json.stdout), {
      scope: "global",
      added: [],
      changed: ["status"],
      removed: ["oldcommand"],
      unchanged: COMMANDS.slice(1).map((c) => c.name),
      put: true,
    });
    const guild = await runTask("register-commands", ["--guild", "1175928847299117000"], { env });
    assert.equal(guild.code, 0, guild.stderr);
    assert.match(guild.stdout, /\(guild 1175928847299117000\): 7 added/);
    assert.equal(fake.commands.get("1175928847299117000")?.length, 7);
    assert.ok(fake.requests.every((r) => r.authorization === `Bot ${fake.token}`));
    assert.deepEqual(fake.violations, []);
  } finally {
    await fake.close();
  }
});

Deno.test("register-commands --dry-run prints the command JSON without settings or requests", async () => {
  const r = await runTask("register-commands", ["--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), COMMANDS);
});

Deno.test("register-commands: missing or refused settings are one line, exit 1, no stack trace", async () => {
  const fake = await startFakeDiscord();
  try {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{ DISCORD_BOT_TOKEN: fake.token }, [], /^error: DISCORD_APPLICATION_ID is not set/],
      [{ DISCORD_APPLICATION_ID: fake.applicationId }, [], /^error: DISCORD_BOT_TOKEN is not set/],
      [
        { DISCORD_APPLICATION_ID: "12" },
        [],
        /^error: invalid environment: DISCORD_APPLICATION_ID must be a Discord id/,
      ],
      [{}, ["--guild", "abc"], /^error: --guild must be a Discord server id/],
      [
        {
          DISCORD_BOT_TOKEN: "wrong.token.0123456789abcdefghij",
          DISCORD_APPLICATION_ID: fake.applicationId,
          DISCORD_API_URL: fake.apiUrl,
        },
        [],
        /^error: Discord refused the request \(401: Unauthorized\): check DISCORD_BOT_TOKEN$/,
      ],
    ];
    for (const [env, args, re] of cases) {
      const r = await runTask("register-commands", args, { env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr.trim(), re);
      assert.ok(!hasStackTrace(r.stderr));
    }
  } finally {
    await fake.close();
  }
});

Deno.test("the command definitions diff ignores what Discord adds (ids, versions, defaults)", () => {
  const registered = COMMANDS.map((c) => ({
    ...c,
    id: "1",
    application_id: "2",
    version: "3",
    default_member_permissions: null,
    nsfw: false,
    options: c.options?.map((o) => ({ ...o, required: o.required ?? false })),
  }));
  assert.deepEqual(diffCommands(registered, COMMANDS).unchanged.length, COMMANDS.length);
});

Deno.test("discord:identify connects the bot to the gateway once; a refused token is one line", async () => {
  const fake = await startFakeDiscord();
  try {
    const ok = await runTask("discord:identify", ["--gateway-url", fake.gatewayUrl], {
      env: { DISCORD_BOT_TOKEN: fake.token },
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(
      ok.stdout,
      "identified as signals-bot (in 1 server); the bot may now post messages\n",
    );
    assert.deepEqual(fake.identified, [fake.token]);
    const bad = await runTask("discord:identify", ["--gateway-url", fake.gatewayUrl], {
      env: { DISCORD_BOT_TOKEN: "wrong.token.0123456789abcdefghij" },
    });
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      "error: Discord refused the token (gateway close 4004): check DISCORD_BOT_TOKEN\n",
    );
    const none = await runTask("discord:identify", [], { env: {} });
    assert.equal(none.stderr, "error: DISCORD_BOT_TOKEN is not set\n");
  } finally {
    await fake.close();
  }
});

/**
 * The Discord functions as deployed: their `deno task build` bundles, each in its own process with
 * only network and environment permissions, behind the gateway. The interactions bundle answers a
 * signed PING and refuses a bad signature; the notify bundle posts a queued card to the fake
 * Discord when woken.
 */

import assert from "node:assert/strict";
import { bundleAll } from "../../scripts/build/bundle.ts";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { startFunctionProcess, startGateway } from "../../scripts/stack/functions.ts";
import { connect, testDatabaseUrl, withTestSymbol } from "../db/test_database.ts";
import {
  hourTimes,
  insertSignals,
  interactionKeys,
  messagesAbout,
  resetDiscordState,
  signInteraction,
  waitFor,
} from "../support/discord.ts";
import { configureWake, postSigned, unconfigureWake } from "../support/function_deps.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("the discord-interactions and discord-notify bundles run behind the gateway", async () => {
  const built = await bundleAll(root, ["discord-interactions", "discord-notify"]);
  const fake = await startFakeDiscord();
  const keys = interactionKeys();
  const env = {
    SUPABASE_DB_URL: testDatabaseUrl(),
    DISCORD_PUBLIC_KEY: keys.publicKey,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_BOT_TOKEN: fake.token,
    DISCORD_CHANNEL_ID: fake.channelId,
  };
  const fns = [];
  for (const b of built) fns.push(await startFunctionProcess(b.name, b.path, env));
  const gateway = startGateway(fns, 0);
  const sql = connect();
  await resetDiscordState(sql);
  await configureWake(sql, gateway.functionsUrl);
  try {
    const url = `${gateway.functionsUrl}/discord-interactions`;
    const ping = JSON.stringify({
      type: 1,
      id: "1175928847299117003",
      application_id: fake.applicationId,
    });
    const pong = await fetch(url, {
      method: "POST",
      headers: signInteraction(keys.secretKey, ping),
      body: ping,
    });
    assert.equal(pong.status, 200);
    assert.deepEqual(await pong.json(), { type: 1 });
    const bad = await fetch(url, {
      method: "POST",
      headers: signInteraction(interactionKeys().secretKey, ping),
      body: ping,
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
    await withTestSymbol(sql, "TSTBUNDLEDC", async () => {
      await insertSignals(sql, "TSTBUNDLEDC", hourTimes(2).map((openTime) => ({ openTime })));
      const woke = await postSigned(`${gateway.functionsUrl}/discord-notify`, { reason: "sweep" });
      assert.equal(woke.status, 202);
      await waitFor("two cards", () => messagesAbout(fake, "TSTBUNDLEDC").length === 2);
      await waitFor("the outbox to record them", async () => {
        const [r] = await sql`select count(*)::int as n from public.discord_outbox o
          join public.signals s on s.id = o.signal_id where s.symbol = 'TSTBUNDLEDC' and o.status = 'sent'`;
        return r.n === 2;
      });
    });
  } finally {
    await unconfigureWake(sql);
    await sql.end();
    await gateway.stop();
    for (const f of fns) await f.stop();
    await fake.close();
  }
});

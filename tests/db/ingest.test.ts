import assert from "node:assert/strict";
import { connect, klinesToBatch, withTestSymbol } from "./test_database.ts";

const FIXTURE = new URL("../fixtures/binance/BTCUSDT-1h-2024.json", import.meta.url);

Deno.test("ingest_candles stores a real year of 1h klines once and reports the repeat as unchanged", async () => {
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTINGEST", async () => {
      const rows = JSON.parse(await Deno.readTextFile(FIXTURE)) as string[][];
      const batch = klinesToBatch(rows, "TSTINGEST", "1h");
      const sum = { inserted: 0, updated: 0, unchanged: 0 };
      for (const pass of [1, 2]) {
        for (let i = 0; i < batch.length; i += 1000) {
          const [r] = await sql`select * from api.ingest_candles(${
            JSON.stringify(batch.slice(i, i + 1000))
          }::text::json)`;
          if (pass === 1) sum.inserted += r.inserted;
          else sum.unchanged += r.unchanged;
          sum.updated += r.updated;
        }
      }
      assert.deepEqual(sum, { inserted: rows.length, updated: 0, unchanged: rows.length });
      const [c] =
        await sql`select count(*)::int as n, min(open_time) as first, max(open_time) as last,
        sum(trades)::bigint as trades from public.candles where symbol = 'TSTINGEST'`;
      assert.equal(c.n, 8784);
      assert.equal((c.first as Date).toISOString(), "2024-01-01T00:00:00.000Z");
      assert.equal((c.last as Date).toISOString(), "2024-12-31T23:00:00.000Z");
      assert.equal(BigInt(c.trades), rows.reduce((s, k) => s + BigInt(k[8]), 0n));
      const [first] = await sql`select open, high, low, close, volume from public.candles
        where symbol = 'TSTINGEST' order by open_time limit 1`;
      assert.deepEqual(
        [first.open, first.high, first.low, first.close, first.volume],
        rows[0].slice(1, 6).map(Number),
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("an invalid row rejects the whole batch with a one-line error naming row and rule", async () => {
  const sql = connect();
  try {
    await withTestSymbol(sql, "TSTREJECT", async () => {
      const rows = JSON.parse(await Deno.readTextFile(FIXTURE)) as string[][];
      const batch = klinesToBatch(rows.slice(0, 50), "TSTREJECT", "1h");
      batch[37] = { ...batch[37], low: Number(batch[37].high) + 1 };
      await assert.rejects(
        sql`select * from api.ingest_candles(${JSON.stringify(batch)}::text::json)`,
        (e: Error) => {
          assert.match(
            e.message,
            /^ingest_candles: row 37 \(TSTREJECT 1h open_time \d+\) rejected: high must be >= low$/,
          );
          return true;
        },
      );
      const [c] =
        await sql`select count(*)::int as n from public.candles where symbol = 'TSTREJECT'`;
      assert.equal(c.n, 0);
    });
  } finally {
    await sql.end();
  }
});

import assert from "node:assert/strict";
import { connect, withTestSymbol } from "./test_database.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

Deno.test("concurrent claimers on separate connections never receive the same outbox message", async () => {
  const owner = connect(2);
  const a = connect(1);
  const b = connect(1);
  try {
    await withTestSymbol(owner, "TSTCLAIM", async () => {
      await owner`insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2, tp3, confidence)
        select 'TSTCLAIM', '1h', to_timestamp(${
        T0 / 1000
      } + i * 3600), 'long', 100, 96, 108, 112, 116, 0.7
        from generate_series(0, 199) i`;
      const ids = (await owner`select o.id from public.discord_outbox o
        join public.signals s on s.id = o.signal_id where s.symbol = 'TSTCLAIM'`).map((r) =>
        String(r.id)
      );
      assert.equal(ids.length, 200, "one card per signal");
      const claimLoop = async (sql: typeof a) => {
        const got: string[] = [];
        for (;;) {
          const rows = await sql`select id from api.claim_outbox(7, 60, ${
            ids.map(Number)
          }::bigint[])`;
          if (rows.length === 0) return got;
          got.push(...rows.map((r) => String(r.id)));
        }
      };
      const [ga, gb] = await Promise.all([claimLoop(a), claimLoop(b)]);
      const overlap = ga.filter((id) => gb.includes(id));
      assert.deepEqual(overlap, []);
      assert.equal(ga.length + gb.length, 200);
      assert.ok(
        ga.length > 0 && gb.length > 0,
        `both claimers got work (${ga.length}/${gb.length})`,
      );
    });
  } finally {
    await Promise.all([owner.end(), a.end(), b.end()]);
  }
});

Deno.test("two analyze calls saving from the same loaded state: exactly one advances it", async () => {
  const owner = connect(2);
  const a = connect(1);
  const b = connect(1);
  try {
    await withTestSymbol(owner, "TSTSTATE", async () => {
      await owner`insert into public.analyzer_state (symbol, timeframe, snapshot, last_open_time)
        values ('TSTSTATE', '1h', '{"n": 0}', to_timestamp(${T0 / 1000}))`;
      const save = (sql: typeof a, who: string) =>
        sql`select applied, signal_ids from api.save_analysis(${
          sql.json([{
            symbol: "TSTSTATE",
            timeframe: "1h",
            snapshot: { who },
            expected_last_open_time: T0,
            last_open_time: T0 + 5 * HOUR,
          }])
        }, ${
          sql.json([{
            symbol: "TSTSTATE",
            timeframe: "1h",
            time: T0 + 5 * HOUR,
            direction: "short",
            entry: 100,
            stopLoss: 104,
            takeProfits: [92, 88, 84],
            confidence: 0.7,
          }])
        })`;
      // Both transactions start before either commits: b waits on a's row lock, then re-checks.
      const results = await Promise.all([
        a.begin(async (tx) => {
          const r = await save(tx as unknown as typeof a, "a");
          await new Promise((res) => setTimeout(res, 100));
          return r;
        }),
        new Promise((res) => setTimeout(res, 20)).then(() => save(b, "b")),
      ]);
      const applied = results.map((r) => r[0].applied as boolean);
      assert.equal(applied.filter(Boolean).length, 1, `exactly one save applies (${applied})`);
      const [s] = await owner`select snapshot from public.analyzer_state where symbol = 'TSTSTATE'`;
      assert.deepEqual(s.snapshot, { who: applied[0] ? "a" : "b" });
      const [n] =
        await owner`select count(*)::int as n from public.signals where symbol = 'TSTSTATE'`;
      assert.equal(n.n, 1);
    });
  } finally {
    await Promise.all([owner.end(), a.end(), b.end()]);
  }
});

Deno.test("overlapping batches ingested concurrently on two connections both succeed without duplicates", async () => {
  const owner = connect(1);
  const a = connect(1);
  const b = connect(1);
  try {
    await withTestSymbol(owner, "TSTRACE", async () => {
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          symbol: "TSTRACE",
          timeframe: "1h",
          open_time: T0 + (from + i) * HOUR,
          open: 10,
          high: 11,
          low: 9,
          close: 10.5,
          volume: 1,
        }));
      // Transaction a inserts 0..599 and holds its locks; b then ingests 300..899, whose plain insert
      // meets a's uncommitted keys: it must wait, fall back to the upsert, and still succeed. The
      // order is enforced, not timed: b starts once a's insert has run, and a commits only once b is
      // seen waiting for a's locks.
      const [{ pid: bPid }] = await b`select pg_backend_pid() as pid`;
      let aInserted!: () => void;
      const inserted = new Promise<void>((res) => aInserted = res);
      const results = await Promise.all([
        a.begin(async (tx) => {
          const [r] = await tx`select * from api.ingest_candles(${
            JSON.stringify(batch(0, 600))
          }::text::json)`;
          aInserted();
          for (let i = 0; i < 1000; i++) {
            const [w] = await owner`select wait_event_type = 'Lock' as waiting
              from pg_stat_activity where pid = ${bPid}`;
            if (w?.waiting) break;
            await new Promise((res) => setTimeout(res, 10));
          }
          return r;
        }),
        inserted.then(async () => {
          const [r] = await b`select * from api.ingest_candles(${
            JSON.stringify(batch(300, 600))
          }::text::json)`;
          return r;
        }),
      ]);
      const [ra, rb] = results;
      assert.equal(ra.inserted, 600);
      assert.equal(rb.inserted + rb.unchanged + rb.updated, 600);
      assert.equal(rb.inserted, 300, "b inserts only the keys a did not have");
      const [n] =
        await owner`select count(*)::int as n from public.candles where symbol = 'TSTRACE'`;
      assert.equal(n.n, 900);
    });
  } finally {
    await Promise.all([owner.end(), a.end(), b.end()]);
  }
});

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

/**
 * The withdrawal of a signal (what api.save_analysis does when a rebuild no longer gives it: the
 * signal superseded, then private.withdraw_messages) racing a sender that holds the signal's card.
 * Each order is forced with explicit transactions on separate connections; the blocked side is
 * seen waiting on a lock in pg_stat_activity before the other commits.
 */
Deno.test("a card posted or failed while its signal is withdrawn: one withdrawal if posted, cancelled if not, in every order", async () => {
  const owner = connect(2);
  const poolA = connect(1);
  const poolB = connect(1);
  const a = await poolA.reserve();
  const b = await poolB.reserve();
  const [{ pid: pidA }] = await a`select pg_backend_pid() as pid`;
  const [{ pid: pidB }] = await b`select pg_backend_pid() as pid`;
  const waiting = async (pid: number) => {
    for (let i = 0; i < 500; i++) {
      const [r] = await owner`select wait_event_type = 'Lock' as blocked from pg_stat_activity
        where pid = ${pid}`;
      if (r?.blocked) return;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`backend ${pid} never waited on a lock`);
  };
  type Conn = typeof a;
  const supersede = (c: Conn, id: number) =>
    c`update public.signals set superseded_at = now(), superseded_reason = 'test' where id = ${id}`;
  const withdrawMessages = (c: Conn, id: number) =>
    c`select private.withdraw_messages(array[${id}]::bigint[])`;
  const sent = (c: Conn, card: number) =>
    c`select api.mark_outbox_sent(${card}::bigint, '1175928847299117063', '1175928847299117000')`;
  const failed = (c: Conn, card: number) =>
    c`select api.mark_outbox_failed(${card}::bigint, 'Discord 503')`;
  try {
    await withTestSymbol(owner, "TSTRACE", async () => {
      let hour = 0;
      /** A signal whose card a sender has claimed (leased): returns the signal and card ids. */
      const claimed = async () => {
        const [s] = await owner`insert into public.signals (symbol, timeframe, open_time, direction,
            entry, stop_loss, tp1, tp2, tp3, confidence)
          values ('TSTRACE', '1h', to_timestamp(${(T0 + hour++ * HOUR) / 1000}), 'long', 100, 96,
            108, 112, 116, 0.8) returning id`;
        const [o] = await owner`select id from api.claim_outbox(1, 60,
          (select array_agg(o.id) from public.discord_outbox o where o.signal_id = ${s.id}))`;
        assert.ok(o, "the card is claimed");
        return { id: Number(s.id), card: Number(o.id) };
      };
      const outcome = async (id: number) => {
        const rows = await owner`select kind, status, next_attempt_at is null as done
          from public.discord_outbox where signal_id = ${id} order by id`;
        return rows.map((r) => `${r.kind}:${r.status}${r.done ? "" : ":due"}`).join(",");
      };
      const orders: [string, (s: { id: number; card: number }) => Promise<void>, string][] = [
        ["withdrawn, then posted", async ({ id, card }) => {
          await a`begin`;
          await supersede(a, id);
          await withdrawMessages(a, id);
          await a`commit`;
          await sent(b, card);
        }, "card:sent,withdrawn:pending:due"],
        ["posted, then withdrawn", async ({ id, card }) => {
          await sent(b, card);
          await supersede(a, id);
          await withdrawMessages(a, id);
        }, "card:sent,withdrawn:pending:due"],
        [
          "the withdrawal holds the card while the sender records the post",
          async ({ id, card }) => {
            await a`begin`;
            await supersede(a, id);
            await withdrawMessages(a, id);
            const mark = sent(b, card).execute(); // postgres.js runs a query once it is executed
            await waiting(pidB);
            await a`commit`;
            await mark;
          },
          "card:sent,withdrawn:pending:due",
        ],
        ["the sender holds the card while the signal is withdrawn", async ({ id, card }) => {
          await b`begin`;
          await sent(b, card);
          await a`begin`;
          await supersede(a, id);
          const withdrawing = withdrawMessages(a, id).execute();
          await waiting(pidA);
          await b`commit`;
          await withdrawing;
          await a`commit`;
        }, "card:sent,withdrawn:pending:due"],
        [
          "superseded, posted (committed) before the withdrawal reaches the card",
          async ({ id, card }) => {
            await a`begin`;
            await supersede(a, id);
            await sent(b, card); // its trigger cannot see the uncommitted withdrawal
            await withdrawMessages(a, id);
            await a`commit`;
          },
          "card:sent,withdrawn:pending:due",
        ],
        [
          "the withdrawal holds the card while the sender records a failure",
          async ({ id, card }) => {
            await a`begin`;
            await supersede(a, id);
            await withdrawMessages(a, id);
            const mark = failed(b, card).execute();
            await waiting(pidB);
            await a`commit`;
            await mark;
          },
          "card:cancelled",
        ],
        ["the sender records a failure while the signal is withdrawn", async ({ id, card }) => {
          await b`begin`;
          await failed(b, card);
          await a`begin`;
          await supersede(a, id);
          const withdrawing = withdrawMessages(a, id).execute();
          await waiting(pidA);
          await b`commit`;
          await withdrawing;
          await a`commit`;
        }, "card:cancelled"],
      ];
      for (const [what, run, want] of orders) {
        const s = await claimed();
        try {
          await run(s);
        } catch (e) {
          // Leave no transaction open (the symbol's cleanup would wait for it).
          await a`rollback`.catch(() => {});
          await b`rollback`.catch(() => {});
          throw new Error(`${what}: ${(e as Error).message}`);
        }
        assert.equal(await outcome(s.id), want, what);
      }
    });
  } finally {
    a.release();
    b.release();
    await Promise.all([owner.end(), poolA.end(), poolB.end()]);
  }
});

Deno.test("an out-of-order candle stored while a rebuild is saved is never lost: the next rebuild compares from it", async () => {
  const owner = connect(2);
  const poolA = connect(1);
  const poolB = connect(1);
  const a = await poolA.reserve();
  const b = await poolB.reserve();
  const [{ pid: pidA }] = await a`select pg_backend_pid() as pid`;
  const [{ pid: pidB }] = await b`select pg_backend_pid() as pid`;
  const waiting = async (pid: number) => {
    for (let i = 0; i < 500; i++) {
      const [r] = await owner`select wait_event_type = 'Lock' as blocked from pg_stat_activity
        where pid = ${pid}`;
      if (r?.blocked) return;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`backend ${pid} never waited on a lock`);
  };
  const candle = (i: number, high = 102) => ({
    symbol: "TSTEPOCH",
    timeframe: "1h",
    open_time: T0 + i * HOUR,
    open: 100,
    high,
    low: 99,
    close: 101,
    volume: 5,
  });
  const ingest = (c: typeof owner, rows: unknown[]) =>
    c`select api.ingest_candles(${JSON.stringify(rows)}::text::json)`;
  const rebuild = (c: typeof a, epoch: number) =>
    c`select applied from api.save_analysis(${
      JSON.stringify([{
        symbol: "TSTEPOCH",
        timeframe: "1h",
        snapshot: {},
        epoch,
        expected_last_open_time: null,
        last_open_time: T0 + 9 * HOUR,
      }])
    }::text::jsonb)`;
  const epochRow = async () => {
    const [r] = await owner`select epoch::int as epoch, public.epoch_ms(changed_from)::float8 as t
      from private.series_epochs where symbol = 'TSTEPOCH' and timeframe = '1h'`;
    return r ? `${r.epoch}:${r.t === null ? "none" : (r.t - T0) / HOUR}` : "none";
  };
  try {
    await withTestSymbol(owner, "TSTEPOCH", async () => {
      await ingest(owner, [0, 1, 2, 3, 4, 6, 7, 8, 9].map((i) => candle(i)));
      await ingest(owner, [candle(5)]);
      assert.equal(await epochRow(), "1:5", "the late candle 5 ends epoch 0");
      try {
        // The rebuild's save holds the epoch row; a changed candle 3 waits, then ends its epoch.
        await a`begin`;
        assert.equal((await rebuild(a, 1))[0].applied, true);
        const changed = ingest(b, [candle(3, 103)]).execute();
        await waiting(pidB);
        await a`commit`;
        await changed;
        assert.equal(
          await epochRow(),
          "2:3",
          "the change after the rebuild is kept for the next one",
        );
        // A changed candle 4 holds the epoch row; the rebuild's save waits, then is refused.
        await b`begin`;
        await ingest(b, [candle(4, 104)]);
        const saving = rebuild(a, 2).execute();
        await waiting(pidA);
        await b`commit`;
        assert.equal((await saving)[0].applied, false, "a rebuild of an ended epoch is refused");
        assert.equal(await epochRow(), "3:3", "and keeps the earliest change for the next rebuild");
      } catch (e) {
        await a`rollback`.catch(() => {});
        await b`rollback`.catch(() => {});
        throw e;
      }
    });
  } finally {
    a.release();
    b.release();
    await Promise.all([owner.end(), poolA.end(), poolB.end()]);
  }
});

/**
 * The ingest job on a replay's virtual clock. On Supabase pg_cron runs `wyckoff-ingest` at every
 * minute of the real clock; in a replay Binance's clock is the fake's virtual one, so the minutes
 * that matter are its close instants. This runs the same job row (`private.jobs`, the SQL pg_cron
 * runs) at each close instant of the replayed candles, and waits for the run it woke to report
 * (`relay_status` row `ingest`), through the real path: the job's signed wake-up, the pg_net
 * stand-in, the gateway, the ingest function, the fake's REST.
 *
 * - `drive` (poll mode): the cron owns the fake's clock. For each close instant it sets the clock
 *   there and lets it run at real speed while the run waits for the poll delay and fetches, then
 *   stops it and moves to the next instant: a replay of weeks takes as long as its runs, one per
 *   close instant. `speed` N paces instants N × faster than real time instead of back to back.
 *   After the last instant it runs once more {@link HOLD_UNCONFIRMED_MS} later, when Binance would
 *   have had to publish a following candle (the replay's last candles have none).
 * - follow (both mode): the relay's stream drives the clock; the cron fires when the clock has
 *   passed the next close instant (instants passed meanwhile make one run, as missed minutes do).
 */

import type postgres from "postgres";
import type { FakeBinance, ReplaySpeed } from "../fakes/binance.ts";
import type { Logger } from "../lib/cli/log.ts";
import { HOLD_UNCONFIRMED_MS } from "../../supabase/functions/ingest/run.ts";

/** The job the cron runs. */
export const INGEST_JOB = "wyckoff-ingest";

/** The channel api.ingest_report notifies with the number of runs recorded. */
export const INGEST_RUN_CHANNEL = "wyckoff_ingest_run";

/** Options of {@link startReplayCron}. */
export interface ReplayCronOptions {
  sql: postgres.Sql;
  fake: FakeBinance;
  /** Close instants to run at (ms, any order; duplicates ignored). */
  instants: readonly number[];
  /** Own the fake's clock (poll mode) instead of following it (both mode). */
  drive: boolean;
  /** Driving: "max" = each instant as soon as the previous run reported; N = N × real time. */
  speed?: ReplaySpeed;
  /** The job does not run at these instants (tests: missed minutes). */
  skip?: (instant: number, index: number) => boolean;
  /** Called before the job runs at an instant, the clock set there (tests: faults, checks). */
  beforeRun?: (instant: number, index: number) => Promise<void> | void;
  /** Longest wait for a woken run's report (ms, default 60,000); then the cron moves on. */
  runTimeoutMs?: number;
  /**
   * Driving: true once every replayed candle is stored. After the last instant the cron runs again
   * (the last candles' confirmation, {@link HOLD_UNCONFIRMED_MS} later) until this holds, at most
   * 10 times (a fault may have spoilt the first tries).
   */
  complete?: () => Promise<boolean>;
  /** Driving: run once more {@link HOLD_UNCONFIRMED_MS} after the last instant (default true). */
  confirmLast?: boolean;
  log: Logger;
}

/** Figures of a running cron. */
export interface ReplayCronStats {
  /** Instants the job ran at, and instants skipped on purpose. */
  fired: number;
  skipped: number;
  /** Job runs that sent no wake-up (nothing due, wake-ups unconfigured). */
  notWoken: number;
  /** Wake-ups the function did not accept (answered other than 202, e.g. a fault at the gateway). */
  refused: number;
  /** Runs reported by the function, and woken runs that did not report in time. */
  runs: number;
  timeouts: number;
  /** Wall time from firing the job to the run's report (ms), one per reported run. */
  runMs: number[];
}

/** A running replay cron (see the module doc). */
export interface ReplayCron {
  readonly stats: ReplayCronStats;
  /** Resolves after the last instant's run (rejects if the job cannot run at all). */
  readonly done: Promise<void>;
  /** True when no run is in progress. */
  idle(): boolean;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs recorded in relay_status row `ingest` so far. */
async function reportedRuns(sql: postgres.Sql): Promise<number> {
  const [r] = await sql`select coalesce((details ->> 'runs')::bigint, 0) as runs
    from public.relay_status where relay_id = 'ingest'`;
  return r ? Number(r.runs) : 0;
}

/** Starts the cron (see the module doc). */
export function startReplayCron(opts: ReplayCronOptions): ReplayCron {
  const { sql, fake } = opts;
  const instants = [...new Set(opts.instants)].sort((a, b) => a - b);
  const runTimeout = opts.runTimeoutMs ?? 60_000;
  const stats: ReplayCronStats = {
    fired: 0,
    skipped: 0,
    notWoken: 0,
    refused: 0,
    runs: 0,
    timeouts: 0,
    runMs: [],
  };
  let stopped = false;
  let busy = false;
  // api.ingest_report notifies each recorded run; polling stays as the fallback.
  let notified = 0;
  let wake: (() => void) | null = null;
  const listening = sql.listen(INGEST_RUN_CHANNEL, (payload) => {
    notified = Math.max(notified, Number(payload) || 0);
    wake?.();
  });

  /** Runs the job once and waits for the run it woke (or for the wake-up's refusal, or the timeout). */
  const fire = async (command: string): Promise<void> => {
    busy = true;
    try {
      const before = Math.max(notified, await reportedRuns(sql));
      const started = performance.now();
      const [row] = await sql.unsafe(command);
      stats.fired++;
      const id = row ? Object.values(row)[0] : null;
      if (id === null || id === undefined) {
        stats.notWoken++;
        return;
      }
      const until = performance.now() + runTimeout;
      let accepted = false;
      let lastCheck = 0;
      for (let k = 0; !stopped && performance.now() < until; k++) {
        if (notified > before || (k % 8 === 7 && await reportedRuns(sql) > before)) {
          stats.runs++;
          stats.runMs.push(performance.now() - started);
          return;
        }
        if (!accepted && performance.now() - lastCheck > 20) {
          lastCheck = performance.now();
          const [res] = await sql`select status_code from net._http_response
            where id = ${String(id)}::bigint`;
          if (res && res.status_code !== 202) {
            stats.refused++;
            return;
          }
          accepted = res !== undefined;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, 25);
          function done() {
            clearTimeout(t);
            wake = null;
            resolve();
          }
          wake = done;
        });
      }
      if (!stopped) {
        stats.timeouts++;
        opts.log({ level: "warn", msg: "ingest run did not report in time", request_id: id });
      }
    } finally {
      busy = false;
    }
  };

  const run = async () => {
    await listening;
    const [job] = await sql<{ command: string }[]>`select command from private.jobs
      where name = ${INGEST_JOB}`;
    if (!job) {
      throw new Error(`${INGEST_JOB} is not in private.jobs: set ingest_mode to poll or both`);
    }
    if (opts.drive) {
      const clock = fake.clock;
      clock.setSpeed(1); // between instants the clock stands still; during a run it is real time
      const pace = opts.speed === undefined || opts.speed === "max" ? null : opts.speed;
      const last = instants.at(-1);
      const steps = last === undefined || opts.confirmLast === false
        ? [...instants]
        : [...instants, last + HOLD_UNCONFIRMED_MS];
      const real0 = performance.now();
      let extra = 0;
      for (let i = 0; i < steps.length && !stopped; i++) {
        const t = steps[i];
        if (pace !== null) {
          const due = real0 + (t - steps[0]) / pace;
          if (due > performance.now()) await sleep(due - performance.now());
        }
        clock.pause();
        clock.advanceTo(t);
        if (i < instants.length && opts.skip?.(t, i)) {
          stats.skipped++;
          continue;
        }
        try {
          await opts.beforeRun?.(t, i);
          clock.play();
          await fire(job.command);
        } catch (e) {
          opts.log({ level: "warn", msg: "ingest job failed", error: (e as Error).message });
        } finally {
          clock.pause();
        }
        if (i === steps.length - 1 && opts.complete && extra < 10 && !await opts.complete()) {
          steps.push(t + 60_000); // one more run a minute later
          extra++;
        }
      }
      return;
    }
    let i = 0;
    while (!stopped && i < instants.length) {
      if (fake.clock.now() < instants[i]) {
        await sleep(5);
        continue;
      }
      // Every instant the clock has passed is covered by one run.
      const now = fake.clock.now();
      const first = i;
      while (i < instants.length && instants[i] <= now) i++;
      if (opts.skip?.(instants[first], first)) {
        stats.skipped++;
        continue;
      }
      try {
        await opts.beforeRun?.(instants[first], first);
        await fire(job.command);
      } catch (e) {
        opts.log({ level: "warn", msg: "ingest job failed", error: (e as Error).message });
      }
    }
  };

  const done = run();
  return {
    stats,
    done,
    idle: () => !busy,
    stop: async () => {
      stopped = true;
      wake?.();
      await done.catch(() => {});
      await (await listening.catch(() => null))?.unlisten().catch(() => {});
    },
  };
}

/**
 * The local stack behind `deno task start`: everything the product runs on Supabase, on one machine,
 * from the same code. A Postgres (a throwaway cluster, or the database you name) with the migrations
 * and seed; the Edge Function bundles, each in its own process, behind Supabase's local address
 * (`http://127.0.0.1:54321/functions/v1/<name>`), with Supabase's REST subset and Realtime beside them
 * (`/rest/v1/`, `/realtime/v1/`: ./local_api.ts); the pg_net stand-in's dispatcher sending the
 * database's signed wake-ups to them; the scheduled jobs of `private.jobs` where pg_cron is absent;
 * and a watcher that reports every stored signal. The data feed (the relay, live or replayed) is
 * attached by scripts/start.ts.
 */

import postgres from "postgres";
import { NetDispatcher } from "../db/dispatcher.ts";
import { startTestDatabase } from "../db/harness.ts";
import { dropPreviousRunWakeUps } from "./stale_wake_ups.ts";
import { applyDatabase } from "../db/migrate.ts";
import type { Logger } from "../lib/cli/log.ts";
import {
  signalsAfter,
  type StoredSignalRecord,
  withdrawnAfter,
  type WithdrawnSignal,
} from "../lib/report/signal_preview.ts";
import { bundleAll } from "../build/bundle.ts";
import {
  type FunctionProcess,
  type FunctionsGateway,
  startFunctionProcess,
  startGateway,
} from "./functions.ts";
import { hasPgCron, type JobRunner, startJobRunner } from "./jobs.ts";
import type { ApiKeys } from "./jwt.ts";
import { localApiSecret, startLocalApi } from "./local_api.ts";
import { INGEST_JOB } from "./replay_cron.ts";
import { applyWakeSettings, readWakeSettings, restoreWakeSettings } from "./wake_settings.ts";
import { guardDroppedTypeFetch } from "../../supabase/functions/_shared/postgres_restart.ts";

/** Settings of {@link startStack}. */
export interface StackOptions {
  /** Repository root (ending in /). */
  root: string;
  /** Use this database instead of a throwaway cluster (migrations and seed are applied if missing). */
  dbUrl?: string;
  /** A throwaway database with fsync on (benchmarks); default off, as in tests. */
  durable?: boolean;
  /** Gateway port (default 54321, Supabase's local API port; 0 = any free port). */
  port?: number;
  /** Extra environment for every function process (e.g. BINANCE_REST_URL of a replay). */
  functionEnv?: Record<string, string>;
  /** Post signals however late they are analysed (replays of old data): setting notify_late_signals. */
  postLateSignals?: boolean;
  /** Run every scheduled job at this fixed period instead of its cron schedule (tests). */
  jobsEveryMs?: number;
  /**
   * Setting ingest_mode: relay (default; no ingest job), poll or both (the wyckoff-ingest job wakes
   * the ingest function every minute).
   */
  ingestMode?: "relay" | "poll" | "both";
  /** Setting poll_delay_ms (ms after a close, by Binance's clock, before ingest asks for it). */
  pollDelayMs?: number;
  /**
   * A replay: the ingest job runs on the replay's virtual clock (scripts/stack/replay_cron.ts), so
   * neither pg_cron nor the job runner runs it on the real one (pg_cron's schedule is restored on
   * stop).
   */
  ingestOnVirtualClock?: boolean;
  /** Called with each newly stored live signal, in id order. */
  onSignal?: (s: StoredSignalRecord) => void;
  /**
   * Called once for each signal reported by `onSignal` that was later withdrawn (superseded after a
   * late or changed candle). A signal withdrawn before it was reported is never reported at all.
   */
  onWithdrawn?: (w: WithdrawnSignal) => void;
  /** Show every repeat of a function's warning (default: once per 10 minutes, with a count). */
  verbose?: boolean;
  log: Logger;
}

/** A running local stack. */
export interface Stack {
  /** The database (postgres:// URL) and a client on it. */
  dbUrl: string;
  sql: postgres.Sql;
  /** `http://127.0.0.1:<port>`: the project URL for supabase-js (REST subset, Realtime, functions). */
  url: string;
  /** The anon and service_role keys of this run (also in `.cache/local-api.json` for `deno task watch`). */
  keys: ApiKeys;
  /** `http://127.0.0.1:<port>/functions/v1` */
  functionsUrl: string;
  functions: FunctionProcess[];
  /** The gateway (its `faults` let tests break a function's route at the network boundary). */
  gateway: FunctionsGateway;
  dispatcher: NetDispatcher;
  /** The job runner, or null where pg_cron runs the jobs. */
  jobs: JobRunner | null;
  /** Signals reported so far and still live. */
  signals: number;
  /** Reported signals withdrawn since. */
  withdrawn: number;
  /** Restarts the throwaway database server (tests: connections are cut, data kept). */
  restartDatabase(): Promise<void>;
  /** Stops everything started, in reverse order; the throwaway database is deleted. */
  stop(): Promise<void>;
}

/** Starts the stack (see the module doc). Anything that fails to start is stopped again before throwing. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  // Its clients outlive database restarts (restartDatabase, a restarted --db-url database): a
  // restart that kills a connection postgres.js is still setting up must not end the process.
  guardDroppedTypeFetch();
  const log = opts.log;
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    while (stops.length) {
      const s = stops.pop()!;
      try {
        await s();
      } catch (e) {
        log({ level: "warn", msg: "stop failed", error: (e as Error).message });
      }
    }
  };
  try {
    let dbUrl = opts.dbUrl;
    let restartDatabase = (): Promise<void> =>
      Promise.reject(new Error("not a throwaway database"));
    if (!dbUrl) {
      log({ level: "info", msg: "starting a throwaway Postgres" });
      const db = await startTestDatabase({
        durable: opts.durable ?? false,
        warn: (line) => log({ level: "warn", msg: line }),
      });
      stops.push(() => db.stop());
      dbUrl = db.url;
      restartDatabase = () => db.restart();
    } else {
      await applyDatabase(dbUrl, { root: opts.root, seed: true });
    }
    const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
    stops.push(() => sql.end({ timeout: 5 }));

    log({ level: "info", msg: "bundling functions" });
    const built = await bundleAll(opts.root);
    const functionLog = functionLogger(log, opts.verbose ? 0 : undefined);
    const functionEnv = { SUPABASE_DB_URL: dbUrl, LOG_LEVEL: "info", ...opts.functionEnv };
    const functions: FunctionProcess[] = [];
    for (const b of built) {
      const fn = await startFunctionProcess(
        b.name,
        b.path,
        functionEnv,
        (line) => functionLog(b.name, line),
      );
      functions.push(fn);
      stops.push(() => fn.stop());
      log({
        level: "info",
        msg: "function started",
        fn: b.name,
        cold_start_ms: Math.round(fn.coldStartMs),
      });
    }
    const api = await startLocalApi({ dbUrl, log, ...(await localApiSecret(opts.root)) });
    stops.push(() => api.stop());
    let gateway: FunctionsGateway;
    try {
      gateway = startGateway(functions, opts.port ?? 54321, api.routes);
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse)) throw e;
      throw new Error(
        `127.0.0.1:${
          opts.port ?? 54321
        } is already in use: stop what listens there or pass --port N`,
      );
    }
    stops.push(() => gateway.stop());
    await api.publish(opts.root, gateway.url);
    log({
      level: "info",
      msg: "API ready (REST subset, Realtime, functions)",
      url: gateway.url,
      anon_key: api.keys.anonKey,
      service_role_key: api.keys.serviceRoleKey,
    });

    // Wake-ups go to the gateway, signed with a fresh key each run; a database of the user's gets
    // its own settings back when the stack stops.
    let savedSecret: string | null = null;
    if (opts.dbUrl) {
      const saved = await readWakeSettings(sql);
      savedSecret = saved.secret;
      stops.push(async () => {
        for (const problem of await restoreWakeSettings(sql, saved)) {
          log({ level: "warn", msg: problem });
        }
      });
    }
    const secret = crypto.randomUUID().replaceAll("-", "");
    await applyWakeSettings(sql, {
      functionsUrl: gateway.functionsUrl,
      secret,
      postLateSignals: opts.postLateSignals ?? false,
      ingestMode: opts.ingestMode,
      pollDelayMs: opts.pollDelayMs,
    });
    const stale = await dropPreviousRunWakeUps(sql, {
      functionsUrl: gateway.functionsUrl,
      secret,
      savedSecret,
    });
    if (stale > 0) {
      log({
        level: "info",
        progress: true,
        msg: `ignored ${stale} wake-up${
          stale === 1 ? "" : "s"
        } a previous run left queued, signed with that run's key (each run signs with a new one); the minute sweeps redo their work`,
      });
    }

    const dispatcher = new NetDispatcher({
      url: dbUrl,
      pollMs: 200,
      log: (e) => {
        if (e.level !== "info") log(e);
      },
    });
    await dispatcher.start();
    stops.push(() => dispatcher.stop());

    let jobs: JobRunner | null = null;
    const virtual = opts.ingestOnVirtualClock ? [INGEST_JOB] : [];
    if (await hasPgCron(sql)) {
      log({ level: "info", msg: "pg_cron runs the scheduled jobs" });
      if (virtual.length) {
        await sql`select cron.unschedule(jobname) from cron.job where jobname = ${INGEST_JOB}`;
        stops.push(async () => void await sql`select private.schedule_jobs()`);
      }
    } else {
      jobs = await startJobRunner(
        sql,
        (level, msg, fields) => log({ level, msg, ...fields }),
        opts.jobsEveryMs,
        virtual,
      );
      const runner = jobs;
      stops.push(() => runner.stop());
    }

    const stack: Stack = {
      dbUrl,
      sql,
      url: gateway.url,
      keys: api.keys,
      functionsUrl: gateway.functionsUrl,
      functions,
      gateway,
      dispatcher,
      jobs,
      signals: 0,
      withdrawn: 0,
      restartDatabase,
      stop: stopAll,
    };
    const [{ last }] = await sql`select coalesce(max(id), 0)::bigint as last from public.signals`;
    const watcher = watchSignals(sql, Number(last), (s) => {
      stack.signals++;
      opts.onSignal?.(s);
    }, (w) => {
      stack.signals--;
      stack.withdrawn++;
      opts.onWithdrawn?.(w);
    });
    stops.push(() => watcher.stop());
    return stack;
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * Polls every `everyMs` for newly stored live signals (reported in id order) and for reported ones
 * withdrawn since (each reported once).
 */
function watchSignals(
  sql: postgres.Sql,
  afterId: number,
  onSignal: (s: StoredSignalRecord) => void,
  onWithdrawn: (w: WithdrawnSignal) => void,
  everyMs = 150,
): { stop(): Promise<void> } {
  let last = afterId;
  let running = true;
  const reported = new Set<number>();
  const withdrawn = new Set<number>();
  const poll = async () => {
    for (const s of await signalsAfter(sql, last)) {
      last = s.id;
      reported.add(s.id);
      onSignal(s);
    }
    for (const w of await withdrawnAfter(sql, afterId, 100_000)) {
      if (!reported.has(w.id) || withdrawn.has(w.id)) continue;
      withdrawn.add(w.id);
      onWithdrawn(w);
    }
  };
  const loop = (async () => {
    while (running) {
      try {
        await poll();
      } catch { /* database restarting: try again */ }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      // Report what arrived since the last poll.
      try {
        await poll();
      } catch { /* database already gone */ }
    },
  };
}

/**
 * Function log lines (JSON) re-emitted through the stack's log; warnings and errors only. A warning
 * that repeats with the same fields (say "Discord is not configured" at every wake-up of a run
 * without Discord settings) is shown once per `repeatMs`, with how many were left out since.
 */
export function functionLogger(
  log: Logger,
  repeatMs = 10 * 60_000,
  now: () => number = Date.now,
): (fn: string, line: string) => void {
  const seen = new Map<string, { at: number; hidden: number }>();
  return (fn, line) => {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line);
      if (typeof e !== "object" || e === null) throw new Error("not an object");
    } catch {
      log({ level: "warn", msg: line.slice(0, 300), fn });
      return;
    }
    if (e.level !== "warn" && e.level !== "error") return;
    const { time: _time, ...fields } = e;
    const key = `${fn} ${JSON.stringify(fields)}`;
    const last = seen.get(key);
    const t = now();
    if (last && t - last.at < repeatMs) {
      last.hidden++;
      return;
    }
    if (seen.size > 1000) seen.clear();
    seen.set(key, { at: t, hidden: 0 });
    const repeats = last?.hidden ? { repeated: last.hidden } : {};
    log({ ...e, level: e.level, msg: String(e.msg ?? ""), fn, ...repeats });
  };
}

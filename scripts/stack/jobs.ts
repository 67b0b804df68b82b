/**
 * Runs the scheduled jobs of `private.jobs` where pg_cron is absent (embedded or plain Postgres): the
 * same rows the migrations register with pg_cron on Supabase, so there is one list, not two. Each job
 * runs its SQL command at its cron schedule (UTC, parsed by the `croner` library); a failing job is
 * logged and runs again at its next time.
 */

import { Cron } from "croner";
import type postgres from "postgres";

/** A job as listed in private.jobs. */
export interface Job {
  name: string;
  schedule: string;
  command: string;
}

/** A running job scheduler. */
export interface JobRunner {
  jobs: Job[];
  /** Runs every job once now, in list order (tests, and `--exit-when-done` catch-up). */
  runAll(): Promise<void>;
  stop(): void;
}

/** Reads private.jobs. */
export async function readJobs(sql: postgres.Sql): Promise<Job[]> {
  return await sql<Job[]>`select name, schedule, command from private.jobs order by name`;
}

/** True when pg_cron runs the jobs in this database (then the stack must not run them too). */
export async function hasPgCron(sql: postgres.Sql): Promise<boolean> {
  const [r] = await sql`select to_regnamespace('cron') is not null as yes`;
  return r.yes as boolean;
}

/**
 * Schedules every job of private.jobs but those named in `except` (run elsewhere, e.g. on a
 * replay's virtual clock); `everyMs` (tests) replaces each schedule with a fixed period. Job SQL
 * comes from the database's own table (written by migrations), never from a user.
 */
export async function startJobRunner(
  sql: postgres.Sql,
  log: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void,
  everyMs?: number,
  except: readonly string[] = [],
): Promise<JobRunner> {
  const jobs = (await readJobs(sql)).filter((j) => !except.includes(j.name));
  const running = new Set<string>();
  const run = async (job: Job) => {
    if (running.has(job.name)) return; // the previous run is still going
    running.add(job.name);
    try {
      await sql.unsafe(job.command);
    } catch (e) {
      log("warn", "job failed", { job: job.name, error: (e as Error).message.split("\n")[0] });
    } finally {
      running.delete(job.name);
    }
  };
  const crons: Cron[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];
  for (const job of jobs) {
    if (everyMs) timers.push(setInterval(() => run(job), everyMs));
    else crons.push(new Cron(job.schedule, { timezone: "UTC", protect: true }, () => run(job)));
  }
  log("info", "jobs scheduled", {
    jobs: jobs.map((j) => `${j.name} ${everyMs ? `every ${everyMs} ms` : j.schedule}`),
  });
  return {
    jobs,
    runAll: async () => {
      for (const job of jobs) await run(job);
    },
    stop: () => {
      for (const c of crons) c.stop();
      for (const t of timers) clearInterval(t);
    },
  };
}

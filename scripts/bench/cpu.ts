/**
 * CPU time of the benchmark's own process and of a local Postgres cluster's processes, so database
 * figures measured on a shared, loaded machine can be read per CPU-second (wall-clock rates there
 * mostly measure how much of a core the run got).
 *
 * Linux only (`/proc/<pid>/stat`, utime + stime in clock ticks of 10 ms, USER_HZ = 100); elsewhere
 * the database figure is null.
 */

import process from "node:process";
import type postgres from "postgres";

/** CPU ms (user + system) this process has used so far. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms (user + system) of one process from /proc, or null when it cannot be read. */
function pidCpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which sits in parentheses and may hold spaces): state is the
    // 1st, utime the 12th and stime the 13th.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * CPU ms used so far by each process of the cluster `sql` is connected to that `pg_stat_activity`
 * lists (its connections and its background processes), keyed by pid; null when /proc cannot be
 * read (not Linux, or a remote database). Take one snapshot before and one after the work and
 * pass both to {@link cpuSince}.
 */
export async function clusterCpu(sql: postgres.Sql): Promise<Map<number, number> | null> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity`;
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = pidCpuMs(pid);
    if (ms === null) return null;
    out.set(pid, ms);
  }
  return out;
}

/**
 * CPU ms the cluster used between two {@link clusterCpu} snapshots (processes that started in
 * between count from zero; processes that ended in between are not counted); null when either
 * snapshot is null.
 */
export function cpuSince(
  before: Map<number, number> | null,
  after: Map<number, number> | null,
): number | null {
  if (before === null || after === null) return null;
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}

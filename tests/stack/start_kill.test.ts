/**
 * `kill -9` on `deno task start` leaves nothing running: the function processes die with the
 * process that started them (parent-death signal), the throwaway cluster is stopped and its folder
 * removed by its reaper (which waits for its starter's end), and a script whose `deno task` was
 * killed stops itself as on SIGTERM. Each test waits for the condition with a deadline, never for a
 * fixed time.
 */

import assert from "node:assert/strict";
import { fixtureRows } from "../support/fixtures.ts";
import { spawnStartInSession, waitReplaying } from "../support/start_session.ts";

const ROWS = fixtureRows("BTCUSDT-1h-2025W02-W07.json").slice(0, 700);

interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

async function processes(): Promise<Proc[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,ppid=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").flatMap((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }] : [];
  });
}

/** Waits until `check` returns [] (nothing left), at most `ms`; returns what is still left. */
async function waitNothingLeft(check: () => Promise<string[]>, ms: number): Promise<string[]> {
  let left = await check();
  for (const until = Date.now() + ms; left.length > 0 && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 200));
    left = await check();
  }
  return left;
}

/**
 * Runs `deno task start` on a replay at real speed in its own session, waits until it replays, then
 * calls `kill` with the pids of deno task and of the script, and checks that within `ms` no process
 * of the run and no cluster folder is left. Returns the run's stderr.
 */
async function startThenKill(
  kill: (pids: { task: number; script: number }) => void,
  ms: number,
): Promise<string> {
  const tmp = await Deno.makeTempDir({ prefix: "start-kill-" });
  await Deno.chmod(tmp, 0o755); // as /tmp: Postgres runs as its own user when the tests run as root
  const file = `${tmp}/in/BTCUSDT-1h-2025W02.json`;
  await Deno.mkdir(`${tmp}/in`);
  await Deno.writeTextFile(file, JSON.stringify(ROWS));
  const session = spawnStartInSession(file, tmp, "null");
  const { child, reader } = session;
  let stderr = "";
  try {
    await waitReplaying(session);
    stderr = session.stderr;
    const before = await processes();
    const script = before.find((p) => p.ppid === child.pid && p.args.includes("scripts/start.ts"));
    assert.ok(script, `the script runs under deno task:\n${JSON.stringify(before)}`);
    const functions = before.filter((p) => p.ppid === script.pid && p.args.includes("bundle.js"));
    assert.ok(functions.length >= 4, `the function processes run: ${JSON.stringify(functions)}`);
    assert.equal(
      [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("wyckoff-pg-")).length,
      1,
      "the throwaway cluster lives in TMPDIR",
    );
    kill({ task: child.pid, script: script.pid });
    const watched = new Set(functions.map((p) => p.pid));
    const left = await waitNothingLeft(async () => [
      ...(await processes())
        .filter((p) => watched.has(p.pid) || p.args.includes(tmp))
        .map((p) => `process ${p.pid}: ${p.args}`),
      ...[...Deno.readDirSync(tmp)].filter((e) => e.name !== "in").map((e) => `folder ${e.name}`),
    ], ms);
    assert.deepEqual(left, [], "no process or cluster folder of the run is left");
    for (let r = await reader.read(); !r.done; r = await reader.read()) stderr += r.value;
    await child.status;
    return stderr;
  } finally {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await reader.cancel().catch(() => {});
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("kill -9 on the start script: its function processes die with it and its throwaway database is stopped and removed", async () => {
  await startThenKill(({ script }) => Deno.kill(script, "SIGKILL"), 30_000);
});

Deno.test("kill -9 on the whole process group of deno task start (kill -9 %1): the database, in its own session, is still stopped and removed", async () => {
  await startThenKill(({ task }) => Deno.kill(-task, "SIGKILL"), 30_000);
});

Deno.test("kill -9 on deno task alone: the orphaned start script notices and stops as on SIGTERM, leaving nothing", async () => {
  const stderr = await startThenKill(({ task }) => Deno.kill(task, "SIGKILL"), 60_000);
  assert.match(stderr, /stopping \(parent process gone\)/);
  assert.match(stderr, /\nsummary: \d+ candles stored, \d+ signals, 1 series, [\d.]+ s\n$/);
});

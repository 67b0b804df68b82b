/** Runs the project's command-line tasks as real subprocesses and captures their output. */

const root = new URL("../../", import.meta.url);

/** Result of a CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runTask} and {@link runScript}. */
export interface RunOptions {
  /** Environment for the child: these variables only (plus PATH and HOME), so nothing leaks in. */
  env?: Record<string, string>;
  /** Text written to the child's stdin (default: none). */
  stdin?: string;
}

function childEnv(env: Record<string, string> | undefined): Record<string, string> {
  const base: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "NO_COLOR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) base[k] = v;
  }
  return { ...base, NO_COLOR: "1", ...env };
}

async function run(args: string[], opts: RunOptions): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: childEnv(opts.env),
    clearEnv: true,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs `deno task -q <task> ...args` from the project root: the task exactly as a user types it,
 * with the permissions deno.json grants (`-q` only hides deno's "Task …" banner).
 */
export function runTask(task: string, args: string[] = [], opts: RunOptions = {}): Promise<CliRun> {
  return run(["task", "-q", task, ...args], opts);
}

/** Runs `deno run -A scripts/<script> ...args` from the project root. */
export function runScript(script: string, args: string[], opts: RunOptions = {}): Promise<CliRun> {
  return run(["run", "-A", `scripts/${script}`, ...args], opts);
}

/**
 * Spawns `deno run -A scripts/<script> ...args` with piped output, for long-running processes that a
 * test stops with a signal (sent to the script itself, not to a `deno task` parent).
 */
export function spawnScript(
  script: string,
  args: string[],
  opts: RunOptions = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `scripts/${script}`, ...args],
    cwd: root,
    env: childEnv(opts.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Asserts nothing in `text` looks like a stack trace (`    at f (file:…)` lines or "Uncaught"). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]/m.test(text) || /Uncaught/.test(text);
}

/**
 * `deno task start` run as a terminal runs it, for the tests that signal or kill it: in its own
 * session (setsid), so a signal to its process group reaches deno task, the script and the function
 * processes as Ctrl-C from a terminal does.
 */

const root = new URL("../../", import.meta.url).pathname;

/** A started `deno task start` and its stderr so far (read on through `reader`). */
export interface StartSession {
  child: Deno.ChildProcess;
  reader: ReadableStreamDefaultReader<string>;
  /** stderr read so far: up to and including the "replaying 1 series" line. */
  stderr: string;
}

/**
 * Spawns `deno task -q start --replay FILE --speed 1 --port 0` with TMPDIR `tmp` (where its
 * throwaway cluster lives) and only PATH, HOME and DENO_DIR passed on. `stdout` "piped" leaves
 * reading it to the caller; the caller ends the session (e.g. `Deno.kill(-child.pid, ...)`).
 */
export function spawnStartInSession(
  file: string,
  tmp: string,
  stdout: "piped" | "null",
): StartSession {
  const env: Record<string, string> = { NO_COLOR: "1", TMPDIR: tmp };
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "-q", "start", "--replay", file, "--speed", "1", "--port", "0"],
    cwd: root,
    env,
    clearEnv: true,
    stdin: "null",
    stdout,
    stderr: "piped",
  }).spawn();
  return {
    child,
    reader: child.stderr.pipeThrough(new TextDecoderStream()).getReader(),
    stderr: "",
  };
}

/** Reads `s`'s stderr until start says it replays (≤ 120 s); throws with what it said otherwise. */
export async function waitReplaying(s: StartSession): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!/replaying 1 series/.test(s.stderr)) {
    const { value, done } = await s.reader.read();
    if (done || Date.now() > deadline) throw new Error(`start did not come up:\n${s.stderr}`);
    s.stderr += value;
  }
}

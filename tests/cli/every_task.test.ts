/**
 * Every `deno task` behaves like the others: `--help` prints its usage and exits 0; an unknown option
 * or a missing value is one `error:` line on stderr and exit 1; no task prints a stack trace.
 */

import assert from "node:assert/strict";
import { hasStackTrace, runTask } from "../support/run_cli.ts";

const TASKS: string[] = Object.keys(
  JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).tasks,
);

/** Runs tasks a few at a time (each is its own process). */
async function eachTask(
  tasks: string[],
  fn: (task: string) => Promise<void>,
  concurrency = 4,
): Promise<void> {
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
    }),
  );
}

Deno.test("the task list is the one the README's task table documents", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  for (const t of TASKS) assert.match(readme, new RegExp(`\`deno task ${t}[ \`]`), t);
});

Deno.test("every task answers --help and -h with its usage on stdout and exit code 0", async () => {
  await eachTask(TASKS, async (task) => {
    for (const flag of ["--help", "-h"]) {
      const r = await runTask(task, [flag]);
      assert.equal(r.code, 0, `${task} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, /^usage: deno task [a-z:-]+/, `${task} ${flag}`);
      assert.equal(r.stderr, "", `${task} ${flag}`);
    }
  });
});

Deno.test("--help wins over other arguments, even bad ones", async () => {
  const r = await runTask("signals", ["--bogus", "nope.json", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^usage: deno task signals/);
});

Deno.test("every task refuses an unknown option in one line, exit 1, no stack trace", async () => {
  // `test` hands its arguments to `deno test` (after starting a database): left out on purpose.
  await eachTask(TASKS.filter((t) => t !== "test"), async (task) => {
    const r = await runTask(task, ["--bogus-option"]);
    assert.equal(r.code, 1, `${task}: ${r.stderr}`);
    assert.match(r.stderr, /^error: [^\n]*--bogus-option[^\n]*\n$/, task);
    assert.ok(!hasStackTrace(r.stderr), task);
    assert.equal(r.stdout, "", task);
  });
});

Deno.test("an option without its value is one line and exit 1", async () => {
  for (
    const [task, opt] of [
      ["db:migrate", "--db-url"],
      ["db:configure", "--db-url"],
      ["db:dispatcher", "--db-url"],
      ["signals", "--config"],
      ["indicators", "--last"],
      ["backtest", "--split"],
      ["klines:check", "--interval"],
    ]
  ) {
    const r = await runTask(task, [opt]);
    assert.equal(r.code, 1, `${task} ${opt}`);
    assert.equal(r.stderr, `error: ${opt} needs a value\n`, `${task} ${opt}`);
  }
});

Deno.test("bench hands the arguments after -- to the one part named", async () => {
  const help = await runTask("bench", ["pipeline", "--", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /usage: deno task bench pipeline \[--events N\][^\n]*--poll-delay MS/);
  const two = await runTask("bench", ["candles", "db", "--", "--events", "5"]);
  assert.equal(two.code, 1);
  assert.equal(
    two.stderr,
    "error: arguments after -- need exactly one part, e.g. bench pipeline -- --help\n",
  );
});

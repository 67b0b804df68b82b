/**
 * The README's examples run as written: every `deno task` command of the kline CLIs in its code blocks
 * is run in bash (brace expansion, line continuations) with `deno` on PATH, from the repository root,
 * and must exit 0; where a ```text block follows a command's ```sh block, stdout must equal it. The
 * files they write (`--html`, the chart's PNG or SVG) are removed again.
 * Templates (`<file>`, `URL`, `$VAR`, pipes) and tasks that need a database, the network or minutes
 * (test, bench, db:*, golden, …) are not run here; the task table test covers their `--help`.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const README = await Deno.readTextFile(`${ROOT}README.md`);
const RUNNABLE = new Set(["signals", "indicators", "backtest", "klines:check", "chart"]);

interface Example {
  command: string;
  /** The README line of the command. */
  line: number;
  /** Expected stdout (the ```text block right after), or null. */
  output: string | null;
}

/** Commands in fenced ```sh blocks and 4-space indented blocks, continuations joined. */
function examples(md: string): Example[] {
  const lines = md.split("\n");
  const out: Example[] = [];
  const take = (block: string[], start: number): Example[] => {
    const found: Example[] = [];
    for (let i = 0; i < block.length; i++) {
      if (!/^deno task /.test(block[i])) continue;
      let cmd = block[i];
      const line = start + i + 1;
      while (cmd.endsWith("\\") && i + 1 < block.length) cmd = cmd.slice(0, -1) + block[++i].trim();
      found.push({ command: cmd.replace(/\s+#.*$/, "").trim(), line, output: null });
    }
    return found;
  };
  for (let i = 0; i < lines.length; i++) {
    if (/^```(sh|bash)\s*$/.test(lines[i])) {
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end] !== "```") end++;
      const cmds = take(lines.slice(start, end), start);
      let j = end + 1;
      while (j < lines.length && lines[j].trim() === "") j++;
      if (lines[j] === "```text" && cmds.length === 1) {
        let k = j + 1;
        while (k < lines.length && lines[k] !== "```") k++;
        cmds[0].output = lines.slice(j + 1, k).join("\n") + "\n";
      }
      out.push(...cmds);
      i = end;
    } else if (/^ {4}deno task /.test(lines[i]) && (i === 0 || !/^ {4}/.test(lines[i - 1]))) {
      const start = i;
      let end = i;
      while (end < lines.length && /^ {4}/.test(lines[end])) end++;
      out.push(...take(lines.slice(start, end).map((l) => l.slice(4)), start));
      i = end - 1;
    }
  }
  return out;
}

const ALL = examples(README);
const TEMPLATE = /<|>|\$|\bURL\b|\||\.\.\./;
const RUN = ALL.filter((e) => RUNNABLE.has(e.command.split(/\s+/)[2]) && !TEMPLATE.test(e.command));

Deno.test("the README has runnable examples with printed output to check", () => {
  assert.ok(RUN.length >= 10, `${RUN.length} runnable examples`);
  assert.ok(RUN.filter((e) => e.output !== null).length >= 5);
  assert.ok(
    !/npx -y deno@[\d.]+ task/.test(README),
    "examples say `deno task`; the Quick start installs deno",
  );
});

/** A folder holding `deno` (this Deno), put first on PATH for bash. */
const BIN = await Deno.makeTempDir({ prefix: "readme-bin-" });
await Deno.symlink(Deno.execPath(), `${BIN}/deno`);

for (const ex of RUN) {
  Deno.test(`README line ${ex.line}: ${ex.command.slice(0, 90)}`, async () => {
    const html = ex.command.match(/--html\s+(\S+)/)?.[1];
    let wrote: string | undefined;
    try {
      const out = await new Deno.Command("bash", {
        args: ["-c", ex.command],
        cwd: ROOT,
        env: { PATH: `${BIN}:${Deno.env.get("PATH") ?? ""}`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      wrote = dec.decode(out.stdout).match(/^wrote (\S+) /)?.[1];
      assert.equal(out.code, 0, dec.decode(out.stderr));
      if (ex.output !== null) assert.equal(dec.decode(out.stdout), ex.output);
      if (html) assert.ok((await Deno.stat(`${ROOT}${html}`)).isFile, html);
    } finally {
      for (const f of [html, wrote]) if (f) await Deno.remove(`${ROOT}${f}`).catch(() => {});
    }
  });
}

globalThis.addEventListener("unload", () => Deno.removeSync(BIN, { recursive: true }));

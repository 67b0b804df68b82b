/**
 * The one skeleton every command-line entry point in `scripts/` uses. Copy this shape:
 *
 * ```ts
 * import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
 *
 * const HELP = `usage: deno task my-task <file> [--json]
 * One sentence on what it does.
 *   --json   one JSON object per line`;
 *
 * export async function main(args: string[]): Promise<void> {
 *   const { values, positionals } = parseCli(args, HELP, { json: { type: "boolean" } });
 *   if (positionals.length !== 1) throw new UsageError("expected one file (see --help)");
 *   ...
 * }
 *
 * if (import.meta.main) await runCli(main);
 * ```
 *
 * - {@link parseCli}: strict `node:util` parseArgs; `--help`/`-h` anywhere before `--` prints HELP on
 *   stdout and exits 0; an unknown option or missing value is a one-line {@link UsageError}.
 * - {@link runCli}: runs `main(Deno.args)`; a thrown error (any kind) is `error: <one line>` on stderr
 *   and exit 1, never a stack trace; `main` may return an exit code. A broken pipe (`| head`) ends
 *   quietly with 0.
 * - Output: plain text for people by default, `--json` for machines (one document or one object per
 *   line). Notes and warnings go to stderr ({@link note}) so stdout stays clean for pipes.
 * - {@link repoRoot}: the repository root, for files the task ships with (`supabase/migrations/`).
 * - Database tasks: `DB_URL_OPTIONS` + `dbUrlFrom(values)` (`--db-url`, else env `SUPABASE_DB_URL`,
 *   else its alias `DATABASE_URL`) and `withSql(url, fn)` (postgres.js, closes the connection, turns
 *   connection failures into one line without the password): `./database.ts`.
 * - Kline inputs: `KLINE_INPUT_OPTIONS` + `KLINE_INPUT_HELP` + `loadKlineInputs(positionals, values)`
 *   (many files and folders, non-kline files in folders skipped with a note, empty input refused,
 *   `--symbol` upper-cased, `--interval` checked, gap warnings, unclosed last candle dropped):
 *   `./kline_inputs.ts`. Analyzer settings: `ANALYZER_OPTIONS` + `analyzerConfigFromOptions(values)`
 *   (`./analyzer_options.ts`; refuses settings that can never signal). Numbers: `./numbers.ts`.
 * - Long-running processes (relay, dispatcher, stack) log through `consoleLogger(values.json)` with
 *   `LOG_OPTIONS` (`./log.ts`): text lines by default, JSON lines with `--json`.
 * - Tests run the real task in a subprocess: `runTask("my-task", [...])` in `tests/support/run_cli.ts`.
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { guardDroppedTypeFetch } from "../../../supabase/functions/_shared/postgres_restart.ts";

/** An error meant for the user: printed as one line, exit code 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Thrown by {@link parseCli} when `--help` is asked for; {@link runCli} prints it and exits 0. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
  constructor(readonly help: string) {
    super("help requested");
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Strict `node:util` parseArgs over `args` with `options` plus `--help`/`-h`. Positionals are allowed
 * (check their count yourself); `--` ends options, so a file named `-x` is `-- -x`.
 * Throws {@link HelpRequested} when `--help` or `-h` appears before `--` (even beside bad options),
 * and {@link UsageError} (one line, naming the option) for an unknown option or a missing value. A
 * negative number after an option that takes a value is that value (`--fee -1`), so the option's
 * own check can refuse it by its range.
 */
export function parseCli<const O extends Options>(
  args: string[],
  help: string,
  options: O,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
> {
  const end = args.indexOf("--");
  const head = end < 0 ? args : args.slice(0, end);
  if (head.includes("--help") || head.includes("-h")) throw new HelpRequested(help);
  try {
    return parseArgs({
      args: joinNegativeValues(args, options),
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(parseArgsMessage(e));
  }
}

/** A negative number as an option's value: `-1`, `-0.5`, `-.5`, `-1e3`. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--fee -1` as `--fee=-1` for options that take a value: node:util parseArgs reads a value that
 * starts with a dash as a missing one, and the option's own range check then names the problem
 * (`--fee: percent must be in [0, 10], got -1`) instead of "--fee needs a value".
 */
function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : null;
    const next = args[i + 1];
    if (
      name !== null && options[name]?.type === "string" && next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** node:util parseArgs errors in one short line. */
function parseArgsMessage(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e);
  const quoted = msg.match(/'(-[^' ]*)/)?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted} (see --help)`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing|ambiguous/.test(msg)) return `${quoted} needs a value`;
      return `${quoted}: ${msg.split("\n")[0]}`;
    default:
      return msg.split("\n")[0];
  }
}

/**
 * Runs a CLI `main` with `args` (default `Deno.args`) and exits: with `main`'s returned code (0 when
 * it returns nothing); 0 after printing help; 1 after printing any thrown error as
 * `error: <message on one line>` on stderr (no stack trace, also for unhandled rejections; the one
 * postgres.js drops when a database restart kills a connection it is setting up is not an error:
 * supabase/functions/_shared/postgres_restart.ts). A broken pipe (output piped into `head`) ends
 * quietly with 0.
 */
export async function runCli(
  main: (args: string[]) => Promise<number | void> | number | void,
  args: string[] = Deno.args,
): Promise<never> {
  guardDroppedTypeFetch(); // first, so that its listener runs before this one
  globalThis.addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    fail(ev.reason);
  });
  let code: number | void;
  try {
    code = await main(args);
  } catch (e) {
    fail(e);
  }
  Deno.exit(code ?? 0);
}

function fail(e: unknown): never {
  if (e instanceof HelpRequested) {
    try {
      console.log(e.help);
    } catch { /* broken pipe */ }
    Deno.exit(0);
  }
  if (e instanceof Deno.errors.BrokenPipe) Deno.exit(0);
  console.error(`error: ${oneLine(e)}`);
  Deno.exit(1);
}

/** An error's message on one line (newlines and runs of spaces collapsed). */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, " ").trim();
}

/** A note for the person at the terminal: one line on stderr (stdout stays clean for pipes). */
export function note(line: string): void {
  console.error(line);
}

/** Absolute path of the repository root, ending in `/` (e.g. `repoRoot() + "supabase/seed.sql"`). */
export function repoRoot(): string {
  return new URL("../../../", import.meta.url).pathname;
}

/** Writes lines to stdout in large chunks (fast for big outputs). */
export class LineWriter {
  #buf: string[] = [];
  #size = 0;
  readonly #enc = new TextEncoder();

  /** Queues one line. */
  line(s: string): void {
    this.#buf.push(s);
    this.#size += s.length;
    if (this.#size > 1 << 16) this.flush();
  }

  /** Writes everything queued. */
  flush(): void {
    if (!this.#buf.length) return;
    const data = this.#enc.encode(this.#buf.join("\n") + "\n");
    let off = 0;
    while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
    this.#buf = [];
    this.#size = 0;
  }
}

/** Small helpers shared by the command-line tools: one-line errors and exit codes. */

/** An error meant for the user: printed as one line, exit code 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Runs a CLI `main`, printing any error as one line on stderr (no stack) and exiting 1 on failure.
 * Broken pipes (e.g. `| head`) end the program quietly.
 */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`error: ${msg.split("\n").join(" ")}`);
    Deno.exit(1);
  }
}

/** Writes lines to stdout in large chunks (fast for big outputs). */
export class LineWriter {
  private buf: string[] = [];
  private size = 0;
  private readonly enc = new TextEncoder();

  /** Queues one line. */
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length;
    if (this.size > 1 << 16) this.flush();
  }

  /** Writes everything queued. */
  flush(): void {
    if (!this.buf.length) return;
    const data = this.enc.encode(this.buf.join("\n") + "\n");
    let off = 0;
    while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
    this.buf = [];
    this.size = 0;
  }
}

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */

/** Progress bar for long runs; silent (no output at all) when stderr is not a TTY or when disabled. */
export class ProgressBar {
  private readonly enc = new TextEncoder();
  private readonly on: boolean;
  private last = 0;

  constructor(enabled = true) {
    this.on = enabled && Deno.stderr.isTerminal();
  }

  /** Redraws the bar (at most every 50 ms unless `done === total`). */
  update(label: string, done: number, total: number): void {
    if (!this.on) return;
    const now = performance.now();
    if (done < total && now - this.last < 50) return;
    this.last = now;
    const width = 30;
    const full = total > 0 ? Math.round((done / total) * width) : 0;
    const bar = "#".repeat(full) + ".".repeat(width - full);
    Deno.stderr.writeSync(this.enc.encode(`\r\x1b[2K${label} [${bar}] ${done}/${total}`));
  }

  /** Clears the line. */
  clear(): void {
    if (this.on) Deno.stderr.writeSync(this.enc.encode("\r\x1b[2K"));
  }
}

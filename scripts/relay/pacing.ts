/**
 * Pacing for the relay's connections: reconnect backoff and the outgoing message limit.
 *
 * - {@link Backoff}: exponential from `initialMs` to `maxMs` with "equal jitter" (a delay is uniform
 *   in [d/2, d], so many relays restarting together spread out; AWS Architecture Blog, "Exponential
 *   Backoff And Jitter"), reset only after a connection stayed up for `stableMs`, so a connection
 *   that flaps right after opening keeps backing off instead of hammering.
 * - {@link MessageLimiter}: at most `perSecond` messages in any 1-second window (Binance: a client
 *   may send at most 5 messages a second per connection, control messages included).
 */

/** Settings of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay (ms, default 1,000). */
  initialMs?: number;
  /** Longest delay (ms, default 60,000). */
  maxMs?: number;
  /** A connection up at least this long (ms, default 60,000) resets the delay. */
  stableMs?: number;
  /** Uniform random in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Reconnect delays: jittered, doubling from `initialMs` to `maxMs`, reset after a stable period. */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #stable: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#initial = opts.initialMs ?? 1000;
    this.#max = opts.maxMs ?? 60_000;
    this.#stable = opts.stableMs ?? 60_000;
    this.#random = opts.random ?? Math.random;
    if (!(this.#initial > 0 && this.#max >= this.#initial)) {
      throw new RangeError(
        `backoff needs 0 < initialMs <= maxMs, got ${this.#initial}, ${this.#max}`,
      );
    }
  }

  /** Failed attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * The delay before the next attempt (ms). `upForMs` is how long the connection that just ended
   * had been up (0 when it never opened): at least `stableMs` resets the sequence first.
   */
  next(upForMs = 0): number {
    if (upForMs >= this.#stable) this.#attempt = 0;
    const ceiling = Math.min(this.#max, this.#initial * 2 ** this.#attempt);
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }
}

/** At most `perSecond` sends in any 1,000 ms window; `acquire()` waits for a free slot. */
export class MessageLimiter {
  readonly #perSecond: number;
  readonly #sent: number[] = [];
  readonly #now: () => number;
  #chain: Promise<void> = Promise.resolve();

  constructor(perSecond = 5, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /** Resolves when one more message may be sent now (callers are served in order). */
  acquire(): Promise<void> {
    const turn = this.#chain.then(() => this.#wait());
    this.#chain = turn;
    return turn;
  }

  async #wait(): Promise<void> {
    for (;;) {
      const now = this.#now();
      while (this.#sent.length && this.#sent[0] <= now - 1000) this.#sent.shift();
      if (this.#sent.length < this.#perSecond) {
        this.#sent.push(now);
        return;
      }
      await new Promise((r) => setTimeout(r, this.#sent[0] + 1001 - now));
    }
  }
}

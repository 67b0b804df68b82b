/**
 * Backoff of the missing-final watch for a quiet series: one whose final kline did not arrive and
 * whose REST check found no newer candle either. That is what a symbol whose trading stopped looks
 * like (Binance status BREAK: a halt or a delisting; the stream sends nothing and REST has no new
 * candle), and asking REST for it at every close instant would cost ~3 weight per series per
 * instant for as long as it stays halted. So each fruitless check doubles the wait before the next
 * one: one interval of the series, then two, four... at most `maxMs` (one hour by default, or one
 * interval when that is longer). Waits are measured on the stream's clock (close instants, ms),
 * like the watch itself. Any final kline of the series, or a check that finds a candle, ends it.
 */

/** Longest wait between two checks of a quiet series (ms): one hour. */
export const QUIET_MAX_MS = 3_600_000;

/** The watch's backoff state of one series (see the module doc). */
export class QuietBackoff {
  /** Current wait between checks (ms); 0 when the series is not quiet. */
  backoffMs = 0;
  /** Close instant (ms) of the first fruitless check of this quiet spell, or null. */
  since: number | null = null;
  /** Close instant (ms) from which the watch may check the series again. */
  until = 0;
  /** Fruitless checks in this quiet spell. */
  checks = 0;

  /** True while the series is quiet. */
  get quiet(): boolean {
    return this.backoffMs > 0;
  }

  /** True when the watch may check the series at close instant `instant` (ms). */
  due(instant: number): boolean {
    return instant >= this.until;
  }

  /**
   * Records a fruitless check made at close instant `instant` (ms) of a series of `intervalMs`:
   * the next is allowed one interval later the first time, then twice as long each time, at most
   * `max(maxMs, intervalMs)`. Returns true when this check made the series quiet (log it once).
   */
  fruitless(instant: number, intervalMs: number, maxMs = QUIET_MAX_MS): boolean {
    const first = !this.quiet;
    const cap = Math.max(maxMs, intervalMs);
    this.backoffMs = first ? Math.min(intervalMs, cap) : Math.min(2 * this.backoffMs, cap);
    this.since ??= instant;
    this.until = instant + this.backoffMs;
    this.checks++;
    return first;
  }

  /** Ends a quiet spell (a kline arrived, or a check found a candle); true when one was running. */
  reset(): boolean {
    const was = this.quiet;
    this.backoffMs = 0;
    this.since = null;
    this.until = 0;
    this.checks = 0;
    return was;
  }
}

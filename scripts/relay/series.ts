/**
 * The relay's view of one series (a symbol at an interval): its stream name, whether it is being
 * backfilled (WebSocket candles then wait in `buffer`) or live, the newest open time accepted for
 * storage, the recent open times already stored or queued (duplicates are dropped by them), and
 * the missing-final watch's backoff when the series goes quiet.
 * Also: reading a series list such as `BTCUSDT:1h,ETHUSDT:15m`, and splitting streams into shards.
 */

import { type Interval, INTERVAL_MS, isInterval } from "../../shared/candles/intervals.ts";
import type { Candle } from "../../shared/candles/types.ts";
import type { SeriesKey } from "../../supabase/functions/_shared/db_api.ts";
import { QuietBackoff } from "./quiet.ts";

/** Binance's kline stream name of a series, e.g. `btcusdt@kline_1h`. */
export function streamName(k: SeriesKey): string {
  return `${k.symbol.toLowerCase()}@kline_${k.interval}`;
}

/**
 * Open times remembered per series for duplicate detection; when more, those older than half as
 * many intervals before the newest are forgotten (bounded memory with 1,024 streams: ~20 MB).
 */
const REMEMBERED = 512;

/** State of one series in the relay (see the module doc). */
export class SeriesState {
  readonly key: SeriesKey;
  readonly stream: string;
  /** "backfilling": WebSocket candles wait in `buffer`; "live": they go to the batcher. */
  phase: "backfilling" | "live" = "backfilling";
  /** True while a backfill run holds this series. */
  inBackfill = false;
  /**
   * Set when the stream may have missed candles (a reconnect) while a backfill run already holds
   * this series: that run's server-time cutoff may predate them, so it makes another pass with a
   * newer cutoff before the series goes live.
   */
  rerun = false;
  /** No longer tracked: its messages are ignored. */
  removed = false;
  /** Newest open time (ms) accepted for storage (queued or stored); null before the first. */
  accepted: number | null = null;
  /** Final WebSocket candles received while backfilling, by open time. */
  readonly buffer = new Map<number, Candle>();
  /** While a backfill started by the missing-final watch runs: the watch's close instant (ms). */
  check: number | null = null;
  /** The missing-final watch's backoff for this series when it has gone quiet (halted?). */
  readonly quiet = new QuietBackoff();
  readonly #known = new Set<number>();

  constructor(key: SeriesKey) {
    this.key = key;
    this.stream = streamName(key);
  }

  /** True when the candle opening at `openTime` is already stored or queued. */
  has(openTime: number): boolean {
    return this.#known.has(openTime);
  }

  /** Marks a candle as queued for storage; false when it already was (a duplicate). */
  accept(openTime: number): boolean {
    if (this.#known.has(openTime)) return false;
    this.#known.add(openTime);
    if (this.accepted === null || openTime > this.accepted) this.accepted = openTime;
    if (this.#known.size > REMEMBERED) this.#forgetOld();
    return true;
  }

  #forgetOld(): void {
    const horizon = (this.accepted ?? 0) - (REMEMBERED / 2) * INTERVAL_MS[this.key.interval];
    for (const t of this.#known) if (t < horizon) this.#known.delete(t);
  }
}

/**
 * Reads `SYMBOL:interval[,SYMBOL:interval...]` (e.g. `BTCUSDT:1h,ETHUSDT:15m`). Throws RangeError
 * naming the bad item.
 */
export function parseSeriesList(text: string): SeriesKey[] {
  const out: SeriesKey[] = [];
  const seen = new Set<string>();
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = item.match(/^([A-Z0-9]{2,20}):(\w+)$/);
    if (!m) {
      throw new RangeError(
        `series ${JSON.stringify(item)}: expected SYMBOL:interval, e.g. BTCUSDT:1h`,
      );
    }
    const [, symbol, interval] = m;
    if (!isInterval(interval)) {
      throw new RangeError(
        `series ${item}: unknown interval ${interval} (Binance intervals are case-sensitive: 1m, 1h, 4h, 1d, 1M...)`,
      );
    }
    const key = `${symbol}:${interval}`;
    if (!seen.has(key)) out.push({ symbol, interval: interval as Interval });
    seen.add(key);
  }
  if (out.length === 0) throw new RangeError("the series list is empty");
  return out;
}

/** Splits `items` into consecutive groups of at most `size`. */
export function shardsOf<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new RangeError(`shard size must be >= 1, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

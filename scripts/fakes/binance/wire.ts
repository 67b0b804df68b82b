/**
 * Binance's wire formats as the fake sends them: REST kline rows and WebSocket kline events, built
 * from recorded rows without parsing their decimals (the recorded strings go out byte for byte).
 * This file deliberately knows nothing of `shared/candles` or the REST client (its row type and
 * interval list are written out here from Binance's docs): the fake must not share code with the
 * parsers and client it helps test.
 *
 * Formats (Binance spot docs, "Kline/Candlestick data" and "Kline/Candlestick Streams"):
 * - REST row: `[openTime, open, high, low, close, volume, closeTime, quoteVolume, trades,
 *   takerBuyBase, takerBuyQuote, "0"]`, times in ms (µs with `X-MBX-TIME-UNIT: MICROSECOND`).
 * - WS event: `{stream, data: {e: "kline", E, s, k: {t, T, s, i, f, L, o, c, h, l, v, n, x, q, V, Q,
 *   B}}}`, times in ms (µs on streams opened with `timeUnit=MICROSECOND`).
 */

/** One kline row exactly as `GET /api/v3/klines` returns it (decimals as strings). */
export type KlineRow = [
  openTime: number,
  open: string,
  high: string,
  low: string,
  close: string,
  volume: string,
  closeTime: number,
  quoteVolume: string,
  trades: number,
  takerBuyBase: string,
  takerBuyQuote: string,
  ignore: string,
];

/** Every interval name Binance spot accepts (case-sensitive). */
export const BINANCE_INTERVALS: readonly string[] = [
  "1s",
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
  "1M",
];

/** The combined-stream name of a kline series, e.g. `btcusdt@kline_1h`. */
export function klineStreamName(symbol: string, interval: string): string {
  return `${symbol.toLowerCase()}@kline_${interval}`;
}

/** A time in ms as the wire shows it: ms, or µs. */
export function wireTime(ms: number, micro: boolean): number {
  return micro ? ms * 1000 : ms;
}

/** A close time (last ms of a candle) as the wire shows it: in µs it is the candle's last µs. */
export function wireCloseTime(ms: number, micro: boolean): number {
  return micro ? ms * 1000 + 999 : ms;
}

/** A time parameter sent by a client (ms or µs, as Binance accepts both) in ms. */
export function paramTime(value: number): number {
  return value >= 1e14 ? Math.floor(value / 1000) : value;
}

/** Compares two decimal strings numerically (no rounding: only the order is needed). */
function decimalLess(a: string, b: string): boolean {
  return Number(a) < Number(b);
}

/**
 * The row as it looks while the candle is still open: the recorded open and close, high/low spanning
 * only those two (so it differs from the final row), zero volumes and trades. REST returns this as its
 * last row while the virtual clock is inside the candle; WS sends it with `x: false`.
 */
export function partialRow(row: KlineRow): KlineRow {
  const [t, o, , , c, , T] = row;
  const hi = decimalLess(o, c) ? c : o;
  const lo = decimalLess(o, c) ? o : c;
  const zero = "0.00000000";
  return [t, o, hi, lo, c, zero, T, zero, 0, zero, zero, "0"];
}

/** A REST row with its times in the wire unit. */
export function restRow(row: KlineRow, micro: boolean): KlineRow {
  if (!micro) return row;
  const r = row.slice() as KlineRow;
  r[0] = wireTime(row[0], true);
  r[6] = wireCloseTime(row[6], true);
  return r;
}

/** What one kline event needs besides its row. */
export interface KlineEvent {
  symbol: string;
  interval: string;
  row: KlineRow;
  /** True for the final update of the candle (`k.x`). */
  final: boolean;
  /** Event time `E` in ms. */
  eventTime: number;
  /** First and last trade id of the candle (`k.f`, `k.L`). */
  firstTradeId: number;
  lastTradeId: number;
}

/** The combined-stream message text of a kline event, times in ms or µs. */
export function klineMessage(ev: KlineEvent, micro: boolean): string {
  const r = ev.final ? ev.row : partialRow(ev.row);
  const s = ev.symbol;
  const k =
    `{"t":${wireTime(r[0], micro)},"T":${
      wireCloseTime(r[6], micro)
    },"s":"${s}","i":"${ev.interval}",` +
    `"f":${ev.firstTradeId},"L":${ev.lastTradeId},"o":"${r[1]}","c":"${r[4]}","h":"${r[2]}",` +
    `"l":"${r[3]}","v":"${r[5]}","n":${r[8]},"x":${ev.final},"q":"${r[7]}","V":"${r[9]}",` +
    `"Q":"${r[10]}","B":"0"}`;
  return `{"stream":"${klineStreamName(s, ev.interval)}","data":{"e":"kline","E":${
    wireTime(ev.eventTime, micro)
  },"s":"${s}","k":${k}}}`;
}

/** The `serverShutdown` event (Binance docs, "Connection events"). */
export function serverShutdownMessage(eventTime: number, micro: boolean): string {
  return `{"event":{"e":"serverShutdown","E":${wireTime(eventTime, micro)}}}`;
}

/**
 * Checks that `value` is an array of REST kline rows (12 fields, times and trades as numbers,
 * decimals as strings or numbers) and returns it typed; throws a one-line Error naming the row.
 * A structural check for loading replay files, not the project's kline validation.
 */
export function asKlineRows(value: unknown, source: string): KlineRow[] {
  if (!Array.isArray(value)) throw new Error(`${source}: expected a JSON array of kline rows`);
  for (let i = 0; i < value.length; i++) {
    const r = value[i];
    const ok = Array.isArray(r) && r.length >= 11 && Number.isInteger(r[0]) &&
      Number.isInteger(r[6]) && Number.isInteger(r[8]) &&
      [1, 2, 3, 4, 5, 7, 9, 10].every((c) => typeof r[c] === "string" || typeof r[c] === "number");
    if (!ok) throw new Error(`${source}: row ${i + 1} is not a Binance REST kline row`);
    if (i > 0 && r[0] <= value[i - 1][0]) {
      throw new Error(`${source}: row ${i + 1}: open times must increase`);
    }
    if (r.length === 11) r.push("0");
    for (const c of [1, 2, 3, 4, 5, 7, 9, 10]) if (typeof r[c] === "number") r[c] = String(r[c]);
  }
  return value as KlineRow[];
}

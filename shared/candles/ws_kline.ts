/** Parser for Binance WebSocket kline events (raw or combined-stream wrapped). */

import { z } from "zod";
import { assertInterval } from "./assert_interval.ts";
import { toNumber } from "./decimal.ts";
import { CandleError } from "./errors.ts";
import type { Interval } from "./intervals.ts";
import {
  closeTimeToMillis,
  describeBadTime,
  timeUnitName,
  timeUnitOf,
  toMillis,
} from "./time_unit.ts";
import type { Candle } from "./types.ts";
import { validateCandles } from "./validate.ts";
import { describeIssue, kindOf } from "./zod_issue.ts";

/**
 * One parsed kline event: `closed` is Binance's `k.x` (true on the candle's final update). Times are
 * ms whatever the stream sent (`timeUnit=MICROSECOND` events are converted).
 */
export interface WsKline {
  symbol: string;
  interval: Interval;
  closed: boolean;
  /** Event time `E` in ms. */
  eventTime: number;
  candle: Candle;
}

const dec = z.string();
const kline = z.object({
  t: z.number(),
  T: z.number(),
  s: z.string().min(1),
  i: z.string(),
  o: dec,
  c: dec,
  h: dec,
  l: dec,
  v: dec,
  n: z.number(),
  x: z.boolean(),
  q: dec,
  V: dec,
  Q: dec,
});
const event = z.object({ e: z.literal("kline"), E: z.number(), s: z.string().min(1), k: kline });
const wrapped = z.object({ stream: z.string(), data: z.unknown() });

/**
 * Parses a kline event `{e:"kline", E, s, k:{t,T,s,i,o,c,h,l,v,n,x,q,V,Q,...}}` or its combined-stream
 * form `{stream, data}` (a JSON string is parsed first). The candle is validated with its interval.
 * Throws CandleError with `row` null and a one-line message on anything malformed.
 */
export function parseWsKline(msg: unknown): WsKline {
  let value = msg;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch (e) {
      throw new CandleError(null, "shape", `kline message is not JSON (${(e as Error).message})`);
    }
  }
  let stream: string | null = null;
  if (typeof value === "object" && value !== null && "data" in value) {
    const w = wrapped.safeParse(value);
    if (!w.success) throw shapeError(w.error, "");
    stream = w.data.stream;
    value = w.data.data;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CandleError(null, "shape", `expected a kline event object, got ${kindOf(value)}`);
  }
  const p = event.safeParse(value);
  if (!p.success) throw shapeError(p.error, stream === null ? "" : "data.");
  const { E, s, k } = p.data;
  if (k.s !== s) {
    throw new CandleError(
      null,
      "shape",
      `k.s ${JSON.stringify(k.s)} disagrees with s ${JSON.stringify(s)}`,
    );
  }
  const interval = assertInterval(k.i);
  if (stream !== null) {
    const expected = `${s.toLowerCase()}@kline_${interval}`;
    if (stream !== expected && !stream.startsWith(`${expected}@`)) {
      throw new CandleError(
        null,
        "stream",
        `stream ${JSON.stringify(stream)} does not match the event (expected ${
          JSON.stringify(expected)
        })`,
      );
    }
  }
  const times = eventTimes(E, k.t, k.T, `${s} ${interval}`);
  const candle: Candle = {
    openTime: times.openTime,
    open: toNumber(k.o, null, "k.o"),
    high: toNumber(k.h, null, "k.h"),
    low: toNumber(k.l, null, "k.l"),
    close: toNumber(k.c, null, "k.c"),
    volume: toNumber(k.v, null, "k.v"),
    closeTime: times.closeTime,
    quoteVolume: toNumber(k.q, null, "k.q"),
    trades: k.n,
    takerBuyBase: toNumber(k.V, null, "k.V"),
    takerBuyQuote: toNumber(k.Q, null, "k.Q"),
  };
  try {
    validateCandles([candle], interval);
  } catch (e) {
    if (e instanceof CandleError) {
      const unit = times.unit === "ms" ? "" : ` (times sent in ${timeUnitName(times.unit)})`;
      throw new CandleError(null, e.rule, `${s} ${interval}: ${e.detail}${unit}`);
    }
    throw e;
  }
  return { symbol: s, interval, closed: k.x, eventTime: times.eventTime, candle };
}

/**
 * The event's E, k.t and k.T in ms. They must share one unit (see time_unit.ts): a stream opened
 * with `timeUnit=MICROSECOND` sends all three in µs.
 */
function eventTimes(E: number, t: number, T: number, series: string) {
  const unit = timeUnitOf(t);
  if (unit === null) throw new CandleError(null, "time", `${series}: ${describeBadTime("k.t", t)}`);
  for (const [field, v] of [["k.T", T], ["E", E]] as const) {
    const u = timeUnitOf(v);
    if (u === null) throw new CandleError(null, "time", `${series}: ${describeBadTime(field, v)}`);
    if (u !== unit) {
      throw new CandleError(
        null,
        "time",
        `${series}: k.t is in ${timeUnitName(unit)} but ${field} in ${timeUnitName(u)}`,
      );
    }
  }
  return {
    unit,
    openTime: toMillis(t) as number,
    closeTime: closeTimeToMillis(T) as number,
    eventTime: toMillis(E) as number,
  };
}

function shapeError(error: z.ZodError, prefix: string): CandleError {
  const issue = error.issues[0];
  const path = issue.path.length > 0 ? prefix : prefix.replace(/\.$/, ": ");
  return new CandleError(null, "shape", `malformed kline event: ${path}${describeIssue(error)}`);
}

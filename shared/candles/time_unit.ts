/**
 * One rule for the unit of a timestamp, shared by every kline parser (REST JSON, WebSocket, archive
 * CSV, OHLCV CSV). Binance sends milliseconds by default and microseconds on request
 * (`timeUnit=MICROSECOND` on streams, `X-MBX-TIME-UNIT: MICROSECOND` on REST, spot archive CSVs from
 * 2025 on); other tools write seconds. The magnitudes do not overlap for any date from 2001-09-09
 * to the year 5138, so the unit is read off the value:
 *
 * | value t               | unit         | as ms              |
 * | --------------------- | ------------ | ------------------ |
 * | 1e9  <= t < 1e11      | seconds      | t × 1000           |
 * | 1e11 <= t < 1e14      | milliseconds | t                  |
 * | 1e14 <= t < 1e17      | microseconds | t / 1000 (floored) |
 *
 * Anything else (negative, fractional below the ms unit, before 2001 in seconds, beyond 1e17) is
 * refused: it is not a time any of those units can mean. A kline's open and close time must be in
 * the same unit ({@link klineTimes}); a close time is the candle's last instant, so one in seconds
 * becomes the last ms of that second and one in µs is floored (`…799` s and `…799999999` µs are both
 * `…799999` ms).
 */

import { CandleError } from "./errors.ts";

/** A timestamp unit. */
export type TimeUnit = "s" | "ms" | "us";

/** Lower bound of each unit's range (see the module table). */
const SECONDS_FROM = 1e9;
const MILLIS_FROM = 1e11;
const MICROS_FROM = 1e14;
const MICROS_TO = 1e17;

/** The unit of timestamp `t` by the module's rule, or null when no unit fits. */
export function timeUnitOf(t: number): TimeUnit | null {
  if (!Number.isFinite(t) || t < SECONDS_FROM || t >= MICROS_TO) return null;
  if (t < MILLIS_FROM) return Number.isInteger(t) ? "s" : null;
  if (t < MICROS_FROM) return Number.isInteger(t) ? "ms" : null;
  return Number.isInteger(t) ? "us" : null;
}

/** Human name of a unit, for messages. */
export function timeUnitName(u: TimeUnit): string {
  return u === "s" ? "seconds" : u === "ms" ? "milliseconds" : "microseconds";
}

/**
 * Timestamp `t` in ms by the module's rule; null when no unit fits (the caller names the field and
 * row in its error). Microseconds are floored to the ms (a close time `…999999` µs becomes `…999`).
 */
export function toMillis(t: number): number | null {
  const u = timeUnitOf(t);
  if (u === null) return null;
  return u === "ms" ? t : u === "us" ? Math.floor(t / 1000) : t * 1000;
}

/** One-line description of why `t` is not a time, naming the units tried. */
export function describeBadTime(field: string, t: unknown): string {
  return `${field} ${
    typeof t === "number" ? String(t) : JSON.stringify(t)
  } is not a time in seconds, milliseconds or microseconds since 1970 (expected an integer from 1e9 s to 1e17 µs)`;
}

/**
 * Close time `t` in ms by the module's rule, as the candle's last instant: seconds become the last
 * ms of that second (t × 1000 + 999), µs are floored, ms are kept; null when no unit fits.
 */
export function closeTimeToMillis(t: number): number | null {
  const u = timeUnitOf(t);
  if (u === null) return null;
  return u === "ms" ? t : u === "us" ? Math.floor(t / 1000) : t * 1000 + 999;
}

/**
 * A kline's open and close time in ms (see the module rule). Throws {@link CandleError} (rule
 * `"time"`, at `row`) when either is no time, naming the field, or when they are in different units,
 * e.g. `open_time is in seconds but close_time in milliseconds`.
 */
export function klineTimes(
  open: number,
  close: number,
  row: number | null,
  fields: readonly [string, string] = ["open_time", "close_time"],
): { openTime: number; closeTime: number } {
  if (
    open >= MILLIS_FROM && open < MICROS_FROM && close >= MILLIS_FROM && close < MICROS_FROM &&
    Number.isInteger(open) && Number.isInteger(close)
  ) return { openTime: open, closeTime: close }; // ms, the usual case
  const uo = timeUnitOf(open);
  if (uo === null) throw new CandleError(row, "time", describeBadTime(fields[0], open));
  const uc = timeUnitOf(close);
  if (uc === null) throw new CandleError(row, "time", describeBadTime(fields[1], close));
  if (uo !== uc) {
    throw new CandleError(
      row,
      "time",
      `${fields[0]} is in ${timeUnitName(uo)} but ${fields[1]} in ${timeUnitName(uc)}`,
    );
  }
  return { openTime: toMillis(open) as number, closeTime: closeTimeToMillis(close) as number };
}

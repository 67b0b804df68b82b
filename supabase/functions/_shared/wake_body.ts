/** zod schemas of the wake-up bodies the database sends (see the wake triggers and cron jobs). */

import { z } from "zod";
import { INTERVALS } from "../../../shared/candles/intervals.ts";
import { HttpError } from "./http.ts";

/** A Binance symbol as the database stores it. */
export const SymbolSchema = z.string().regex(
  /^[A-Z0-9]{2,20}$/,
  "must be an upper-case Binance symbol",
);

/** A series named in a wake-up: `{symbol, timeframe, ...}` (extra figures such as count are ignored). */
export const WakeSeriesSchema = z.object({ symbol: SymbolSchema, timeframe: z.enum(INTERVALS) });

/**
 * The body that wakes `analyze`: `{reason, series: [{symbol, timeframe, count?, last_open_time?}]}`
 * (reason: `candles` from the candles trigger, `sweep` from the cron sweep, `continue` when a call
 * ran out of budget).
 */
export const AnalyzeWakeSchema = z.object({
  reason: z.string().min(1).max(40),
  series: z.array(WakeSeriesSchema).min(1).max(2000),
});

/** Parses `value` with `schema`; HttpError 400 naming the first problem's path. */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue.path.length ? issue.path.join(".") : "body";
  throw new HttpError(400, `invalid body: ${at}: ${issue.message}`);
}

/** One gap as private.detect_gaps lists it: missing candles from start_ms to end_ms (open times, inclusive). */
export const GapSchema = z.object({
  id: z.number().int().positive(),
  symbol: SymbolSchema,
  timeframe: z.enum(INTERVALS),
  start_ms: z.number().int().nonnegative(),
  end_ms: z.number().int().nonnegative(),
  missing: z.number().int().positive().optional(),
}).refine((g) => g.end_ms >= g.start_ms, "end_ms must not be before start_ms");

/** The body that wakes `backfill`: `{reason: "gaps", gaps: [...]}` (at most 200 gaps, as detect_gaps sends). */
export const BackfillWakeSchema = z.object({
  reason: z.string().min(1).max(40),
  gaps: z.array(GapSchema).min(1).max(500),
});

/**
 * The body that wakes `discord-notify`: `{reason, outbox_ids?}` (reason: `outbox` from the outbox
 * insert trigger, `sweep` from the retry sweep). The ids name the rows that prompted the wake-up;
 * the sender claims whatever is due, in order.
 */
export const NotifyWakeSchema = z.object({
  reason: z.string().min(1).max(40),
  outbox_ids: z.array(z.number().int().positive()).max(2000).optional(),
});

/**
 * The body that wakes `ingest`: `{reason, delay_ms?}` (reason `poll` from the wyckoff-ingest job;
 * delay_ms: how long after the close instant, by Binance's clock, to ask for the candles; setting
 * poll_delay_ms, 0–30,000).
 */
export const IngestWakeSchema = z.object({
  reason: z.string().min(1).max(40),
  delay_ms: z.number().int().min(0).max(30_000).optional(),
});

/**
 * One typed wrapper per SQL API function (schema `api`, see supabase/migrations/). This is the ONE
 * place where TypeScript's names and units meet the database's: `interval` (TypeScript, Binance's
 * word) ↔ `timeframe` (SQL), ms numbers ↔ timestamptz (the SQL API takes and returns ms), camelCase
 * ↔ snake_case. Every function takes the postgres.js client and raises its PostgresError unchanged
 * (the SQL API's messages already name the row and the rule).
 */

import { isInterval } from "../../../shared/candles/intervals.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import type { Candle, CandleSeries } from "../../../shared/candles/types.ts";
import type { Signal } from "../../../shared/signals/types.ts";
import type { Sql } from "./deps.ts";

/** A series: a symbol at an interval. */
export interface SeriesKey {
  symbol: string;
  interval: Interval;
}

/** `BTCUSDT 1h`: how series are named in logs and messages. */
export function seriesName(k: SeriesKey): string {
  return `${k.symbol} ${k.interval}`;
}

function asInterval(timeframe: string): Interval {
  if (!isInterval(timeframe)) {
    throw new Error(`database returned an unknown timeframe ${JSON.stringify(timeframe)}`);
  }
  return timeframe;
}

function msOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** A closed candle of a series, as the relay and the backfills store it. */
export interface SeriesCandle extends SeriesKey {
  candle: Candle;
}

/** What {@link ingestCandles} did. */
export interface IngestResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * `api.ingest_candles`: stores closed candles in one statement (one wake-up of `analyze` for all of
 * them), all or nothing; repeating a batch changes nothing. Raises the database's error naming the
 * 0-based row and the rule when a row is invalid (nothing is then written).
 */
export async function ingestCandles(
  sql: Sql,
  rows: readonly SeriesCandle[],
): Promise<IngestResult> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const batch = rows.map(({ symbol, interval, candle: c }) => ({
    symbol,
    timeframe: interval,
    open_time: c.openTime,
    close_time: c.closeTime ?? null,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    quote_volume: c.quoteVolume ?? null,
    trades: c.trades ?? null,
    taker_buy_base: c.takerBuyBase ?? null,
    taker_buy_quote: c.takerBuyQuote ?? null,
  }));
  const [r] = await sql<IngestResult[]>`
    select inserted, updated, unchanged from api.ingest_candles(${
    JSON.stringify(batch)
  }::text::json)`;
  return r;
}

/** `api.tracked_series`: active symbols × their timeframes, ordered by symbol then interval length. */
export async function trackedSeries(sql: Sql): Promise<SeriesKey[]> {
  const rows = await sql<
    { symbol: string; timeframe: string }[]
  >`select symbol, timeframe from api.tracked_series()`;
  return rows.map((r) => ({ symbol: r.symbol, interval: asInterval(r.timeframe) }));
}

/** Newest stored candle and analysis progress of a series (open times in ms, null when none). */
export interface SeriesHead extends SeriesKey {
  lastOpenTime: number | null;
  analyzedOpenTime: number | null;
}

/** `api.series_heads`: per series (default: every tracked series) its newest candle and analysis progress. */
export async function seriesHeads(sql: Sql, keys?: readonly SeriesKey[]): Promise<SeriesHead[]> {
  const arg = keys
    ? JSON.stringify(keys.map((k) => ({ symbol: k.symbol, timeframe: k.interval })))
    : null;
  const rows = await sql<
    {
      symbol: string;
      timeframe: string;
      last_open_time: string | null;
      analyzed_open_time: string | null;
    }[]
  >`
    select symbol, timeframe, last_open_time, analyzed_open_time from api.series_heads(${arg}::text::jsonb)`;
  return rows.map((r) => ({
    symbol: r.symbol,
    interval: asInterval(r.timeframe),
    lastOpenTime: msOrNull(r.last_open_time),
    analyzedOpenTime: msOrNull(r.analyzed_open_time),
  }));
}

/** One relay heartbeat (see {@link relayHeartbeat}). */
export interface RelayHeartbeat {
  relayId: string;
  /** Streams subscribed, e.g. `btcusdt@kline_1h`. */
  streams: readonly string[];
  /** Time of the last WebSocket message (ms), or null. */
  lastMessageTime: number | null;
  reconnects: number;
  /** Free-form figures (candles written, backfilled, errors...), stored as jsonb. */
  details: Record<string, unknown>;
}

/** `api.relay_heartbeat`: records that a relay is alive, with its figures. */
export async function relayHeartbeat(sql: Sql, hb: RelayHeartbeat): Promise<void> {
  await sql`select api.relay_heartbeat(${hb.relayId}, ${hb.streams as string[]}::text[],
    ${hb.lastMessageTime}::bigint, ${hb.reconnects}::integer, ${
    JSON.stringify(hb.details)
  }::text::jsonb)`;
}

/** A request for one page of a series to analyse (see {@link loadSeries}). */
export interface LoadRequest extends SeriesKey {
  /** Continue after this open time (ms); -1 = from the first stored candle; omitted = after the stored state. */
  after?: number;
}

/** One series as {@link loadSeries} returns it. */
export interface LoadedSeries extends SeriesKey {
  /** The stored analyzer snapshot when it is usable (current epoch) and no `after` was given; else null. */
  snapshot: unknown | null;
  /** Open time (ms) of the last candle the stored state consumed, or null when no usable state. */
  lastOpenTime: number | null;
  /** The series epoch the page belongs to (pass it back to {@link saveAnalysis}). */
  epoch: number;
  /** The candles to feed, oldest first. */
  candles: CandleSeries;
  /** True when more candles follow this page. */
  more: boolean;
}

const COLUMNS = ["openTime", "open", "high", "low", "close", "volume"] as const;
const OPTIONAL = ["closeTime", "quoteVolume", "trades", "takerBuyBase", "takerBuyQuote"] as const;

function toSeries(cols: Record<string, unknown>, key: SeriesKey): CandleSeries {
  const length = Number(cols.length);
  const s = { symbol: key.symbol, interval: key.interval, length } as CandleSeries;
  for (const name of COLUMNS) s[name] = Float64Array.from(cols[name] as number[]);
  for (const name of OPTIONAL) {
    const v = cols[name] as (number | null)[];
    if (v.length === length && v.every((x) => x !== null)) {
      s[name] = Float64Array.from(v as number[]);
    }
  }
  return s;
}

/**
 * `api.load_series`: for each requested series, the stored state (when usable) and the next page of
 * candles, at most `maxNew` per series, in one round trip.
 */
export async function loadSeries(
  sql: Sql,
  requests: readonly LoadRequest[],
  maxNew = 5000,
): Promise<LoadedSeries[]> {
  const keys = requests.map((r) => ({
    symbol: r.symbol,
    timeframe: r.interval,
    after: r.after ?? null,
  }));
  const rows = await sql<{
    symbol: string;
    timeframe: string;
    snapshot: unknown;
    last_open_time: string | null;
    epoch: string;
    candles: Record<string, unknown>;
    more: boolean;
  }[]>`select * from api.load_series(${JSON.stringify(keys)}::text::jsonb, ${maxNew}::integer)`;
  return rows.map((r) => {
    const key = { symbol: r.symbol, interval: asInterval(r.timeframe) };
    return {
      ...key,
      snapshot: r.snapshot ?? null,
      lastOpenTime: msOrNull(r.last_open_time),
      epoch: Number(r.epoch),
      candles: toSeries(r.candles, key),
      more: r.more,
    };
  });
}

/** The analyzer state to store for a series (see {@link saveAnalysis}). */
export interface StateToSave extends SeriesKey {
  snapshot: unknown;
  /** Epoch the candles were loaded in. */
  epoch: number;
  /** The stored state's last open time when loaded (null = there was no usable state). */
  expectedLastOpenTime: number | null;
  /** Open time (ms) of the last candle the new snapshot consumed. */
  lastOpenTime: number;
  /** Signals emitted while advancing to it. */
  signals: readonly Signal[];
}

/** What {@link saveAnalysis} did for one series. */
export interface SaveResult extends SeriesKey {
  /** False when another analysis got there first or the epoch ended: nothing was stored for it. */
  applied: boolean;
  /** Ids of the signals newly stored. */
  signalIds: number[];
}

/**
 * `api.save_analysis`: stores the snapshots and their signals atomically, each series only if its
 * stored state is still the one it was loaded from (optimistic concurrency) and its epoch is
 * current. A repeated or out-of-order call changes nothing.
 */
export async function saveAnalysis(
  sql: Sql,
  states: readonly StateToSave[],
): Promise<SaveResult[]> {
  if (states.length === 0) return [];
  const stateRows = states.map((s) => ({
    symbol: s.symbol,
    timeframe: s.interval,
    snapshot: s.snapshot,
    epoch: s.epoch,
    expected_last_open_time: s.expectedLastOpenTime,
    last_open_time: s.lastOpenTime,
  }));
  const signalRows = states.flatMap((s) =>
    s.signals.map((g) => ({
      symbol: s.symbol,
      timeframe: s.interval,
      time: g.time,
      direction: g.direction,
      entry: g.entry,
      stopLoss: g.stopLoss,
      takeProfits: g.takeProfits,
      riskReward: g.riskReward,
      confidence: g.confidence,
      atr: g.atr,
      contributions: g.contributions,
      rationale: g.rationale,
      patterns: g.patterns,
      evidence: (g as { evidence?: unknown }).evidence ?? null,
    }))
  );
  const rows = await sql<
    { symbol: string; timeframe: string; applied: boolean; signal_ids: string[] }[]
  >`
    select symbol, timeframe, applied, signal_ids from api.save_analysis(
      ${JSON.stringify(stateRows)}::text::jsonb, ${JSON.stringify(signalRows)}::text::jsonb)`;
  return rows.map((r) => ({
    symbol: r.symbol,
    interval: asInterval(r.timeframe),
    applied: r.applied,
    signalIds: r.signal_ids.map(Number),
  }));
}

/** `api.analyzer_settings`: the analyzer settings object stored in the database ({} = defaults). */
export async function analyzerSettings(sql: Sql): Promise<unknown> {
  const [r] = await sql<{ settings: unknown }[]>`select api.analyzer_settings() as settings`;
  return r?.settings ?? {};
}

/**
 * `private.wake`: asks the database to send a signed wake-up to function `fn` (through pg_net, after
 * the current transaction commits). Returns the pg_net request id, or null when not configured.
 */
export async function wake(
  sql: Sql,
  fn: string,
  body: Record<string, unknown>,
): Promise<number | null> {
  const [r] = await sql<{ id: string | null }[]>`select private.wake(${fn}, ${
    JSON.stringify(body)
  }::text::jsonb) as id`;
  return msOrNull(r?.id);
}

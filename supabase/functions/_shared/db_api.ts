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

/** `btcusdt@kline_1h`: Binance's stream name of a series (how relays and pollers list what they follow). */
export function streamName(k: SeriesKey): string {
  return `${k.symbol.toLowerCase()}@kline_${k.interval}`;
}

/**
 * One run of the `ingest` poller, as {@link ingestReport} records it (snake_case: stored as JSON).
 * Counts are whole numbers; times in ms.
 */
export interface IngestRunReport {
  /** Why the run happened (the wake-up's reason, e.g. `poll`). */
  reason: string;
  /** Stream names of the tracked series (`btcusdt@kline_1h`). */
  series: string[];
  /** True when Binance answered at least once in this run. */
  binance_answered: boolean;
  /** Binance's time the run judged closedness by, and the close instant it waited for (ms). */
  server_time: number | null;
  close_instant: number | null;
  delay_ms: number;
  waited_ms: number;
  /** Series with a closed candle not yet stored (by Binance's clock), and those fetched without error. */
  due: number;
  fetched_series: number;
  /** Candles fetched, and what the one ingest_candles statement did with them. */
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Due series whose newest closed candle Binance did not yet confirm (no successor): next run. */
  held_back: number;
  /** Due series with more pages than one run fetches: next run. */
  behind: number;
  /** REST requests sent (retries included) and their request weight. */
  rest_calls: number;
  weight: number;
  /** Waits by kind: rate_limit (429/418 Retry-After), retry (5xx, network), weight (budget). */
  waits: Record<string, number>;
  /** Failures by kind: region (451), rate-limit, unavailable, request, response, data, database, timeout. */
  errors: Record<string, number>;
  last_error: string | null;
  /** Binance refused the function's location (HTTP 451) in this run. */
  region_refused: boolean;
  /** A Retry-After longer than a run waits ended (ms): the job does not wake the poller before then. */
  retry_after_until: number | null;
  /** Wall time of the run (ms). */
  ms: number;
}

/**
 * `api.ingest_report`: records one poller run in `relay_status` row `ingest` (figures and errors
 * accumulated, the last run kept whole); returns the number of runs recorded so far.
 */
export async function ingestReport(sql: Sql, report: IngestRunReport): Promise<number> {
  const [r] = await sql<{ runs: string }[]>`select api.ingest_report(${
    JSON.stringify(report)
  }::text::jsonb) as runs`;
  return Number(r.runs);
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

// ---- Discord: outbox, sender state, commands ------------------------------------------------

/** A trade's tracked outcome so far (`signal_performance`), times in ms. */
export interface TradeOutcome {
  /** open, tp1, tp2 (reached, still running), tp3, sl (stopped), expired. */
  outcome: "open" | "tp1" | "tp2" | "tp3" | "sl" | "expired";
  /** Result in R (risk = |entry − stop|); while open, marked to the last close. */
  r: number;
  /** Open time of the bar the trade closed in, or null while open. */
  closedTime: number | null;
  tp1Time: number | null;
  tp2Time: number | null;
  tp3Time: number | null;
  stopTime: number | null;
}

/** A stored signal as the Discord card shows it (`private.card_data`). */
export interface CardSignal extends SeriesKey {
  id: number;
  /** Open time (ms) of the signal bar. */
  openTime: number;
  direction: "long" | "short";
  entry: number;
  stopLoss: number;
  takeProfits: [number, number, number];
  riskReward: number | null;
  /** Fused confidence in [0, 1]. */
  confidence: number;
  atr: number | null;
  contributions: unknown;
  patterns: unknown;
  rationale: string;
  evidence: unknown;
  /** Trade status: open, tp1, tp2, tp3, stopped, expired. */
  status: string;
  /** pending (queued for Discord) or skipped (never posted: analysed too late). */
  notifyStatus: string;
  outcome: TradeOutcome | null;
  /** Set when the signal was superseded (withdrawn), else null. */
  withdrawn: Withdrawal | null;
}

/**
 * Why and when a stored signal stopped standing: a rebuild after a late or changed candle no longer
 * gave it identically (`signals.superseded_at`), and what its bar gives now.
 */
export interface Withdrawal {
  /** When it was withdrawn (ms). */
  time: number;
  /** E.g. "candle history changed from 2025-01-22 10:00 UTC". */
  reason: string;
  /** The live signal of the same bar now, or null when the rebuilt analysis gives none. */
  replacement: {
    id: number;
    direction: "long" | "short";
    entry: number;
    stopLoss: number;
    takeProfits: [number, number, number];
  } | null;
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function toWithdrawal(w: Record<string, unknown> | null | undefined): Withdrawal | null {
  if (!w) return null;
  const r = w.replacement as Record<string, unknown> | null | undefined;
  const tps = (r?.take_profits as number[] | undefined) ?? [];
  return {
    time: Number(w.at_ms),
    reason: typeof w.reason === "string" ? w.reason : "",
    replacement: r
      ? {
        id: Number(r.id),
        direction: r.direction === "short" ? "short" : "long",
        entry: Number(r.entry),
        stopLoss: Number(r.stop_loss),
        takeProfits: [Number(tps[0]), Number(tps[1]), Number(tps[2])],
      }
      : null,
  };
}

/** Converts `private.card_data` JSON (snake_case, ms) to a {@link CardSignal}. */
function toCardSignal(j: Record<string, unknown>): CardSignal {
  const tps = (j.take_profits as number[]) ?? [];
  const o = j.outcome as Record<string, unknown> | null;
  return {
    id: Number(j.id),
    symbol: String(j.symbol),
    interval: asInterval(String(j.timeframe)),
    openTime: Number(j.open_ms),
    direction: j.direction === "short" ? "short" : "long",
    entry: Number(j.entry),
    stopLoss: Number(j.stop_loss),
    takeProfits: [Number(tps[0]), Number(tps[1]), Number(tps[2])],
    riskReward: finiteOrNull(j.risk_reward),
    confidence: Number(j.confidence),
    atr: finiteOrNull(j.atr),
    contributions: j.contributions ?? [],
    patterns: j.patterns ?? {},
    rationale: typeof j.rationale === "string" ? j.rationale : "",
    evidence: j.evidence ?? null,
    status: String(j.status ?? "open"),
    notifyStatus: String(j.notify_status ?? "pending"),
    outcome: o
      ? {
        outcome: String(o.outcome) as TradeOutcome["outcome"],
        r: Number(o.r ?? 0),
        closedTime: msOrNull(o.closed_ms),
        tp1Time: msOrNull(o.tp1_ms),
        tp2Time: msOrNull(o.tp2_ms),
        tp3Time: msOrNull(o.tp3_ms),
        stopTime: msOrNull(o.stop_ms),
      }
      : null,
    withdrawn: toWithdrawal(j.withdrawn as Record<string, unknown> | null | undefined),
  };
}

/**
 * Kinds of outbox rows: the card, extra mention messages, one follow-up per outcome event, and the
 * withdrawal of a posted card whose signal was superseded.
 */
export type OutboxKind =
  | "card"
  | "mentions"
  | "tp1"
  | "tp2"
  | "tp3"
  | "stop"
  | "expired"
  | "withdrawn";

/** A follow-up's event figures (`discord_outbox.details`). */
export interface FollowUpDetails {
  /** Open time (ms) of the bar the event happened in. */
  barTime: number | null;
  /** Result in R at that point (R locked in at a target; the final result when the trade closed). */
  r: number | null;
  /** The level hit (target or stop), null for an expiry. */
  price: number | null;
}

/** One claimed outbox row (see {@link claimOutbox}). */
export interface ClaimedMessage {
  id: number;
  signalId: number;
  kind: OutboxKind;
  part: number;
  /** Attempts so far, this one included. */
  attempts: number;
  /** The lease ends at this time (ms). */
  leaseUntil: number;
  /** When the row was queued (ms): with the id it makes the message nonce. */
  createdAt: number;
  /** Discord user ids to mention (≤ 100). */
  mentions: string[];
  details: FollowUpDetails;
  /** For replies: the card's message, channel and transport once it was posted, and its status. */
  card: {
    messageId: string | null;
    channelId: string | null;
    postedVia: "bot" | "webhook" | null;
    status: string | null;
  };
  signal: CardSignal;
}

/**
 * `api.claim_outbox`: leases up to `max` due outbox rows for `leaseSeconds` (concurrent
 * claimers never get the same row) and counts the attempt; `onlyIds` restricts the claim.
 * Rows come oldest first, each with its signal's card data.
 */
export async function claimOutbox(
  sql: Sql,
  max: number,
  leaseSeconds: number,
  onlyIds: readonly number[] | null = null,
): Promise<ClaimedMessage[]> {
  const rows = await sql<Record<string, unknown>[]>`
    select id, signal_id, kind, part, attempts, public.epoch_ms(lease_until) as lease_ms, created_ms,
      mentions, details, card_message_id, card_channel_id, card_posted_via, card_status, signal
    from api.claim_outbox(${max}::integer, ${leaseSeconds}::integer, ${
    onlyIds ? onlyIds.map(String) : null
  }::bigint[])`;
  return rows.map((r) => {
    const d = (r.details ?? {}) as Record<string, unknown>;
    return {
      id: Number(r.id),
      signalId: Number(r.signal_id),
      kind: r.kind as OutboxKind,
      part: Number(r.part),
      attempts: Number(r.attempts),
      leaseUntil: Number(r.lease_ms),
      createdAt: Number(r.created_ms),
      mentions: (r.mentions as string[]) ?? [],
      details: {
        barTime: msOrNull(d.bar_ms),
        r: finiteOrNull(d.r),
        price: finiteOrNull(d.price),
      },
      card: {
        messageId: (r.card_message_id as string | null) ?? null,
        channelId: (r.card_channel_id as string | null) ?? null,
        postedVia: (r.card_posted_via as "bot" | "webhook" | null) ?? null,
        status: (r.card_status as string | null) ?? null,
      },
      signal: toCardSignal(r.signal as Record<string, unknown>),
    };
  });
}

/**
 * `api.mark_outbox_sent`: records the posted message (ids are Discord snowflakes; the
 * database refuses anything else). False when the row was already sent.
 */
export async function markOutboxSent(
  sql: Sql,
  outboxId: number,
  sent: { messageId: string; channelId: string | null; via: "bot" | "webhook" },
): Promise<boolean> {
  const [r] = await sql<{ changed: boolean | null }[]>`
    select api.mark_outbox_sent(${outboxId}::bigint, ${sent.messageId}, ${sent.channelId}, ${sent.via}) as changed`;
  return r?.changed === true;
}

/**
 * `api.mark_outbox_failed`: records a failed attempt; retried after `retryAfterSeconds`
 * (clamped to 0..3600 s) or the backoff (30 s × 2^(attempts−1), ≤ 1 h); `permanent` gives up.
 * Returns the next attempt time (ms), or null when given up.
 */
export async function markOutboxFailed(
  sql: Sql,
  outboxId: number,
  error: string,
  opts: { retryAfterSeconds?: number | null; permanent?: boolean } = {},
): Promise<number | null> {
  const [r] = await sql<{ next_ms: string | null }[]>`
    select public.epoch_ms(api.mark_outbox_failed(${outboxId}::bigint, ${error},
      ${opts.retryAfterSeconds ?? null}::float8, ${opts.permanent ?? false})) as next_ms`;
  return msOrNull(r?.next_ms);
}

/** `api.release_outbox`: gives a claimed row back unsent, without counting the attempt. */
export async function releaseOutbox(
  sql: Sql,
  outboxId: number,
  retryAfterSeconds: number | null,
  reason: string | null,
): Promise<void> {
  await sql`select api.release_outbox(${outboxId}::bigint, ${retryAfterSeconds}::float8, ${reason})`;
}

/** How discord-notify posts: with the bot token to a channel, through a webhook, or not at all. */
export type DiscordMode = "bot" | "webhook" | "unconfigured";

/** What {@link discordSenderAcquire} answered. */
export interface SenderLease {
  acquired: boolean;
  /** Sending is stopped and this run may send one message to test whether the stop still holds. */
  probe: boolean;
  /** Why sending is stopped, or null. */
  stoppedReason: string | null;
  /** The rate-limit state the last run saved ({} when none). */
  rateLimits: unknown;
}

/**
 * `api.discord_sender_acquire`: takes or renews the single sender lease for `holder`; refused while
 * another run holds it or while sending is stopped for these settings (`config` fingerprint).
 */
export async function discordSenderAcquire(
  sql: Sql,
  holder: string,
  leaseSeconds: number,
  config: string,
  mode: DiscordMode,
): Promise<SenderLease> {
  const [r] = await sql<
    { acquired: boolean; probe: boolean; stopped_reason: string | null; rate_limits: unknown }[]
  >`
    select acquired, probe, stopped_reason, rate_limits
    from api.discord_sender_acquire(${holder}, ${leaseSeconds}::integer, ${config}, ${mode})`;
  return {
    acquired: r.acquired,
    probe: r.probe,
    stoppedReason: r.stopped_reason,
    rateLimits: r.rate_limits ?? {},
  };
}

/**
 * `api.discord_sender_release`: ends `holder`'s run, saving the rate-limit state it learnt; true
 * when the holder should claim again (a wake-up came meanwhile; the lease is kept).
 */
export async function discordSenderRelease(
  sql: Sql,
  holder: string,
  rateLimits: unknown = null,
): Promise<boolean> {
  const [r] = await sql<{ again: boolean }[]>`select api.discord_sender_release(${holder}, ${
    rateLimits === null ? null : JSON.stringify(rateLimits)
  }::text::jsonb) as again`;
  return r?.again === true;
}

/** `api.discord_sending_stop`: stops all sending after a 401/403 (shown by /status). */
export async function discordSendingStop(sql: Sql, reason: string, config: string): Promise<void> {
  await sql`select api.discord_sending_stop(${reason}, ${config})`;
}

/** `api.signal_card`: the newest signal (optionally of a symbol and interval) as card data, or null. */
export async function latestSignalCard(
  sql: Sql,
  symbol: string | null,
  interval: Interval | null,
): Promise<CardSignal | null> {
  const [r] = await sql<{ card: Record<string, unknown> | null }[]>`
    select api.signal_card(${symbol}, ${interval}) as card`;
  return r?.card ? toCardSignal(r.card) : null;
}

/** Figures for /status (`api.status()`), times in ms. */
export interface StatusFigures {
  now: number;
  series: {
    symbol: string;
    interval: Interval;
    lastCandle: number | null;
    lastSignal: number | null;
    analyzedUntil: number | null;
  }[];
  /** Live signals stored in the last 24 h and since 00:00 UTC (superseded ones not counted). */
  signals24h: number;
  signalsToday: number;
  /** Signals withdrawn (superseded after a late or changed candle) in the last 24 h. */
  signalsWithdrawn24h: number;
  notificationsPending: number;
  notificationsFailed: number;
  notificationsGivenUp: number;
  notificationsSent24h: number;
  lastRefusal: { kind: string; signalId: number; error: string | null } | null;
  discord: {
    mode: DiscordMode;
    sending: boolean;
    stoppedAt: number | null;
    stoppedReason: string | null;
    lastSentAt: number | null;
    lastRunAt: number | null;
  };
  openGaps: number;
  /** Where candles come from: relay (the relay process), poll (the ingest function) or both. */
  ingestMode: "relay" | "poll" | "both";
  /** Relays (kind stream) and the ingest poller (kind poll, relay id `ingest`). */
  relays: {
    relayId: string;
    kind: "stream" | "poll";
    heartbeatAgeS: number;
    streams: number;
    lastMessageAt: number | null;
    /** Failures by kind since the relay started (the poller: since its row was made). */
    errors: Record<string, number>;
    lastError: string | null;
    /** Binance refused this feed's location with HTTP 451. */
    regionRefused: boolean;
  }[];
  /** A feed that reported in the last hour was refused by Binance with HTTP 451. */
  binanceRegionRefused: boolean;
  databaseBytes: number;
}

function isoMs(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const t = Date.parse(String(v));
  return Number.isFinite(t) ? t : null;
}

/** `api.status()`: the figures /status shows. */
export async function statusFigures(sql: Sql): Promise<StatusFigures> {
  const [{ s }] = await sql<{ s: Record<string, unknown> }[]>`select api.status() as s`;
  const d = (s.discord ?? {}) as Record<string, unknown>;
  const refusal = s.last_refusal as Record<string, unknown> | null;
  return {
    now: isoMs(s.now) ?? 0,
    series: ((s.series ?? []) as Record<string, unknown>[]).map((x) => ({
      symbol: String(x.symbol),
      interval: asInterval(String(x.timeframe)),
      lastCandle: isoMs(x.last_candle),
      lastSignal: isoMs(x.last_signal),
      analyzedUntil: isoMs(x.analyzed_until),
    })),
    signals24h: Number(s.signals_24h ?? 0),
    signalsToday: Number(s.signals_today ?? 0),
    signalsWithdrawn24h: Number(s.signals_withdrawn_24h ?? 0),
    notificationsPending: Number(s.notifications_pending ?? 0),
    notificationsFailed: Number(s.notifications_failed ?? 0),
    notificationsGivenUp: Number(s.notifications_given_up ?? 0),
    notificationsSent24h: Number(s.notifications_sent_24h ?? 0),
    lastRefusal: refusal
      ? {
        kind: String(refusal.kind),
        signalId: Number(refusal.signal_id),
        error: (refusal.error as string | null) ?? null,
      }
      : null,
    discord: {
      mode: (d.mode as DiscordMode) ?? "unconfigured",
      sending: d.sending !== false,
      stoppedAt: isoMs(d.stopped_at),
      stoppedReason: (d.stopped_reason as string | null) ?? null,
      lastSentAt: isoMs(d.last_sent_at),
      lastRunAt: isoMs(d.last_run_at),
    },
    openGaps: Number(s.open_gaps ?? 0),
    ingestMode: s.ingest_mode === "poll" || s.ingest_mode === "both" ? s.ingest_mode : "relay",
    relays: ((s.relays ?? []) as Record<string, unknown>[]).map((r) => ({
      relayId: String(r.relay_id),
      kind: r.kind === "poll" ? "poll" as const : "stream" as const,
      heartbeatAgeS: Number(r.heartbeat_age_s ?? 0),
      streams: Number(r.streams ?? 0),
      lastMessageAt: isoMs(r.last_message_at),
      errors: Object.fromEntries(
        Object.entries((r.errors ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)]),
      ),
      lastError: typeof r.last_error === "string" ? r.last_error : null,
      regionRefused: r.region_refused === true,
    })),
    binanceRegionRefused: s.binance_region_refused === true,
    databaseBytes: Number(s.database_bytes ?? 0),
  };
}

/** A Discord user's subscription. */
export interface Subscription {
  symbol: string;
  /** null = every timeframe of the symbol. */
  interval: Interval | null;
  minConfidence: number;
}

function toSubscription(r: Record<string, unknown>): Subscription {
  return {
    symbol: String(r.symbol),
    interval: r.timeframe === null || r.timeframe === undefined
      ? null
      : asInterval(String(r.timeframe)),
    minConfidence: Number(r.min_confidence),
  };
}

/**
 * `api.subscribe`: creates or updates a user's subscription; raises the database's one-line error
 * (SQLSTATE 22023) for an unknown symbol, timeframe or threshold.
 */
export async function subscribe(
  sql: Sql,
  userId: string,
  symbol: string,
  interval: Interval | null,
  minConfidence: number | null,
): Promise<Subscription> {
  const [r] = await sql<Record<string, unknown>[]>`
    select symbol, timeframe, min_confidence
    from api.subscribe(${userId}, ${symbol}, ${interval}, ${minConfidence}::float8)`;
  return toSubscription(r);
}

/** `api.unsubscribe`: deletes a user's subscriptions of `symbol` (one interval, or all); returns how many. */
export async function unsubscribe(
  sql: Sql,
  userId: string,
  symbol: string,
  interval: Interval | null,
): Promise<number> {
  const [r] = await sql<
    { n: number }[]
  >`select api.unsubscribe(${userId}, ${symbol}, ${interval}) as n`;
  return Number(r?.n ?? 0);
}

/** `api.list_subscriptions`: a user's subscriptions, by symbol. */
export async function listSubscriptions(sql: Sql, userId: string): Promise<Subscription[]> {
  const rows = await sql<Record<string, unknown>[]>`
    select symbol, timeframe, min_confidence from api.list_subscriptions(${userId})`;
  return rows.map(toSubscription);
}

/** Which candles {@link loadCandles} returns: open times in ms, both bounds inclusive and optional. */
export interface CandleRange {
  /** Earliest open time (ms), or null for no lower bound. */
  fromTime?: number | null;
  /** Latest open time (ms), or null for no upper bound. */
  toTime?: number | null;
  /** The newest this many of the candles in range (the database clamps it to 1..50,000). */
  maxRows: number;
}

/**
 * `api.load_candles`: the newest `maxRows` candles of a series with `fromTime` ≤ open time ≤
 * `toTime` (ms, each optional), oldest first, as a columnar series. The database refuses a bound
 * outside 0 .. year 3000 (22023).
 */
export async function loadCandles(
  sql: Sql,
  key: SeriesKey,
  range: CandleRange,
): Promise<CandleSeries> {
  const [r] = await sql<{ c: Record<string, unknown> }[]>`
    select api.load_candles(${key.symbol}, ${key.interval}, ${range.fromTime ?? null}::bigint,
      ${range.toTime ?? null}::bigint, ${range.maxRows}::integer) as c`;
  return toSeries(r.c, key);
}

/** A backtest run to store (`api.save_backtest`). */
export interface BacktestToSave extends SeriesKey {
  /** First and last candle open time (ms). */
  fromTime: number;
  toTime: number;
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
  trades: number;
  winRate: number | null;
  totalR: number;
  requestedBy: string;
}

/** `api.save_backtest`: stores a run; returns its id. */
export async function saveBacktest(sql: Sql, run: BacktestToSave): Promise<number> {
  const [r] = await sql<{ id: string }[]>`select api.save_backtest(${
    JSON.stringify({
      symbol: run.symbol,
      timeframe: run.interval,
      from_ms: run.fromTime,
      to_ms: run.toTime,
      params: run.params,
      summary: run.summary,
      trades: run.trades,
      win_rate: run.winRate,
      total_r: run.totalR,
      requested_by: run.requestedBy,
    })
  }::text::jsonb) as id`;
  return Number(r.id);
}

/** `api.status_warnings()`: sentences about the deployment (open sign-ups, invalid settings); [] when none. */
export async function statusWarnings(sql: Sql): Promise<string[]> {
  const [r] = await sql<{ w: unknown }[]>`select api.status_warnings() as w`;
  return Array.isArray(r?.w) ? r.w.map(String) : [];
}

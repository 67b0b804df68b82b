/**
 * How the local stack and `deno task watch` show a stored signal: a few readable lines for
 * people, or the JSON record that `deno task signals --json` prints for the same bar; and a line for
 * a signal withdrawn after a late or changed candle.
 */

import type postgres from "postgres";

/** A stored signal in the offline CLI's JSON shape (`signalRecord`), plus its database id. */
export interface StoredSignalRecord {
  id: number;
  symbol: string;
  interval: string;
  time: string;
  openTime: number;
  /** Candles of the series stored before this bar (= the offline CLI's bar index when the file starts at the first stored candle). */
  bar: number;
  direction: "long" | "short";
  entry: number;
  stopLoss: number;
  takeProfits: [number, number, number];
  riskReward: number | null;
  confidence: number;
  atr: number | null;
  contributions: {
    method: string;
    direction: string | null;
    confidence: number;
    share: number;
    detail: string;
  }[];
  rationale: string;
  patterns: unknown;
  evidence?: unknown;
}

/**
 * A signal as a client of the Supabase API sees it (`deno task watch`): the stored record, without
 * `bar` when the reader may not count the candles (they are server-only).
 */
export type SignalRecord = Omit<StoredSignalRecord, "bar"> & { bar?: number };

/**
 * A `public.signals` row in the record's shape: from postgres.js (timestamps as Date, ids as strings)
 * or as JSON from PostgREST or a Realtime record (timestamps as ISO 8601 strings). `bar` is included
 * when given. Fields keep {@link StoredSignalRecord}'s order, so `--json` lines compare as text.
 */
export function signalFromRow(r: Record<string, unknown>, bar?: number): SignalRecord {
  const openTime = new Date(r.open_time as string | Date).getTime();
  const rec: SignalRecord = {
    id: Number(r.id),
    symbol: r.symbol as string,
    interval: r.timeframe as string,
    time: new Date(openTime).toISOString(),
    openTime,
    ...(bar === undefined ? {} : { bar }),
    direction: r.direction as "long" | "short",
    entry: r.entry as number,
    stopLoss: r.stop_loss as number,
    takeProfits: [r.tp1 as number, r.tp2 as number, r.tp3 as number],
    riskReward: (r.risk_reward ?? null) as number | null,
    confidence: r.confidence as number,
    atr: (r.atr ?? null) as number | null,
    contributions: r.contributions as StoredSignalRecord["contributions"],
    rationale: r.rationale as string,
    patterns: r.patterns,
  };
  if (r.evidence !== null && r.evidence !== undefined) rec.evidence = r.evidence;
  return rec;
}

/**
 * Live signals stored with id > `afterId`, oldest first (at most `limit`). Superseded ones (withdrawn
 * after a late or changed candle) are left out.
 */
export async function signalsAfter(
  sql: postgres.Sql,
  afterId: number,
  limit = 500,
): Promise<StoredSignalRecord[]> {
  const rows = await sql<Record<string, unknown>[]>`
    select s.id, s.symbol, s.timeframe, s.open_time, s.direction, s.entry, s.stop_loss, s.tp1, s.tp2, s.tp3,
      s.risk_reward, s.confidence, s.atr, s.contributions, s.rationale, s.patterns, s.evidence,
      (select count(*) from public.candles c
        where c.symbol = s.symbol and c.timeframe = s.timeframe and c.open_time < s.open_time)::int as bar
    from public.signals s where s.id > ${afterId} and s.superseded_at is null
    order by s.id limit ${limit}`;
  return rows.map((r) => signalFromRow(r, r.bar as number) as StoredSignalRecord);
}

/** A stored signal that was withdrawn: superseded after a late or changed candle. */
export interface WithdrawnSignal {
  id: number;
  symbol: string;
  interval: string;
  direction: "long" | "short";
  /** The bar's open time (ms). */
  openTime: number;
  /** E.g. "candle history changed from 2025-01-22 10:00 UTC". */
  reason: string;
}

/** A withdrawn signal from a `public.signals` row (postgres.js, PostgREST or Realtime JSON). */
export function withdrawalFromRow(r: Record<string, unknown>): WithdrawnSignal {
  return {
    id: Number(r.id),
    symbol: r.symbol as string,
    interval: r.timeframe as string,
    direction: r.direction === "short" ? "short" : "long",
    openTime: new Date(r.open_time as string | Date).getTime(),
    reason: typeof r.superseded_reason === "string" ? r.superseded_reason : "",
  };
}

/** Signals with id > `afterId` that were superseded, in the order they were (at most `limit`). */
export async function withdrawnAfter(
  sql: postgres.Sql,
  afterId: number,
  limit = 500,
): Promise<WithdrawnSignal[]> {
  const rows = await sql<Record<string, unknown>[]>`
    select s.id, s.symbol, s.timeframe, s.direction, s.open_time, s.superseded_reason
    from public.signals s where s.id > ${afterId} and s.superseded_at is not null
    order by s.superseded_at, s.id limit ${limit}`;
  return rows.map(withdrawalFromRow);
}

/**
 * One line for a withdrawn signal, e.g. `✖ WITHDRAWN ▲ LONG BTCUSDT 1h  bar 2025-01-13 04:15 UTC
 * (signal #12): candle history changed from 2025-01-13 01:00 UTC`.
 */
export function formatWithdrawal(w: WithdrawnSignal): string {
  const arrow = w.direction === "long" ? "▲ LONG" : "▼ SHORT";
  const when = new Date(w.openTime).toISOString().slice(0, 16).replace("T", " ");
  return `✖ WITHDRAWN ${arrow} ${w.symbol} ${w.interval}  bar ${when} UTC (signal #${w.id}): ${
    w.reason || "candle history changed"
  }`;
}

/** A price with sensible decimals: 2 from 1,000 up, 4 from 1, else 6 significant digits. */
export function formatPrice(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(2);
  if (a >= 1) return x.toFixed(4).replace(/(\.\d\d)0+$/, "$1");
  return x.toPrecision(6);
}

function pct(level: number, entry: number): string {
  const p = ((level - entry) / entry) * 100;
  return `${p >= 0 ? "+" : "−"}${Math.abs(p).toFixed(2)}%`;
}

/**
 * The preview: a headline and three lines, e.g.
 *
 *     ▲ LONG  BTCUSDT 15m  bar 2025-01-13 04:15 UTC  confidence 0.72
 *       entry 94512.30  stop 93887.10 (−0.66%)  R:R 2.00
 *       targets 95762.70 (+1.32%)  96387.90 (+1.98%)  97013.10 (+2.65%)
 *       why: Wyckoff spring (strength 0.71) in accumulation; …
 */
export function formatPreview(s: SignalRecord): string {
  const arrow = s.direction === "long" ? "▲ LONG " : "▼ SHORT";
  const when = s.time.slice(0, 16).replace("T", " ");
  const why = s.rationale.length > 220 ? `${s.rationale.slice(0, 219)}…` : s.rationale;
  return [
    `${arrow} ${s.symbol} ${s.interval}  bar ${when} UTC  confidence ${s.confidence.toFixed(2)}`,
    `  entry ${formatPrice(s.entry)}  stop ${formatPrice(s.stopLoss)} (${
      pct(s.stopLoss, s.entry)
    })  R:R ${s.riskReward === null ? "?" : s.riskReward.toFixed(2)}`,
    `  targets ${s.takeProfits.map((t) => `${formatPrice(t)} (${pct(t, s.entry)})`).join("  ")}`,
    `  why: ${why || "(no rationale)"}`,
  ].join("\n");
}

/** The JSON line for `--json`: the offline CLI's fields (no database id). */
export function previewJson(s: SignalRecord): string {
  const { id: _id, ...rest } = s;
  return JSON.stringify(rest);
}

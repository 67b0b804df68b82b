/**
 * Test helpers for the Discord functions: signals stored the way the pipeline stores them (the
 * insert fires the real outbox trigger), the function settings that point at a fake Discord, a
 * reset of the shared sender state, signed interaction requests (tweetnacl keys, as Discord signs),
 * and polling for a condition.
 */

import nacl from "tweetnacl";
import type { Sql } from "../../supabase/functions/_shared/deps.ts";
import type { FakeAttachment, FakeDiscord, FakeMessage } from "../../scripts/fakes/discord.ts";
import { ingestCandles } from "../../supabase/functions/_shared/db_api.ts";
import { decode } from "fast-png";

/** Hour-aligned open times going back from `start` (ms). */
export function hourTimes(n: number, start = Date.UTC(2024, 0, 1)): number[] {
  return Array.from({ length: n }, (_, i) => start + i * 3_600_000);
}

/** A signal row to insert (defaults: a long 100 → stop 96, targets 108/112/116, confidence 0.8). */
export interface TestSignal {
  openTime: number;
  direction?: "long" | "short";
  entry?: number;
  /** Default: 4 % of the entry against the trade. */
  stopLoss?: number;
  /** Default: 8, 12 and 16 % of the entry in the trade's favour. */
  takeProfits?: readonly [number, number, number];
  atr?: number;
  confidence?: number;
  rationale?: string;
  notifyStatus?: "pending" | "skipped";
  patterns?: unknown;
  contributions?: unknown;
  evidence?: unknown;
}

/**
 * Inserts signals of `symbol` 1h in ONE statement (one outbox insert, one wake-up, as
 * api.save_analysis does); returns their ids in time order.
 */
export async function insertSignals(
  sql: Sql,
  symbol: string,
  signals: readonly TestSignal[],
  timeframe = "1h",
): Promise<number[]> {
  const rows = signals.map((s) => {
    const long = (s.direction ?? "long") === "long";
    const e = s.entry ?? 100;
    const k = long ? 1 : -1;
    return {
      symbol,
      timeframe,
      open_ms: s.openTime,
      direction: long ? "long" : "short",
      entry: e,
      stop_loss: s.stopLoss ?? e - k * 0.04 * e,
      tp1: s.takeProfits?.[0] ?? e + k * 0.08 * e,
      tp2: s.takeProfits?.[1] ?? e + k * 0.12 * e,
      tp3: s.takeProfits?.[2] ?? e + k * 0.16 * e,
      risk_reward: 2,
      confidence: s.confidence ?? 0.8,
      atr: s.atr ?? 0.02 * e,
      rationale: s.rationale ?? `test signal at ${new Date(s.openTime).toISOString()}`,
      notify_status: s.notifyStatus ?? "pending",
      patterns: s.patterns ?? {},
      contributions: s.contributions ?? [],
      evidence: s.evidence ?? null,
    };
  });
  const ids = await sql<{ id: string }[]>`
    insert into public.signals (symbol, timeframe, open_time, direction, entry, stop_loss, tp1, tp2,
      tp3, risk_reward, confidence, atr, rationale, notify_status, next_attempt_at, patterns,
      contributions, evidence)
    select r.symbol, r.timeframe, 'epoch'::timestamptz + r.open_ms * interval '1 millisecond',
      r.direction, r.entry, r.stop_loss, r.tp1, r.tp2, r.tp3, r.risk_reward, r.confidence, r.atr,
      r.rationale, r.notify_status, case when r.notify_status = 'pending' then now() end,
      coalesce(r.patterns, '{}'), coalesce(r.contributions, '[]'), r.evidence
    from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(symbol text, timeframe text,
      open_ms bigint, direction text, entry float8, stop_loss float8, tp1 float8, tp2 float8,
      tp3 float8, risk_reward float8, confidence float8, atr float8, rationale text,
      notify_status text, patterns jsonb, contributions jsonb, evidence jsonb)
    order by r.open_ms
    returning id`;
  return ids.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/**
 * Stores `n` synthetic 1h candles of `symbol` opening at `from`, `from` + 1 h, … (a deterministic
 * swing of about ±2 % around 100) through api.ingest_candles. The default test signals (entry 100,
 * stop 96 or 104, TP1 108 or 92) are neither stopped nor reach a target in them, so outcome
 * tracking (a test that runs api.track_outcomes(), or pg_cron in a cluster that runs its jobs) never adds follow-ups to a test's
 * messages. Call it before wake-ups are configured (the insert wakes analyze).
 */
export async function insertTestCandles(
  sql: Sql,
  symbol: string,
  from: number,
  n: number,
): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => {
    const mid = (j: number) => 100 + 1.2 * Math.sin(j / 9) + 0.5 * Math.sin(j / 3.7);
    const open = mid(i);
    const close = mid(i + 1);
    return {
      symbol,
      interval: "1h" as const,
      candle: {
        openTime: from + i * 3_600_000,
        open,
        high: Math.max(open, close) + 0.2 + 0.2 * Math.abs(Math.sin(i)),
        low: Math.min(open, close) - 0.2 - 0.2 * Math.abs(Math.cos(i)),
        close,
        volume: 1000 + 400 * Math.sin(i / 5) ** 2,
      },
    };
  });
  await ingestCandles(sql, rows);
}

/** Outbox rows of `symbol`'s signals, oldest first. */
export async function outboxOf(sql: Sql, symbol: string) {
  return await sql<{
    id: string;
    signal_id: string;
    kind: string;
    status: string;
    attempts: number;
    next_attempt_at: Date | null;
    last_error: string | null;
    message_id: string | null;
    mentions: string[];
  }[]>`
    select o.id, o.signal_id, o.kind, o.status, o.attempts, o.next_attempt_at, o.last_error,
      o.message_id, o.mentions
    from public.discord_outbox o join public.signals s on s.id = o.signal_id
    where s.symbol = ${symbol} order by o.id`;
}

/** Makes every unsent outbox row of `symbol` due now (what waiting out the backoff would do). */
export async function makeDue(sql: Sql, symbol: string): Promise<void> {
  await sql`update public.discord_outbox o set next_attempt_at = now() - interval '1 ms'
    from public.signals s where s.id = o.signal_id and s.symbol = ${symbol}
      and o.status <> 'sent' and o.next_attempt_at is not null`;
}

/** Clears the shared sender state (lease, stop, learnt rate limits) between tests. */
export async function resetDiscordState(sql: Sql): Promise<void> {
  await sql`update private.discord_state set sender = null, sender_until = null, rerun = false,
    stopped_at = null, stopped_reason = null, stopped_config = null, probed_at = null,
    rate_limits = '{}'`;
}

/** Function settings that post as the bot to `fake` (plus `extra`). */
export function botEnv(
  fake: FakeDiscord,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_BOT_TOKEN: fake.token,
    DISCORD_CHANNEL_ID: fake.channelId,
    DISCORD_TIMEOUT_MS: "2000",
    ...extra,
  };
}

/** Messages the fake holds about `symbol` (cards and follow-ups name it in their title). */
export function messagesAbout(fake: FakeDiscord, symbol: string): FakeMessage[] {
  return fake.messages.filter((m) =>
    m.embeds.some((e) => String(e.title ?? "").includes(` ${symbol} `)) ||
    m.content.includes(` ${symbol} `)
  );
}

/** Polls `check` every 25 ms until it is true; throws after `timeoutMs` with `what`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An Ed25519 key pair as Discord's application keys (public key in hex). */
export function interactionKeys(): { publicKey: string; secretKey: Uint8Array } {
  const kp = nacl.sign.keyPair();
  return {
    publicKey: Array.from(kp.publicKey, (b) => b.toString(16).padStart(2, "0")).join(""),
    secretKey: kp.secretKey,
  };
}

/** The signature headers Discord sends with `body` at `timestampS` (seconds). */
export function signInteraction(
  secretKey: Uint8Array,
  body: string | Uint8Array,
  timestampS = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const ts = String(timestampS);
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const msg = new Uint8Array(ts.length + bytes.length);
  msg.set(new TextEncoder().encode(ts), 0);
  msg.set(bytes, ts.length);
  const sig = nacl.sign.detached(msg, secretKey);
  return {
    "content-type": "application/json",
    "x-signature-ed25519": Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join(""),
    "x-signature-timestamp": ts,
  };
}

/** The bytes of an attachment, fetched from the fake's URL as a Discord client would. */
export async function attachmentBytes(a: FakeAttachment): Promise<Uint8Array> {
  const res = await fetch(a.url);
  if (!res.ok) throw new Error(`attachment ${a.url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Checks that `m` carries a chart the way a card must: one attachment `chart.png` (image/png) shown
 * by the first embed as `attachment://chart.png`, whose bytes decode as a PNG of `width` × `height`.
 * Returns the PNG bytes.
 */
export async function chartOf(
  m: { attachments: FakeAttachment[]; embeds: Record<string, unknown>[] } | {
    attachments: FakeAttachment[];
    body: Record<string, unknown>;
  },
  width = 800,
  height = 450,
): Promise<Uint8Array> {
  const embeds = "embeds" in m
    ? m.embeds
    : (m.body.embeds as Record<string, unknown>[] | undefined) ?? [];
  if (m.attachments.length !== 1 || m.attachments[0].filename !== "chart.png") {
    throw new Error(`expected one chart.png, got ${JSON.stringify(m.attachments)}`);
  }
  const [a] = m.attachments;
  if (a.content_type !== "image/png") throw new Error(`content type ${a.content_type}`);
  const image = (embeds[0]?.image as { url?: string } | undefined)?.url;
  if (image !== "attachment://chart.png") throw new Error(`embed image ${image}`);
  const bytes = await attachmentBytes(a);
  const png = decode(bytes);
  if (png.width !== width || png.height !== height || a.width !== width || a.height !== height) {
    throw new Error(
      `chart is ${png.width}x${png.height} (${a.width}x${a.height}), not ${width}x${height}`,
    );
  }
  return bytes;
}

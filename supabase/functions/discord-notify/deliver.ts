/**
 * Delivering one claimed outbox row to Discord and saying what should happen to it:
 *
 * - card: the signal card, mentioning the row's subscribers (allowed_mentions limited to them), with
 *   its chart when charts are on (multipart: `payload_json` + `files[0]` chart.png, rendered after
 *   the card is built; a failed chart is logged and the card goes without it); as the bot with a
 *   nonce derived from the row and `enforce_nonce: true` inside `payload_json` (a retry after a lost
 *   answer returns the first message instead of posting a second, chart or not), or through the
 *   webhook;
 * - mentions: further subscribers, as a reply to the card;
 * - tp1/tp2/tp3/stop/expired, and withdrawn (the signal was superseded after a late or changed
 *   candle): the card is edited (its status line; a withdrawn card also its title and colour) and one
 *   follow-up is posted as a reply to it (through a webhook, which cannot reply, a message naming the
 *   card).
 *
 * Outcomes: `sent`; `retry` (5xx or no answer: retried through the outbox, a lost answer soon so
 * the nonce still deduplicates); `refused` (another 4xx: given up with Discord's reason);
 * `release` (rate limited beyond the run's deadline: back to the queue, attempt not counted);
 * `stop` (401/403, or the channel or webhook does not exist: no message can go out until the
 * settings are fixed).
 */

import {
  cardEdit,
  cardMessage,
  CHART_FILE,
  type ConfidenceKind,
  followUpMessage,
  mentionsMessage,
  withChart,
} from "../_shared/discord_card.ts";
import type { MessageBody } from "../_shared/discord_embed.ts";
import type {
  DiscordMessage,
  DiscordRest,
  DiscordResult,
  UploadFile,
} from "../_shared/discord_rest.ts";
import type { ClaimedMessage } from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";
import { errorLine } from "../_shared/log.ts";
import type { ChartRenderer } from "./chart_hook.ts";
import type { DiscordTarget } from "./target.ts";

/** What to do with a row after one attempt. */
export type Delivery =
  | { kind: "sent"; messageId: string; channelId: string | null; via: "bot" | "webhook" }
  | { kind: "retry"; error: string; retryAfterS: number | null }
  | { kind: "refused"; error: string }
  | { kind: "release"; reason: string; retryAfterS: number }
  | { kind: "stop"; error: string };

/**
 * Delay before retrying a row whose answer may have been lost (attempt 1: 5 s, 2: 15 s, 3: 45 s,
 * then the outbox's backoff): Discord remembers a nonce only for a few minutes, so the first
 * retries must come well within that window.
 */
export const LOST_ANSWER_RETRY_S = [5, 15, 45] as const;

/**
 * The nonce of an outbox row: `wy` + the row id and its creation time (ms) in base 36, at most 25
 * characters (Discord's limit), the same on every attempt and distinct across database resets.
 */
export function outboxNonce(row: Pick<ClaimedMessage, "id" | "createdAt">): string {
  return `wy${row.id.toString(36)}.${row.createdAt.toString(36)}`.slice(0, 25);
}

/** Context of one delivery. */
export interface DeliverContext {
  deps: Deps;
  rest: DiscordRest;
  target: Exclude<DiscordTarget, { mode: "unconfigured" }>;
  chart: ChartRenderer | null;
  /** What the cards call the signals' confidence (from the analyzer settings). */
  confidence: ConfidenceKind;
  /** Rate-limit waits may last until this time (ms). */
  deadline: number;
}

function failure(
  r: Exclude<DiscordResult<unknown>, { ok: true }>,
  row: ClaimedMessage,
  what: string,
): Delivery {
  const error = `${what}: ${r.message}`;
  switch (r.kind) {
    case "rate-limited":
      return { kind: "release", reason: error, retryAfterS: r.retryAfterS ?? 1 };
    case "network":
      return {
        kind: "retry",
        error: `${error} (it may have been posted: retried with the same nonce)`,
        retryAfterS: LOST_ANSWER_RETRY_S[row.attempts - 1] ?? null,
      };
    case "server":
      return { kind: "retry", error, retryAfterS: null };
    case "auth":
      return { kind: "stop", error };
    case "client":
      // A channel or webhook that does not exist refuses every message: a settings problem.
      if (r.code === 10003 || r.code === 10015) return { kind: "stop", error };
      return { kind: "refused", error };
  }
}

function sentFrom(
  r: { body: DiscordMessage },
  fallbackChannel: string | null,
  via: "bot" | "webhook",
): Delivery {
  const id = String(r.body?.id ?? "");
  if (!/^[0-9]{1,20}$/.test(id)) {
    return { kind: "retry", error: "Discord answered without a message id", retryAfterS: null };
  }
  const channel = r.body.channel_id && /^[0-9]{1,20}$/.test(r.body.channel_id)
    ? r.body.channel_id
    : fallbackChannel;
  return { kind: "sent", messageId: id, channelId: channel, via };
}

function botChannel(ctx: DeliverContext): string | null {
  return ctx.target.mode === "bot" ? ctx.target.channelId : null;
}

/** Posts `body` as a new message (with an optional file) to the target. */
async function post(
  ctx: DeliverContext,
  row: ClaimedMessage,
  body: MessageBody,
  channelId: string | null,
  files?: UploadFile[],
): Promise<DiscordResult<DiscordMessage>> {
  if (ctx.target.mode === "bot") {
    return await ctx.rest.createMessage(
      channelId ?? ctx.target.channelId,
      { ...body, nonce: outboxNonce(row), enforce_nonce: true },
      files,
      ctx.deadline,
    );
  }
  const { message_reference: _ignored, ...rest } = body;
  return await ctx.rest.executeWebhook(ctx.target.url, rest, files, ctx.deadline);
}

/**
 * From this attempt on a card goes without its chart: a run that died while rendering (e.g. out of
 * CPU) must not keep the card from ever being posted.
 */
export const CHART_LAST_ATTEMPT = 2;

/** True when delivering `row` renders a chart (a card, charts on, not past {@link CHART_LAST_ATTEMPT}). */
export function wantsChart(ctx: Pick<DeliverContext, "chart">, row: ClaimedMessage): boolean {
  return row.kind === "card" && ctx.chart !== null && row.attempts <= CHART_LAST_ATTEMPT;
}

/** The card's chart as an upload, or null (charts off, a late attempt, or the chart failed: logged). */
async function renderChart(ctx: DeliverContext, row: ClaimedMessage): Promise<UploadFile | null> {
  if (!ctx.chart) return null;
  const fields = { outbox: row.id, signal: row.signalId, attempt: row.attempts };
  if (row.attempts > CHART_LAST_ATTEMPT) {
    ctx.deps.log.warn("card posted without its chart after earlier attempts failed", fields);
    return null;
  }
  let error: string;
  try {
    const r = await ctx.chart(row.signal, ctx.deps, ctx.confidence);
    if (r.ok) return { name: CHART_FILE, contentType: "image/png", bytes: r.png };
    error = r.error;
  } catch (e) {
    error = errorLine(e);
  }
  ctx.deps.log.warn("chart failed; card posted without it", { ...fields, error });
  return null;
}

/** Attempts one row (see the module doc). Never throws for Discord's answers. */
export async function deliver(ctx: DeliverContext, row: ClaimedMessage): Promise<Delivery> {
  const via = ctx.target.mode;
  if (row.kind === "card") {
    // The chart last: the card is ready before the costly render starts.
    const card = cardMessage(row.signal, row.mentions, { confidence: ctx.confidence });
    const chart = await renderChart(ctx, row);
    const body = chart ? withChart(card) : card;
    const r = await post(ctx, row, body, null, chart ? [chart] : undefined);
    return r.ok ? sentFrom(r, botChannel(ctx), via) : failure(r, row, "card");
  }
  const card = row.card;
  const cardId = card.messageId;
  if (!cardId) {
    return { kind: "refused", error: "not posted: the signal's card was never posted" };
  }
  const replyTo = via === "bot" && card.postedVia === "bot"
    ? { messageId: cardId, channelId: card.channelId }
    : null;
  if (row.kind === "mentions") {
    const body = mentionsMessage(row.signal, row.mentions);
    if (replyTo) {
      body.message_reference = { message_id: replyTo.messageId, fail_if_not_exists: false };
    }
    const r = await post(ctx, row, body, replyTo?.channelId ?? null);
    return r.ok
      ? sentFrom(r, replyTo?.channelId ?? botChannel(ctx), via)
      : failure(r, row, "mentions");
  }
  // A follow-up: first the card's status line (an edit is idempotent), then the reply.
  // With charts on, the card's embed keeps showing its attached chart.png; a card that went out
  // without its chart has no such attachment, which Discord refuses (400): edited again without.
  const editCard = (chart: boolean): Promise<DiscordResult<DiscordMessage>> | null => {
    const edit = cardEdit(row.signal, { chart, confidence: ctx.confidence });
    if (via === "bot" && card.postedVia === "bot" && card.channelId && ctx.target.mode === "bot") {
      return ctx.rest.editMessage(card.channelId, cardId, edit, ctx.deadline);
    }
    if (via === "webhook" && card.postedVia === "webhook" && ctx.target.mode === "webhook") {
      return ctx.rest.editWebhookMessage(ctx.target.url, cardId, edit, ctx.deadline);
    }
    return null;
  };
  let edited = await editCard(ctx.chart !== null);
  if (edited && !edited.ok && edited.status === 400 && ctx.chart !== null) {
    edited = await editCard(false);
  }
  if (edited && !edited.ok) {
    const f = failure(edited, row, "card edit");
    if (f.kind === "refused") {
      // The card was deleted or cannot be edited: the follow-up still goes out.
      ctx.deps.log.warn("card edit refused", { outbox: row.id, error: edited.message });
    } else return f;
  }
  const body = followUpMessage(row.signal, row.kind, row.details, replyTo);
  const r = await post(ctx, row, body, replyTo?.channelId ?? null);
  return r.ok
    ? sentFrom(r, replyTo?.channelId ?? botChannel(ctx), via)
    : failure(r, row, `${row.kind} follow-up`);
}

/**
 * What a signal looks like in Discord: the card (one embed) that discord-notify posts and
 * /lastsignal shows, the follow-up posted when the trade reaches a target, its stop or expiry, and
 * the mention line for subscribers. Pure: data in, Discord message bodies out, always within
 * Discord's limits (every body goes through {@link fitMessage}).
 *
 * A withdrawn signal (superseded after a late or changed candle) gets a card edited to say so, grey,
 * with what its bar gives now, and one follow-up reply saying why it no longer stands.
 *
 * The card: direction, symbol and interval in the title (an arrow and a word, so colour is not the
 * only cue), green for long and red for short; entry, stop and TP1–TP3 with their distance in
 * percent and in R (1 R = |entry − stop|); the chance of reaching TP1 (the signal's `confidence`,
 * a calibrated probability with the default analyzer settings; with `confidence: "score"` the
 * heuristic score with each method's share); the Wyckoff events and phase, the Elliott count with
 * its wave labels, the indicator confirmation; the invalidation level; the bar; the track record of
 * setups like this one (the signal's evidence); the status line that follow-ups edit; a footer
 * saying it is an alert, not advice.
 */

import { nextOpenTime } from "../../../shared/candles/intervals.ts";
import { parseAnalyzerConfig } from "../../../shared/signals/config.ts";
import type { CardSignal, FollowUpDetails, OutboxKind } from "./db_api.ts";
import {
  type AllowedMentions,
  clip,
  type Embed,
  type EmbedField,
  fitMessage,
  type MessageBody,
} from "./discord_embed.ts";
import { formatPct, formatPrice, formatR, formatShare, formatUtc } from "./price_format.ts";

/** Embed colours: long green, short red, neutral grey (expiry). */
export const COLORS = { long: 0x2ecc71, short: 0xe74c3c, neutral: 0x95a5a6 } as const;

/** The footer every card and follow-up carries. */
export const DISCLAIMER = "Alerts only, not financial advice";

/** The file name a chart attachment must have (the embed shows `attachment://chart.png`). */
export const CHART_FILE = "chart.png";

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v as Json : null;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** `▲ LONG` or `▼ SHORT`. */
export function directionLabel(direction: "long" | "short"): string {
  return direction === "long" ? "▲ LONG" : "▼ SHORT";
}

/** 1 R of the signal: |entry − stop| (NaN when the levels are not finite). */
function riskOf(s: CardSignal): number {
  return Math.abs(s.entry - s.stopLoss);
}

/** Distance of `level` from the entry in R, signed in the trade's favour. */
export function rMultiple(s: CardSignal, level: number): number {
  const risk = riskOf(s);
  const move = s.direction === "long" ? level - s.entry : s.entry - level;
  return risk > 0 ? move / risk : NaN;
}

function levelLine(s: CardSignal, level: number): string {
  return `${formatPrice(level)} (${formatPct(level, s.entry)}, ${formatR(rMultiple(s, level))})`;
}

function contribution(s: CardSignal, method: string): Json | null {
  for (const c of arr(s.contributions)) {
    const o = obj(c);
    if (o && o.method === method) return o;
  }
  return null;
}

/** The Wyckoff events (at most 3) and phase behind the signal. */
export function wyckoffLine(s: CardSignal): string {
  const p = obj(s.patterns);
  const names: Record<string, string> = {
    spring: "Spring",
    upthrust: "Upthrust",
    sos: "Sign of strength",
    sow: "Sign of weakness",
  };
  const events = arr(p?.wyckoff).map(obj).filter((e): e is Json => e !== null).slice(-3).map(
    (e) => {
      const kind = names[str(e.kind)] ?? (str(e.kind) || "event");
      const level = num(e.level);
      const strength = num(e.strength);
      const vol = num(e.volumeRatio);
      const bits = [
        strength === null ? null : `strength ${strength.toFixed(2)}`,
        vol === null ? null : `volume ${vol.toFixed(2)}× average`,
      ].filter((b) => b !== null);
      return `${kind}${level === null ? "" : ` at ${formatPrice(level)}`}${
        bits.length ? ` (${bits.join(", ")})` : ""
      }`;
    },
  );
  const phase = str(p?.phase);
  const parts = [events.length ? events.join("; ") : "no event"];
  if (phase && phase !== "undetermined") parts.push(`phase ${phase}`);
  return parts.join(" · ");
}

/** The Elliott count behind the signal with its wave labels, or "no count". */
export function elliottLine(s: CardSignal): string {
  const e = obj(obj(s.patterns)?.elliott);
  if (!e) return "no count";
  const kind = e.kind === "impulse"
    ? "Impulse"
    : e.kind === "correction"
    ? "ABC correction"
    : "Count";
  const trend = str(e.trend);
  const waves = arr(e.waves).map(obj).filter((w): w is Json => w !== null).map((w) =>
    `${clip(str(w.label) || "?", 3)} ${formatPrice(num(w.price) ?? NaN)}`
  );
  const score = num(e.score);
  return `${kind}${trend ? ` ${trend}` : ""}${
    score === null ? "" : ` (score ${score.toFixed(2)})`
  }${waves.length ? `: ${waves.join(" → ")}` : ""}`;
}

/** The indicator confirmation (the indicators method's detail), or "—". */
export function indicatorLine(s: CardSignal): string {
  const c = contribution(s, "indicators");
  if (!c) return "no confirmation counted";
  return str(c.detail) || "—";
}

/** The price beyond which the setup is wrong: the Elliott count's invalidation, else the stop. */
export function invalidationLine(s: CardSignal): string {
  const inv = num(obj(obj(s.patterns)?.elliott)?.invalidation);
  if (inv !== null) return `${formatPrice(inv)} (Elliott count)`;
  return `${formatPrice(s.stopLoss)} (stop loss)`;
}

/**
 * What a signal's `confidence` is, as the analyzer settings say (`confidence` in
 * shared/signals/config.ts): "probability", the calibrated probability of reaching TP1 before the
 * stop (the default), or "score", the heuristic blend of the methods' confidences.
 */
export type ConfidenceKind = "probability" | "score";

/**
 * The {@link ConfidenceKind} of the analyzer settings stored in the database (`api.analyzer_settings`,
 * `{}` = defaults). Settings the analyzer would refuse make no signals; for them, and for anything
 * unreadable, the default "probability".
 */
export function confidenceKindOf(settings: unknown): ConfidenceKind {
  try {
    return parseAnalyzerConfig(settings).confidence;
  } catch {
    return "probability";
  }
}

/** The card's confidence field: `Chance of TP1` with the probability, or the score with shares. */
export function confidenceField(s: CardSignal, kind: ConfidenceKind): EmbedField {
  if (kind === "probability") {
    return {
      name: "Chance of TP1",
      value: `${formatShare(s.confidence)} before the stop`,
      inline: true,
    };
  }
  return { name: "Confidence score", value: confidenceLine(s), inline: true };
}

/** The heuristic score with each method's share, e.g. `72% (wyckoff 69%, indicators 31%)`. */
export function confidenceLine(s: CardSignal): string {
  const shares = arr(s.contributions).map(obj).filter((c): c is Json => c !== null)
    .filter((c) => num(c.share) !== null && (num(c.share) ?? 0) > 0)
    .map((c) => `${str(c.method) || "?"} ${formatShare(num(c.share) ?? NaN)}`);
  return `${formatShare(s.confidence)}${shares.length ? ` (${shares.join(", ")})` : ""}`;
}

/** Setup classes (`SignalEvidence.setup`, shared/signals/types.ts) as traders read them. */
const SETUP_NAMES: Record<string, string> = {
  spring: "Spring",
  upthrust: "Upthrust",
  sos: "Sign of strength",
  sow: "Sign of weakness",
  "abc-long": "ABC correction, long",
  "abc-short": "ABC correction, short",
  "impulse-long": "Impulse, long",
  "impulse-short": "Impulse, short",
};

/** `1,254` for a whole count, null for anything that is not one. */
function formatCount(n: unknown): string | null {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return null;
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * The track record of setups like this one, from the signal's evidence (`SignalEvidence`: the
 * setup class and its record over the calibration's train period, written by `deno task
 * calibrate`), e.g. `Upthrust setups: 58% reached TP1 (n = 143, avg +0.21 R) in the model's
 * training data`; `… : no trades in the model's training data` for a class without any. Null when
 * the signal carries no evidence or evidence of another shape (never raw JSON).
 */
export function evidenceLine(evidence: unknown): string | null {
  const e = obj(evidence);
  const train = obj(e?.train);
  if (!e || !train || typeof e.setup !== "string" || !e.setup.trim()) return null;
  const setup = `${SETUP_NAMES[e.setup] ?? clip(e.setup.trim(), 40)} setups`;
  const n = formatCount(train.n);
  if (n === null) return null;
  const rate = num(train.tp1Rate);
  const avgR = num(train.avgR);
  if (train.n === 0 || rate === null || rate < 0 || rate > 1) {
    return train.n === 0 ? `${setup}: no trades in the model's training data` : null;
  }
  const avg = avgR === null ? "" : `, avg ${formatR(avgR)}`;
  return `${setup}: ${formatShare(rate)} reached TP1 (n = ${n}${avg}) in the model's training data`;
}

/** R locked in by the targets reached so far (one third of the position at each). */
function lockedR(s: CardSignal, targetsHit: number): number {
  let r = 0;
  for (let k = 0; k < targetsHit; k++) r += rMultiple(s, s.takeProfits[k]) / 3;
  return r;
}

/** `▲ LONG entry 1.2345, stop 1.2, targets 1.3 / 1.35 / 1.4 (signal #7)`: what a bar gives now. */
function replacementLine(
  r: NonNullable<NonNullable<CardSignal["withdrawn"]>["replacement"]>,
): string {
  return `${directionLabel(r.direction)} entry ${formatPrice(r.entry)}, stop ${
    formatPrice(r.stopLoss)
  }, targets ${r.takeProfits.map(formatPrice).join(" / ")} (signal #${r.id})`;
}

/**
 * The status line: open, a target reached (R locked in), closed (result in R), or withdrawn (the
 * candle history behind the signal changed; what its bar gives now).
 */
export function statusLine(s: CardSignal): string {
  if (s.withdrawn) {
    const now = s.withdrawn.replacement
      ? `the bar now gives ${replacementLine(s.withdrawn.replacement)}`
      : "the bar gives no signal now";
    return `✖ Withdrawn: ${s.withdrawn.reason || "the candle history behind it changed"}; ${now}`;
  }
  const o = s.outcome;
  const hits = o ? [o.tp1Time, o.tp2Time, o.tp3Time].filter((t) => t !== null).length : 0;
  switch (s.status) {
    case "tp1":
    case "tp2":
      return `🎯 ${s.status.toUpperCase()} reached: ${
        formatR(lockedR(s, hits))
      } locked in, running`;
    case "tp3":
      return `🏁 TP3 reached: closed at ${formatR(o?.r ?? lockedR(s, 3))}`;
    case "stopped":
      return `🛑 Stopped${hits ? ` after TP${hits}` : ""}: closed at ${formatR(o?.r ?? -1)}`;
    case "expired":
      return `⌛ Expired: closed at ${formatR(o?.r ?? NaN)}`;
    default:
      return "Open: no target or stop reached yet";
  }
}

/** Options of {@link renderCard}. */
export interface CardOptions {
  /** The card shows the attached chart (`attachment://chart.png`). */
  chart?: boolean;
  /** What the signal's confidence is (default "probability", the analyzer's default). */
  confidence?: ConfidenceKind;
}

/** The card embed of a signal (see the module doc). */
export function renderCard(s: CardSignal, opts: CardOptions = {}): Embed {
  const closeTime = nextOpenTime(s.openTime, s.interval);
  const fields: EmbedField[] = [
    { name: "Entry", value: formatPrice(s.entry), inline: true },
    { name: "Stop loss", value: levelLine(s, s.stopLoss), inline: true },
    confidenceField(s, opts.confidence ?? "probability"),
    ...s.takeProfits.map((tp, i) => ({
      name: `TP${i + 1}`,
      value: levelLine(s, tp),
      inline: true,
    })),
    { name: "Wyckoff", value: wyckoffLine(s) },
    { name: "Elliott", value: elliottLine(s) },
    { name: "Indicators", value: indicatorLine(s) },
    { name: "Invalidation", value: invalidationLine(s), inline: true },
    {
      name: "Bar",
      value: Number.isFinite(closeTime)
        ? `${formatUtc(s.openTime)} (closed <t:${Math.floor(closeTime / 1000)}:R>)`
        : formatUtc(s.openTime),
      inline: true,
    },
  ];
  const evidence = evidenceLine(s.evidence);
  if (evidence) fields.push({ name: "Setups like this", value: evidence });
  fields.push({ name: "Status", value: statusLine(s) });
  if (s.notifyStatus === "skipped") {
    fields.push({ name: "Not posted", value: "analysed after the next bar had closed" });
  }
  const embed: Embed = {
    title: `${s.withdrawn ? "✖ Withdrawn · " : ""}${
      directionLabel(s.direction)
    } · ${s.symbol} ${s.interval}`,
    description: clip(s.rationale.trim() || "(no rationale)", 1500),
    color: s.withdrawn ? COLORS.neutral : COLORS[s.direction],
    fields,
    footer: { text: `${DISCLAIMER} · signal #${s.id}` },
  };
  if (Number.isFinite(closeTime) && Math.abs(closeTime) < 8.64e15) {
    embed.timestamp = new Date(closeTime).toISOString();
  }
  if (opts.chart) embed.image = { url: `attachment://${CHART_FILE}` };
  return embed;
}

/**
 * `body` showing the chart uploaded with it: the first embed's image is `attachment://chart.png`
 * and `attachments` names file 0 (Discord developer docs, "Uploading Files": the file itself goes
 * as multipart `files[0]` beside `payload_json`).
 */
export function withChart(body: MessageBody): MessageBody {
  const [first, ...rest] = body.embeds ?? [];
  if (!first) return body;
  return {
    ...body,
    embeds: [{ ...first, image: { url: `attachment://${CHART_FILE}` } }, ...rest],
    attachments: [{ id: 0, filename: CHART_FILE }],
  };
}

/** Content that mentions `userIds` (≤ 100), e.g. `🔔 <@1> <@2>`; empty when there is nobody. */
export function mentionContent(userIds: readonly string[]): string {
  return userIds.length ? `🔔 ${userIds.map((u) => `<@${u}>`).join(" ")}` : "";
}

/** Allowed mentions: exactly `userIds` (≤ 100), never roles, @everyone or the replied-to author. */
export function mentionsOnly(userIds: readonly string[]): AllowedMentions {
  return userIds.length
    ? { parse: [], users: userIds.slice(0, 100), replied_user: false }
    : { parse: [], replied_user: false };
}

/** The card message: subscribers' mentions in the content, the card embed. */
export function cardMessage(
  s: CardSignal,
  mentions: readonly string[],
  opts: CardOptions = {},
): MessageBody {
  const content = mentionContent(mentions);
  return fitMessage({
    ...(content ? { content } : {}),
    embeds: [renderCard(s, opts)],
    allowed_mentions: mentionsOnly(mentions),
  });
}

/** A message that only mentions more subscribers of the card's signal (beyond the card's 100). */
export function mentionsMessage(s: CardSignal, mentions: readonly string[]): MessageBody {
  return fitMessage({
    content: `${mentionContent(mentions)}\n${
      directionLabel(s.direction)
    } ${s.symbol} ${s.interval}`,
    allowed_mentions: mentionsOnly(mentions),
  });
}

const EVENT_TITLES: Record<Exclude<OutboxKind, "card" | "mentions">, string> = {
  tp1: "🎯 TP1 reached",
  tp2: "🎯 TP2 reached",
  tp3: "🏁 TP3 reached",
  stop: "🛑 Stop hit",
  expired: "⌛ Expired",
  withdrawn: "✖ Withdrawn",
};

/** The follow-up text of one outcome event. */
export function followUpText(
  s: CardSignal,
  kind: Exclude<OutboxKind, "card" | "mentions">,
  d: FollowUpDetails,
): string {
  const when = d.barTime === null ? "" : ` in the bar opening ${formatUtc(d.barTime)}`;
  const r = formatR(d.r ?? NaN);
  switch (kind) {
    case "tp1":
    case "tp2":
      return `${kind.toUpperCase()} ${
        formatPrice(d.price ?? NaN)
      } reached${when}. **${r}** locked in ` +
        `(a third of the position per target); the rest runs with the stop at ${
          formatPrice(s.stopLoss)
        }.`;
    case "tp3":
      return `TP3 ${formatPrice(d.price ?? NaN)} reached${when}. Trade closed at **${r}**.`;
    case "stop":
      return `Stop ${formatPrice(d.price ?? s.stopLoss)} hit${when}. Trade closed at **${r}**.`;
    case "expired":
      return `No target or stop reached in time; closed at the last close${
        d.barTime === null ? "" : ` (bar opening ${formatUtc(d.barTime)})`
      }: **${r}**.`;
    case "withdrawn": {
      const w = s.withdrawn;
      const now = w?.replacement
        ? `now gives ${replacementLine(w.replacement)}`
        : "gives no signal";
      // The stored reason already says what changed ("candle history changed from … UTC").
      return `**This signal no longer stands:** ${
        w?.reason || "a late or corrected candle changed its history"
      }; analysed again on the repaired candles, the bar opening ${formatUtc(s.openTime)} ${now}.`;
    }
  }
}

/**
 * The follow-up message of one outcome event: a short embed. With `replyTo` it is a reply to the
 * card (bot mode); without (webhook mode, which cannot reply) its text names the card it is about.
 */
export function followUpMessage(
  s: CardSignal,
  kind: Exclude<OutboxKind, "card" | "mentions">,
  d: FollowUpDetails,
  replyTo: { messageId: string; channelId: string | null } | null,
): MessageBody {
  const color = kind === "stop"
    ? COLORS.short
    : kind === "expired" || kind === "withdrawn"
    ? COLORS.neutral
    : COLORS.long;
  const about = `${directionLabel(s.direction)} ${s.symbol} ${s.interval}`;
  const text = followUpText(s, kind, d);
  const body: MessageBody = {
    embeds: [{
      title: `${EVENT_TITLES[kind]} · ${about}`,
      description: replyTo
        ? text
        : `Re: signal #${s.id}, ${about} of ${formatUtc(s.openTime)}.\n${text}`,
      color,
      footer: { text: `${DISCLAIMER} · signal #${s.id}` },
    }],
    allowed_mentions: mentionsOnly([]),
  };
  if (replyTo) {
    body.message_reference = {
      message_id: replyTo.messageId,
      ...(replyTo.channelId ? { channel_id: replyTo.channelId } : {}),
      fail_if_not_exists: false,
    };
  }
  return fitMessage(body);
}

/** The edit of a posted card: the card embed re-rendered with the current status line. */
export function cardEdit(s: CardSignal, opts: CardOptions = {}): MessageBody {
  return fitMessage({ embeds: [renderCard(s, opts)], allowed_mentions: mentionsOnly([]) });
}

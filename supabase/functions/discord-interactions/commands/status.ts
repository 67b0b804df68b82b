/**
 * `/status`: is the pipeline alive? The relay's heartbeat age and streams, the ingest poller's last
 * run (zero-server mode), errors of both, and a refusal by Binance (HTTP 451) with its fix, the last candle and
 * analysis of each tracked series, live signals today and in 24 h (and those withdrawn after a late
 * or changed candle), the Discord messages pending, retrying
 * and given up, whether Discord sending runs or was stopped by a 401/403 (and why), and the
 * database's warnings about the deployment (`api.status_warnings()`: sign-ups that look open,
 * invalid settings).
 */

import { type StatusFigures, statusFigures, statusWarnings } from "../../_shared/db_api.ts";
import type { Deps } from "../../_shared/deps.ts";
import type { Embed, EmbedField } from "../../_shared/discord_embed.ts";
import { formatUtc } from "../../_shared/price_format.ts";
import { embedReply } from "../responses.ts";

/** `42 s`, `5 min`, `3 h`, `2 d` ago. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

function ago(t: number | null, now: number): string {
  return t === null ? "never" : `${age(now - t)} ago`;
}

/** `; errors: region 3, unavailable 1 (last: …)` for a feed with errors, else empty. */
function errorsLine(r: StatusFigures["relays"][number]): string {
  const counts = Object.entries(r.errors).filter(([, n]) => n > 0);
  if (!counts.length) return "";
  const last = r.lastError ? ` (last: ${r.lastError.slice(0, 200)})` : "";
  return `; errors: ${counts.map(([k, n]) => `${k} ${n}`).join(", ")}${last}`;
}

/** The /status embed for `f` at `now` (ms), with the deployment's `warnings` (open sign-ups, bad settings). */
export function statusEmbed(
  f: StatusFigures,
  now: number,
  warnings: readonly string[] = [],
): Embed {
  const d = f.discord;
  const sending = !d.sending
    ? `⛔ STOPPED ${ago(d.stoppedAt, now)}: ${
      d.stoppedReason ?? "refused"
    }. Fix the Discord settings; sending resumes as soon as they change (a probe every 15 min)`
    : d.mode === "unconfigured"
    ? "not configured: messages stay queued (set DISCORD_BOT_TOKEN + DISCORD_CHANNEL_ID or DISCORD_WEBHOOK_URL)"
    : `sending (${d.mode} mode), last post ${ago(d.lastSentAt, now)}`;
  const streamed = f.relays.filter((r) => r.kind === "stream");
  const polled = f.relays.filter((r) => r.kind === "poll");
  const relays = streamed.length
    ? streamed.map((r) =>
      `${r.relayId}: heartbeat ${
        age(r.heartbeatAgeS * 1000)
      } ago, ${r.streams} streams, last message ${ago(r.lastMessageAt, now)}${errorsLine(r)}`
    ).join("\n")
    : f.ingestMode === "poll"
    ? "none: ingest mode poll (the ingest function polls Binance)"
    : "no relay heartbeat (zero-server mode, or the relay is down)";
  const poller = polled.length
    ? polled.map((r) =>
      `last run ${age(r.heartbeatAgeS * 1000)} ago, ${r.streams} series, Binance last answered ${
        ago(r.lastMessageAt, now)
      }${errorsLine(r)}`
    ).join("\n")
    : "no run yet (the ingest job runs every minute a tracked series has a closed candle)";
  const series = f.series.length
    ? f.series.map((s) => {
      const behind = s.lastCandle !== null &&
        (s.analyzedUntil === null || s.analyzedUntil < s.lastCandle);
      return `${s.symbol} ${s.interval}: last candle ${
        s.lastCandle === null ? "none" : `${formatUtc(s.lastCandle)} (${ago(s.lastCandle, now)})`
      }${behind ? ", analysis behind" : ""}`;
    }).join("\n")
    : "no tracked series";
  const fields: EmbedField[] = [];
  if (f.binanceRegionRefused) {
    fields.push({
      name: "⛔ Binance refuses this location (HTTP 451)",
      value:
        "Binance answers requests from restricted locations (US addresses among them) with 451, so no candles arrive. Pin the functions to a region Binance serves: `deno task db:configure --functions-region eu-central-1`; run a relay on a host outside the US.",
    });
  }
  fields.push({ name: "Relay", value: relays });
  if (f.ingestMode !== "relay" || polled.length) {
    fields.push({ name: `Ingest (mode ${f.ingestMode})`, value: poller });
  }
  fields.push(
    { name: "Series", value: series },
    {
      name: "Signals",
      value: `${f.signalsToday} today (UTC), ${f.signals24h} in 24 h${
        f.signalsWithdrawn24h ? `, ${f.signalsWithdrawn24h} withdrawn in 24 h` : ""
      }`,
      inline: true,
    },
    {
      name: "Discord messages",
      value:
        `${f.notificationsPending} pending, ${f.notificationsFailed} retrying, ${f.notificationsGivenUp} given up, ${f.notificationsSent24h} sent in 24 h`,
      inline: true,
    },
    { name: "Discord sending", value: sending },
  );
  if (f.lastRefusal) {
    fields.push({
      name: "Last refusal",
      value: `${f.lastRefusal.kind} of signal #${f.lastRefusal.signalId}: ${
        f.lastRefusal.error ?? "—"
      }`,
    });
  }
  if (warnings.length) fields.push({ name: "⚠ Warnings", value: warnings.join("\n") });
  fields.push({
    name: "Gaps / database",
    value: `${f.openGaps} open gaps · ${(f.databaseBytes / 1024 / 1024).toFixed(1)} MB`,
    inline: true,
  });
  return {
    title: d.sending ? "Status" : "Status: Discord sending stopped",
    color: d.sending ? 0x3498db : 0xe74c3c,
    fields,
    timestamp: new Date(f.now || now).toISOString(),
  };
}

/** Answers /status. */
export async function statusCommand(deps: Deps): Promise<Response> {
  const [figures, warnings] = await Promise.all([
    statusFigures(deps.sql),
    statusWarnings(deps.sql),
  ]);
  return embedReply(statusEmbed(figures, deps.now(), warnings));
}

/**
 * `/subscribe symbol [timeframe] [min_confidence]`, `/unsubscribe symbol [timeframe]` and
 * `/subscriptions`: a user's subscriptions, answered only to that user (ephemeral). Subscribers are
 * mentioned in the cards of matching signals: mentions, not direct messages (bots that open DMs
 * in bulk get rate-limited and flagged by Discord).
 */

import { listSubscriptions, subscribe, unsubscribe } from "../../_shared/db_api.ts";
import type { Deps } from "../../_shared/deps.ts";
import { formatShare } from "../../_shared/price_format.ts";
import { OptionError, type OptionValues } from "../interaction.ts";
import { ephemeral } from "../responses.ts";
import { symbolOption, timeframeOption } from "../series_options.ts";

/** The database's refusal (SQLSTATE 22023) as the user's error, without the function prefix. */
function refusal(e: unknown): never {
  const err = e as { code?: string; message?: string };
  if (err?.code === "22023" && err.message) {
    throw new OptionError(err.message.replace(/^subscribe: /, ""));
  }
  throw e;
}

/** Answers /subscribe. */
export async function subscribeCommand(
  deps: Deps,
  userId: string,
  values: OptionValues,
): Promise<Response> {
  const symbol = symbolOption(values);
  const interval = timeframeOption(values);
  const min = typeof values.min_confidence === "number" ? values.min_confidence : null;
  const sub = await subscribe(deps.sql, userId, symbol, interval, min).catch(refusal);
  return ephemeral(
    `Subscribed: you will be mentioned in the cards of ${
      sub.minConfidence > 0
        ? `${sub.symbol} ${sub.interval ?? "(every timeframe)"} ${threshold(sub.minConfidence)}`
        : `every ${sub.symbol} ${
          sub.interval ? `${sub.interval} signal` : "signal (every timeframe)"
        }`
    }.`,
  );
}

/** Answers /unsubscribe. */
export async function unsubscribeCommand(
  deps: Deps,
  userId: string,
  values: OptionValues,
): Promise<Response> {
  const symbol = symbolOption(values);
  const interval = timeframeOption(values);
  const n = await unsubscribe(deps.sql, userId, symbol, interval);
  const what = `${symbol}${interval ? ` ${interval}` : ""}`;
  return ephemeral(
    n === 0
      ? `You had no subscription to ${what}.`
      : `Removed ${n} subscription${n === 1 ? "" : "s"} to ${what}.`,
  );
}

/** Answers /subscriptions. */
export async function subscriptionsCommand(deps: Deps, userId: string): Promise<Response> {
  const subs = await listSubscriptions(deps.sql, userId);
  if (subs.length === 0) return ephemeral("You have no subscriptions. Add one with /subscribe.");
  return ephemeral(
    `Your subscriptions:\n${
      subs.map((s) =>
        `• ${s.symbol} ${s.interval ?? "(every timeframe)"}: ${
          s.minConfidence > 0 ? threshold(s.minConfidence) : "every signal"
        }`
      ).join("\n")
    }`,
  );
}

/** `signals with a ≥ 45% chance of reaching TP1` (confidence is that chance; `min` > 0). */
function threshold(min: number): string {
  return `signals with a ≥ ${formatShare(min)} chance of reaching TP1`;
}

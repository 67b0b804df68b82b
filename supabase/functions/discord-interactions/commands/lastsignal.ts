/**
 * `/lastsignal symbol [timeframe]`: the latest signal as the same card discord-notify posts, chart
 * included. Discord does not take files in an interaction's HTTP answer (only JSON), so the card is
 * answered at once (well inside the 3 s) and, with charts on (`DISCORD_CHART`), the chart is
 * rendered in the background and added by editing the original response (multipart `files[0]`
 * chart.png + the embed's `attachment://chart.png`). A chart that fails leaves the card as
 * answered and is logged.
 */

import type { CardSignal } from "../../_shared/db_api.ts";
import { analyzerSettings, latestSignalCard } from "../../_shared/db_api.ts";
import type { Deps } from "../../_shared/deps.ts";
import {
  CHART_FILE,
  type ConfidenceKind,
  confidenceKindOf,
  renderCard,
  withChart,
} from "../../_shared/discord_card.ts";
import { fitMessage } from "../../_shared/discord_embed.ts";
import { DiscordRest } from "../../_shared/discord_rest.ts";
import { errorLine } from "../../_shared/log.ts";
import { realClock } from "../../_shared/discord_rate_limit.ts";
import { renderCardChart } from "../../_shared/chart/card_chart.ts";
import type { CommandInteraction, OptionValues } from "../interaction.ts";
import { embedReply, ephemeral } from "../responses.ts";
import { requireTracked, symbolOption, timeframeOption } from "../series_options.ts";

/**
 * Waits before editing again when Discord does not know the original response yet (10008: the
 * edit can overtake Discord's handling of the answer it follows), in ms.
 */
export const EDIT_RETRY_MS = [250, 1000, 3000] as const;

/** Answers /lastsignal (unknown or untracked symbols and timeframes: an ephemeral explanation). */
export async function lastSignalCommand(
  deps: Deps,
  i: CommandInteraction,
  values: OptionValues,
): Promise<Response> {
  const symbol = symbolOption(values);
  const interval = timeframeOption(values);
  await requireTracked(deps.sql, symbol, interval);
  const card = await latestSignalCard(deps.sql, symbol, interval);
  if (!card) {
    return ephemeral(`No signal for ${symbol}${interval ? ` ${interval}` : ""} yet.`);
  }
  const confidence = confidenceKindOf(await analyzerSettings(deps.sql));
  if (deps.env.DISCORD_CHART === "on") deps.waitUntil(attachChart(deps, i, card, confidence));
  return embedReply(renderCard(card, { confidence }));
}

/**
 * Renders the chart of `card` and edits the interaction's original response to show it (the same
 * card with `image: attachment://chart.png` and the PNG as `files[0]`). Never throws: a failed
 * chart or edit is logged.
 */
export async function attachChart(
  deps: Deps,
  i: CommandInteraction,
  card: CardSignal,
  confidence: ConfidenceKind,
): Promise<void> {
  const chart = await renderCardChart(
    deps.sql,
    card,
    deps.env.DISCORD_CHART_THEME,
    confidence,
  );
  if (!chart.ok) {
    deps.log.warn("chart failed; /lastsignal answered without it", {
      signal: card.id,
      error: chart.error,
    });
    return;
  }
  const rest = new DiscordRest({
    apiUrl: deps.env.DISCORD_API_URL,
    fetch: deps.fetch,
    clock: { now: deps.now, sleep: realClock.sleep },
    timeoutMs: deps.env.DISCORD_TIMEOUT_MS,
  });
  const body = withChart(
    fitMessage({ embeds: [renderCard(card, { confidence })], allowed_mentions: { parse: [] } }),
  );
  const file = { name: CHART_FILE, contentType: "image/png", bytes: new Uint8Array(chart.png) };
  const failed = (error: string) =>
    deps.log.error("could not add the chart to the /lastsignal answer", { signal: card.id, error });
  try {
    for (let attempt = 0;; attempt++) {
      const r = await rest.editOriginalResponse(i.application_id, i.token, body, [file]);
      if (r.ok) return;
      if (r.code === 10008 && attempt < EDIT_RETRY_MS.length) {
        await realClock.sleep(EDIT_RETRY_MS[attempt]);
        continue;
      }
      return failed(r.message);
    }
  } catch (e) {
    failed(errorLine(e));
  }
}

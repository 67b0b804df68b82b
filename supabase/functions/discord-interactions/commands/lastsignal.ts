/** `/lastsignal symbol [timeframe]`: the latest signal as the same card discord-notify posts. */

import { latestSignalCard } from "../../_shared/db_api.ts";
import type { Deps } from "../../_shared/deps.ts";
import { renderCard } from "../../_shared/discord_card.ts";
import type { OptionValues } from "../interaction.ts";
import { embedReply, ephemeral } from "../responses.ts";
import { requireTracked, symbolOption, timeframeOption } from "../series_options.ts";

/** Answers /lastsignal (unknown or untracked symbols and timeframes: an ephemeral explanation). */
export async function lastSignalCommand(deps: Deps, values: OptionValues): Promise<Response> {
  const symbol = symbolOption(values);
  const interval = timeframeOption(values);
  await requireTracked(deps.sql, symbol, interval);
  const card = await latestSignalCard(deps.sql, symbol, interval);
  if (!card) {
    return ephemeral(`No signal for ${symbol}${interval ? ` ${interval}` : ""} yet.`);
  }
  return embedReply(renderCard(card));
}

/**
 * Autocomplete (interaction type 4) for the symbol and timeframe options: the tracked series
 * matching what the user typed so far (symbols containing it, case-insensitive; the chosen symbol's
 * timeframes), at most 25. Cannot be deferred, so it is one database query.
 */

import { trackedSeries } from "../../_shared/db_api.ts";
import type { Deps } from "../../_shared/deps.ts";
import type { CommandDefinition } from "../../_shared/discord_commands.ts";
import { type CommandInteraction, parseOptions } from "../interaction.ts";
import { choices } from "../responses.ts";

/** Answers an autocomplete request for `def`. */
export async function autocomplete(
  deps: Deps,
  def: CommandDefinition,
  i: CommandInteraction,
): Promise<Response> {
  const focused = i.data.options?.find((o) => o.focused)?.name;
  const values = parseOptions(def, i.data.options, true);
  const typed = String(values[focused ?? ""] ?? "").trim().toUpperCase();
  const tracked = await trackedSeries(deps.sql);
  if (focused === "symbol") {
    const symbols = [...new Set(tracked.map((k) => k.symbol))].filter((s) => s.includes(typed));
    symbols.sort((a, b) => Number(!a.startsWith(typed)) - Number(!b.startsWith(typed)));
    return choices(symbols.map((s) => ({ name: s, value: s })));
  }
  if (focused === "timeframe") {
    const symbol = String(values.symbol ?? "").trim().toUpperCase();
    const own = tracked.filter((k) => k.symbol === symbol);
    const intervals = [...new Set((own.length ? own : tracked).map((k) => k.interval))]
      .filter((t) => t.toUpperCase().startsWith(typed));
    return choices(intervals.map((t) => ({ name: t, value: t })));
  }
  return choices([]);
}

/** `/help`: every command with its options, from the same definitions Discord registers. */

import { DISCLAIMER } from "../../_shared/discord_card.ts";
import { COMMANDS, usage } from "../../_shared/discord_commands.ts";
import type { Embed } from "../../_shared/discord_embed.ts";
import { embedReply } from "../responses.ts";

/** The /help embed. */
export function helpEmbed(): Embed {
  return {
    title: "Commands",
    color: 0x3498db,
    fields: COMMANDS.map((c) => ({
      name: usage(c),
      value: [
        c.description,
        ...(c.options ?? []).map((o) => `• ${o.name}: ${o.description}`),
      ].join("\n"),
    })),
    footer: { text: `${DISCLAIMER}. Signals are posted in this server's signal channel.` },
  };
}

/** Answers /help (to the user who asked). */
export function helpCommand(): Response {
  return embedReply(helpEmbed(), true);
}

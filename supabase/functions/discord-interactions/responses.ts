/**
 * Interaction responses (Discord developer docs, "Interaction Response Object"): PONG (1), a message
 * (4, ephemeral with flag 64), a deferred message (5, edited later through the interaction
 * webhook) and autocomplete choices (8, at most 25). Messages never ping anyone
 * (`allowed_mentions.parse` is empty) and go through the embed limits.
 */

import { InteractionResponseFlags, InteractionResponseType } from "discord-interactions";
import { clip, type Embed, fitMessage, type MessageBody } from "../_shared/discord_embed.ts";
import { json } from "../_shared/http.ts";

/** The PONG that answers Discord's PING. */
export function pong(): Response {
  return json(200, { type: InteractionResponseType.PONG });
}

/** A message reply; `ephemeral` shows it to the user who asked only. */
export function reply(body: MessageBody, ephemeral = false): Response {
  const data = fitMessage({ ...body, allowed_mentions: { parse: [] } });
  if (ephemeral) data.flags = InteractionResponseFlags.EPHEMERAL;
  return json(200, { type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE, data });
}

/** An ephemeral text reply (errors and personal views). */
export function ephemeral(text: string): Response {
  return reply({ content: clip(text, 2000) }, true);
}

/** One embed as a reply. */
export function embedReply(embed: Embed, isEphemeral = false): Response {
  return reply({ embeds: [embed] }, isEphemeral);
}

/** "Thinking…": the answer follows as an edit of the original response (within 15 minutes). */
export function deferred(): Response {
  return json(200, { type: InteractionResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE });
}

/** Autocomplete choices (at most 25; names and values at most 100 characters). */
export function choices(list: readonly { name: string; value: string }[]): Response {
  return json(200, {
    type: InteractionResponseType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
    data: {
      choices: list.slice(0, 25).map((c) => ({
        name: clip(c.name, 100),
        value: c.value.slice(0, 100),
      })),
    },
  });
}

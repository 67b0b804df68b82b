/**
 * The interactions discord-interactions accepts, validated with zod (Discord developer docs,
 * "Receiving and Responding"): PING (type 1), APPLICATION_COMMAND (2) and
 * APPLICATION_COMMAND_AUTOCOMPLETE (4) of a CHAT_INPUT command. Anything else, or any field of the
 * wrong shape, is HttpError 400 (Discord only sends well-formed payloads; a malformed one is not
 * from Discord). Options are then checked against the command's definition in
 * `_shared/discord_commands.ts`: a mismatch there is the user's (or a stale registration's) and is
 * answered as an ephemeral message, see {@link OptionError}.
 */

import { z } from "zod";
import type { CommandDefinition } from "../_shared/discord_commands.ts";
import { parseBody } from "../_shared/wake_body.ts";

/** A Discord id (snowflake). */
const Snowflake = z.string().regex(/^[1-9][0-9]{16,19}$/, "must be a Discord id");
/** The ids of users (and of the application) follow Discord's snowflake rule. */
const User = z.object({ id: Snowflake });

const OptionValue = z.union([
  z.string().max(6000),
  z.number().finite(),
  z.boolean(),
]);

/** One option as Discord sends it (CHAT_INPUT without subcommands). */
export const InteractionOptionSchema = z.object({
  name: z.string().min(1).max(32),
  type: z.number().int().min(1).max(11),
  value: OptionValue.optional(),
  focused: z.boolean().optional(),
});

const Base = {
  id: Snowflake,
  application_id: Snowflake,
  token: z.string().min(1).max(500).regex(/^[A-Za-z0-9._-]+$/, "must be an interaction token"),
  guild_id: Snowflake.optional(),
  channel_id: Snowflake.optional(),
  member: z.object({ user: User }).optional(),
  user: User.optional(),
};

const CommandData = z.object({
  id: Snowflake,
  name: z.string().min(1).max(32),
  type: z.literal(1).optional(),
  options: z.array(InteractionOptionSchema).max(25).optional(),
});

const withUser = <T extends { member?: { user: { id: string } }; user?: { id: string } }>(v: T) =>
  v.member !== undefined || v.user !== undefined;

/** Every interaction this endpoint answers. */
export const InteractionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal(1), id: Snowflake.optional(), application_id: Snowflake.optional() }),
  z.object({ type: z.literal(2), ...Base, data: CommandData })
    .refine(withUser, "member.user or user is required"),
  z.object({ type: z.literal(4), ...Base, data: CommandData })
    .refine(withUser, "member.user or user is required"),
]);

/** A validated interaction. */
export type Interaction = z.infer<typeof InteractionSchema>;

/** A command or autocomplete interaction. */
export type CommandInteraction = Exclude<Interaction, { type: 1 }>;

/** Parses a request body (already JSON) as an interaction; HttpError 400 naming the first problem. */
export function parseInteraction(value: unknown): Interaction {
  return parseBody(InteractionSchema, value);
}

/** The Discord user who used the command. */
export function userIdOf(i: CommandInteraction): string {
  return i.member?.user.id ?? i.user?.id ?? "";
}

/** An option value that does not fit the command's definition; answered as an ephemeral message. */
export class OptionError extends Error {
  override name = "OptionError";
}

/** Option values by name (strings trimmed). */
export type OptionValues = Record<string, string | number | boolean>;

/**
 * The options of `i` checked against `def`: each known, of its declared type, within its
 * min/max value or length, required ones present. Throws {@link OptionError} naming the option
 * and the rule. For autocomplete, values may be partial: required and length checks are skipped.
 */
export function parseOptions(
  def: CommandDefinition,
  options: readonly z.infer<typeof InteractionOptionSchema>[] | undefined,
  partial = false,
): OptionValues {
  const out: OptionValues = {};
  for (const o of options ?? []) {
    const d = def.options?.find((x) => x.name === o.name);
    if (!d) {
      throw new OptionError(
        `/${def.name} has no option "${o.name}" (the registered commands are out of date: run deno task register-commands)`,
      );
    }
    if (o.type !== d.type) throw new OptionError(`${o.name} has the wrong type`);
    const v = o.value;
    if (v === undefined) {
      if (partial) continue;
      throw new OptionError(`${o.name} has no value`);
    }
    if (d.type === 3) {
      if (typeof v !== "string") throw new OptionError(`${o.name} must be text`);
      const s = v.trim();
      if (!partial && d.min_length !== undefined && s.length < d.min_length) {
        throw new OptionError(`${o.name} must be at least ${d.min_length} characters`);
      }
      if (d.max_length !== undefined && s.length > d.max_length && !partial) {
        throw new OptionError(`${o.name} must be at most ${d.max_length} characters`);
      }
      out[o.name] = partial ? s.slice(0, 100) : s;
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) {
      if (partial) continue;
      throw new OptionError(`${o.name} must be a number`);
    }
    if (d.type === 4 && !Number.isInteger(v)) {
      throw new OptionError(`${o.name} must be a whole number`);
    }
    if (!partial && d.min_value !== undefined && v < d.min_value) {
      throw new OptionError(`${o.name} must be at least ${d.min_value}`);
    }
    if (!partial && d.max_value !== undefined && v > d.max_value) {
      throw new OptionError(`${o.name} must be at most ${d.max_value}`);
    }
    out[o.name] = v;
  }
  if (!partial) {
    for (const d of def.options ?? []) {
      if (d.required && out[d.name] === undefined) throw new OptionError(`${d.name} is required`);
    }
  }
  return out;
}

/**
 * `discord-interactions` Edge Function: Discord's interactions endpoint (the "Interactions
 * Endpoint URL" of the application). Every request must carry a valid Ed25519 signature made
 * within 5 minutes (401 otherwise: missing, malformed, stale or wrong); a body over 64 KiB is 413;
 * a payload that is not a PING, a slash command or an autocomplete of the expected shape is 400;
 * none of them reads or changes anything. PING → PONG. Commands (`_shared/discord_commands.ts`):
 * /status, /lastsignal, /subscribe, /unsubscribe, /subscriptions, /backtest (deferred, then edited),
 * /help; a bad option value or an unknown symbol is an ephemeral explanation (200).
 */

import { InteractionType } from "discord-interactions";
import type { Deps } from "../_shared/deps.ts";
import { commandNamed } from "../_shared/discord_commands.ts";
import { verifyInteraction } from "../_shared/discord_verify.ts";
import { answerErrors, HttpError, parseJson, readBody } from "../_shared/http.ts";
import { autocomplete } from "./commands/autocomplete.ts";
import { backtestCommand } from "./commands/backtest.ts";
import { helpCommand } from "./commands/help.ts";
import { lastSignalCommand } from "./commands/lastsignal.ts";
import { statusCommand } from "./commands/status.ts";
import {
  subscribeCommand,
  subscriptionsCommand,
  unsubscribeCommand,
} from "./commands/subscriptions.ts";
import {
  type CommandInteraction,
  OptionError,
  parseInteraction,
  parseOptions,
  userIdOf,
} from "./interaction.ts";
import { choices, ephemeral, pong } from "./responses.ts";

/** Largest request body accepted (interactions are a few KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Handles one request to `discord-interactions` (see the module doc). */
export function handleDiscordInteractions(req: Request, deps: Deps): Promise<Response> {
  return answerErrors(req, deps.log, async () => {
    if (req.method !== "POST") {
      throw new HttpError(405, "the interactions endpoint accepts POST only");
    }
    const publicKey = deps.env.DISCORD_PUBLIC_KEY;
    if (!publicKey) throw new HttpError(503, "DISCORD_PUBLIC_KEY is not set");
    const raw = await readBody(req, MAX_BODY_BYTES);
    await verifyInteraction(req.headers, raw, publicKey, deps.now());
    const interaction = parseInteraction(parseJson(raw));
    if (interaction.type === InteractionType.PING) return pong();
    const appId = deps.env.DISCORD_APPLICATION_ID;
    if (appId && interaction.application_id !== appId) {
      throw new HttpError(400, "interaction for another application");
    }
    return await dispatch(deps, interaction);
  });
}

async function dispatch(deps: Deps, i: CommandInteraction): Promise<Response> {
  const def = commandNamed(i.data.name);
  if (i.type === InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE) {
    if (!def) return choices([]);
    try {
      return await autocomplete(deps, def, i);
    } catch (e) {
      if (e instanceof OptionError) return choices([]);
      throw e;
    }
  }
  if (!def) {
    return ephemeral(
      `Unknown command /${i.data.name}: the registered commands are out of date (run deno task register-commands).`,
    );
  }
  const user = userIdOf(i);
  try {
    const values = parseOptions(def, i.data.options);
    switch (def.name) {
      case "status":
        return await statusCommand(deps);
      case "lastsignal":
        return await lastSignalCommand(deps, i, values);
      case "subscribe":
        return await subscribeCommand(deps, user, values);
      case "unsubscribe":
        return await unsubscribeCommand(deps, user, values);
      case "subscriptions":
        return await subscriptionsCommand(deps, user);
      case "backtest":
        return await backtestCommand(deps, i, user, values);
      case "help":
        return helpCommand();
      default:
        return ephemeral(`/${def.name} is not handled by this deployment.`);
    }
  } catch (e) {
    if (e instanceof OptionError) return ephemeral(`/${def.name}: ${e.message}`);
    throw e;
  }
}

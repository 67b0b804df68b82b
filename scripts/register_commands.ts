/**
 * `deno task register-commands`: registers every slash command of
 * `supabase/functions/_shared/discord_commands.ts` (the module discord-interactions parses options
 * against) with one PUT ("Bulk Overwrite Application Commands", Discord developer docs): globally,
 * or for one guild (shows at once; handy while testing). Idempotent: it first reads what is
 * registered, prints what changes (added, changed, removed), and PUTs only when something does.
 */

import {
  type CommandDefinition,
  COMMANDS,
} from "../supabase/functions/_shared/discord_commands.ts";
import { DiscordRest } from "../supabase/functions/_shared/discord_rest.ts";
import { realClock } from "../supabase/functions/_shared/discord_rate_limit.ts";
import { loadRegisterEnv, processEnv } from "../supabase/functions/_shared/env.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";

const HELP =
  `usage: deno task register-commands [--guild ID] [--dry-run] [--json] [--application-id ID] [--api-url URL]
Registers the bot's slash commands with Discord in one PUT (bulk overwrite), globally or for one
guild, and prints what changed; when nothing changed it sends nothing. Reads DISCORD_BOT_TOKEN and
DISCORD_APPLICATION_ID from the environment (DISCORD_API_URL optional).
  --guild ID            register for this guild (server) only: visible at once
  --dry-run             print the JSON that would be PUT and exit (no token, no request)
  --json                print {scope, added, changed, removed, unchanged, put} as JSON
  --application-id ID   the application id (default: DISCORD_APPLICATION_ID)
  --api-url URL         Discord API base (default: DISCORD_API_URL or https://discord.com/api/v10)`;

type Json = Record<string, unknown>;

/** The fields of a command that Discord stores from a definition (server-added fields dropped, defaults filled). */
export function normalize(c: Json): Json {
  const opts = (Array.isArray(c.options) ? c.options : []) as Json[];
  return {
    name: c.name,
    type: c.type ?? 1,
    description: c.description ?? "",
    options: opts.map((o) => ({
      type: o.type,
      name: o.name,
      description: o.description ?? "",
      required: o.required === true,
      autocomplete: o.autocomplete === true,
      min_value: o.min_value ?? null,
      max_value: o.max_value ?? null,
      min_length: o.min_length ?? null,
      max_length: o.max_length ?? null,
      choices: o.choices ?? null,
    })),
  };
}

/** What a PUT of `desired` changes compared with `current` (by command name). */
export function diffCommands(
  current: readonly Json[],
  desired: readonly CommandDefinition[],
): { added: string[]; changed: string[]; removed: string[]; unchanged: string[] } {
  const now = new Map(current.map((c) => [String(c.name), normalize(c)]));
  const want = new Set(desired.map((c) => c.name));
  const out = {
    added: [] as string[],
    changed: [] as string[],
    removed: [] as string[],
    unchanged: [] as string[],
  };
  for (const c of desired) {
    const have = now.get(c.name);
    if (!have) out.added.push(c.name);
    else if (JSON.stringify(have) !== JSON.stringify(normalize(c as unknown as Json))) {
      out.changed.push(c.name);
    } else out.unchanged.push(c.name);
  }
  for (const name of now.keys()) if (!want.has(name)) out.removed.push(name);
  return out;
}

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    guild: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
    "application-id": { type: "string" },
    "api-url": { type: "string" },
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${positionals[0]} (see --help)`);
  }
  if (values.guild !== undefined && !/^[1-9][0-9]{16,19}$/.test(values.guild)) {
    throw new UsageError(`--guild must be a Discord server id (17-20 digits), got ${values.guild}`);
  }
  if (values["dry-run"]) {
    console.log(JSON.stringify(COMMANDS, null, 2));
    return;
  }
  const env = loadRegisterEnv({
    ...processEnv(),
    ...(values["application-id"] ? { DISCORD_APPLICATION_ID: values["application-id"] } : {}),
    ...(values["api-url"] ? { DISCORD_API_URL: values["api-url"] } : {}),
  });
  const appId = env.DISCORD_APPLICATION_ID;
  if (!appId) throw new UsageError("DISCORD_APPLICATION_ID is not set (or pass --application-id)");
  if (!env.DISCORD_BOT_TOKEN) throw new UsageError("DISCORD_BOT_TOKEN is not set");
  const rest = new DiscordRest({
    apiUrl: env.DISCORD_API_URL,
    token: env.DISCORD_BOT_TOKEN,
    fetch,
    clock: realClock,
    timeoutMs: env.DISCORD_TIMEOUT_MS,
  });
  const path = values.guild
    ? `/applications/${appId}/guilds/${values.guild}/commands`
    : `/applications/${appId}/commands`;
  const scope = values.guild ? `guild ${values.guild}` : "global";
  const explain = (r: { status: number; message: string; kind: string }) => {
    const hint = r.status === 401
      ? ": check DISCORD_BOT_TOKEN"
      : r.status === 403 || r.status === 404
      ? ": check DISCORD_APPLICATION_ID (and that the bot is in the guild)"
      : "";
    return `Discord refused the request (${r.message})${hint}`;
  };
  const current = await rest.request<Json[]>("GET", path, { auth: true });
  if (!current.ok) throw new Error(explain(current));
  const diff = diffCommands(current.body ?? [], COMMANDS);
  const dirty = diff.added.length + diff.changed.length + diff.removed.length > 0;
  if (dirty) {
    const put = await rest.request<Json[]>("PUT", path, { json: COMMANDS, auth: true });
    if (!put.ok) throw new Error(explain(put));
  }
  if (values.json) {
    console.log(JSON.stringify({ scope, ...diff, put: dirty }));
    return;
  }
  if (!dirty) {
    console.log(
      `up to date: ${diff.unchanged.length} commands registered (${scope}); nothing sent`,
    );
    return;
  }
  for (const n of diff.added) console.log(`+ /${n} (added)`);
  for (const n of diff.changed) console.log(`~ /${n} (changed)`);
  for (const n of diff.removed) console.log(`- /${n} (removed)`);
  console.log(
    `registered ${COMMANDS.length} commands (${scope}): ${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged.length} unchanged`,
  );
}

if (import.meta.main) await runCli(main);

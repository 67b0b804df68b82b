/**
 * `deno task discord:interact`: sends one slash command to the discord-interactions endpoint the
 * way Discord does (Discord developer docs, "Receiving and Responding": an APPLICATION_COMMAND
 * interaction, type 2, POSTed with `X-Signature-Ed25519` over timestamp + body and
 * `X-Signature-Timestamp`), and prints the answer. It is how to try the commands on the local stack
 * without a Discord server: `--keygen` makes an Ed25519 key pair (tweetnacl); the stack verifies
 * with its public half (DISCORD_PUBLIC_KEY), this CLI signs with the private seed
 * (DISCORD_INTERACT_KEY). Options are typed from the command definitions the endpoint parses
 * against (`supabase/functions/_shared/discord_commands.ts`).
 */

import nacl from "tweetnacl";
import {
  type CommandDefinition,
  COMMANDS,
  OptionType,
} from "../supabase/functions/_shared/discord_commands.ts";
import { processEnv } from "../supabase/functions/_shared/env.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";

const DEFAULT_URL = "http://127.0.0.1:54321/functions/v1/discord-interactions";
/** Ids sent when none are given: Discord snowflakes of no real user or application. */
const DEFAULT_USER = "700000000000000001";
const DEFAULT_APPLICATION = "100000000000000001";

const HELP =
  `usage: deno task discord:interact COMMAND [option:value...] [--url URL] [--user ID] [--json]
       deno task discord:interact --keygen
Sends one slash command to the discord-interactions endpoint as Discord does (a signed
APPLICATION_COMMAND interaction) and prints the answer; COMMAND ping sends Discord's PING.
Try the commands on the local stack without a Discord server:
  deno task -q discord:interact --keygen > interact.env   # DISCORD_PUBLIC_KEY, DISCORD_INTERACT_KEY
  . ./interact.env && deno task start                     # terminal 1: its endpoint checks the key
  . ./interact.env && deno task discord:interact lastsignal symbol:BTCUSDT   # terminal 2
Commands and their options (as Discord offers them):
${
    COMMANDS.map((c) =>
      `  ${
        [c.name, ...(c.options ?? []).map((o) => o.required ? `${o.name}:…` : `[${o.name}:…]`)]
          .join(" ")
      }`
    ).join("\n")
  }
Environment: DISCORD_INTERACT_KEY (the private key from --keygen, 64 hex digits; required),
DISCORD_APPLICATION_ID (the application id sent; default ${DEFAULT_APPLICATION}).
  --url URL   the endpoint (default ${DEFAULT_URL})
  --user ID   the Discord user id that runs the command (default ${DEFAULT_USER})
  --json      print the endpoint's JSON answer instead of text
  --keygen    print a new key pair as shell exports and exit`;

const HEX64 = /^[0-9a-f]{64}$/i;
const SNOWFLAKE = /^[1-9][0-9]{16,19}$/;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** A new key pair: `{ publicKey, seed }` in hex (the seed is the private key). */
export function newInteractionKeys(): { publicKey: string; seed: string } {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  return { publicKey: hex(nacl.sign.keyPair.fromSeed(seed).publicKey), seed: hex(seed) };
}

/**
 * The `options` of an interaction for `command` from `name:value` arguments, each value typed as the
 * definition says (string, integer or number). Throws {@link UsageError} for an unknown option, a
 * value that is not a number where one is expected, or an argument without `:`.
 */
export function commandOptions(
  command: CommandDefinition,
  args: readonly string[],
): { name: string; type: number; value: string | number }[] {
  const defs = command.options ?? [];
  return args.map((arg) => {
    const i = arg.indexOf(":");
    if (i <= 0) {
      throw new UsageError(
        `/${command.name}: expected option:value, got ${arg} (options: ${
          defs.map((d) => d.name).join(", ") || "none"
        })`,
      );
    }
    const name = arg.slice(0, i);
    const raw = arg.slice(i + 1);
    const def = defs.find((d) => d.name === name);
    if (!def) {
      throw new UsageError(
        `/${command.name} has no option ${name} (options: ${
          defs.map((d) => d.name).join(", ") || "none"
        })`,
      );
    }
    if (def.type === OptionType.STRING) return { name, type: def.type, value: raw };
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) {
      throw new UsageError(`/${command.name}: ${name} must be a number, got ${raw}`);
    }
    return { name, type: def.type, value: n };
  });
}

/** The interaction Discord would send for `command` run by `user` (type 1 for PING). */
export function interactionBody(
  command: CommandDefinition | "ping",
  options: readonly { name: string; type: number; value: string | number }[],
  ids: { application: string; user: string },
): Record<string, unknown> {
  const id = String(1_000_000_000_000_000_000n + BigInt(Date.now()));
  if (command === "ping") return { type: 1, id, application_id: ids.application };
  return {
    type: 2,
    id,
    application_id: ids.application,
    token: `local-${crypto.randomUUID()}`,
    member: { user: { id: ids.user, username: "local-trader" } },
    data: { id: String(BigInt(id) + 1n), name: command.name, type: 1, options },
  };
}

/** The headers Discord signs a request with: Ed25519 over `timestamp + body` (seconds). */
export function signedHeaders(seed: string, body: string, nowMs = Date.now()): Headers {
  const ts = String(Math.floor(nowMs / 1000));
  const key = nacl.sign.keyPair.fromSeed(fromHex(seed)).secretKey;
  const sig = nacl.sign.detached(new TextEncoder().encode(ts + body), key);
  return new Headers({
    "content-type": "application/json",
    "x-signature-ed25519": hex(sig),
    "x-signature-timestamp": ts,
  });
}

type Embed = {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text?: string };
};

/** An interaction response as text lines for a terminal. */
export function answerText(answer: Record<string, unknown>): string {
  const type = answer.type;
  if (type === 1) return "PONG: the endpoint answers and checks signatures with your key";
  if (type === 5) {
    return "deferred: the answer follows as an edit of the original response (Discord shows it; deno task fake:discord prints it)";
  }
  if (type === 8) {
    const data = answer.data as { choices?: { name: string }[] } | undefined;
    return `suggestions: ${(data?.choices ?? []).map((c) => c.name).join(", ") || "none"}`;
  }
  const data = (answer.data ?? {}) as { content?: string; embeds?: Embed[]; flags?: number };
  const lines: string[] = [];
  if (data.content) lines.push(data.content);
  for (const e of data.embeds ?? []) {
    if (e.title) lines.push(`## ${e.title}`);
    if (e.description) lines.push(e.description);
    for (const f of e.fields ?? []) lines.push(`${f.name}: ${f.value}`);
    if (e.footer?.text) lines.push(e.footer.text);
  }
  if ((data.flags ?? 0) & 64) lines.push("(ephemeral: only you would see this in Discord)");
  return lines.join("\n");
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, HELP, {
    url: { type: "string" },
    user: { type: "string" },
    json: { type: "boolean" },
    keygen: { type: "boolean" },
  });
  if (values.keygen) {
    if (positionals.length) throw new UsageError("--keygen takes no command");
    const k = newInteractionKeys();
    console.log(`export DISCORD_PUBLIC_KEY=${k.publicKey}`);
    console.log(`export DISCORD_INTERACT_KEY=${k.seed}`);
    return 0;
  }
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError("expected a command, e.g. status (see --help)");
  const command = name === "ping"
    ? "ping" as const
    : COMMANDS.find((c) => c.name === name.replace(/^\//, ""));
  if (!command) {
    throw new UsageError(
      `unknown command ${name} (commands: ping, ${COMMANDS.map((c) => c.name).join(", ")})`,
    );
  }
  if (command === "ping" && rest.length) throw new UsageError("ping takes no options");
  const options = command === "ping" ? [] : commandOptions(command, rest);
  const user = values.user ?? DEFAULT_USER;
  if (!SNOWFLAKE.test(user)) {
    throw new UsageError(`--user must be a Discord user id (17-20 digits), got ${user}`);
  }
  let url: URL;
  try {
    url = new URL(values.url ?? DEFAULT_URL);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
  } catch {
    throw new UsageError(`--url: expected an http(s) URL, got ${values.url}`);
  }
  const env = processEnv();
  const seed = env.DISCORD_INTERACT_KEY;
  if (!seed) {
    throw new UsageError(
      "DISCORD_INTERACT_KEY is not set: make a key pair with deno task -q discord:interact --keygen > interact.env, then . ./interact.env here and where deno task start runs",
    );
  }
  if (!HEX64.test(seed)) {
    throw new UsageError("DISCORD_INTERACT_KEY must be 64 hexadecimal digits (from --keygen)");
  }
  const application = env.DISCORD_APPLICATION_ID || DEFAULT_APPLICATION;
  if (!SNOWFLAKE.test(application)) {
    throw new UsageError("DISCORD_APPLICATION_ID must be a Discord id (17-20 digits)");
  }
  const body = JSON.stringify(interactionBody(command, options, { application, user }));
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: signedHeaders(seed, body),
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new UsageError(
      `cannot reach ${url.href} (${
        (e as Error).name === "TimeoutError" ? "no answer in 10 s" : "connection failed"
      }): is deno task start running, or pass --url`,
    );
  }
  const text = await res.text();
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new UsageError(`${url.href} answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const why = String(answer.error ?? text).split("\n")[0];
    const hint = res.status === 401
      ? " (is the stack's DISCORD_PUBLIC_KEY the public half of DISCORD_INTERACT_KEY?)"
      : res.status === 503
      ? " (start the stack with DISCORD_PUBLIC_KEY set)"
      : "";
    throw new UsageError(`the endpoint answered ${res.status}: ${why}${hint}`);
  }
  console.log(values.json ? JSON.stringify(answer) : answerText(answer));
  return 0;
}

if (import.meta.main) await runCli(main);

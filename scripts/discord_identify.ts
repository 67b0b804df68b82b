/**
 * `deno task discord:identify`: connects the bot to Discord's Gateway once and identifies with its
 * token, then disconnects. Discord's docs ask a bot to connect and identify to the Gateway at least
 * once before it uses Create Message; discord-notify only speaks REST, so a new bot needs this once
 * (webhook mode does not). Prints the bot's name and how many servers it is in. Handshake (Discord
 * developer docs, "Gateway"): HELLO (op 10) → IDENTIFY (op 2, intents 0: no events are needed) →
 * READY (op 0); close code 4004 means the token was refused.
 */

import { loadRegisterEnv, processEnv } from "../supabase/functions/_shared/env.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";

const HELP = `usage: deno task discord:identify [--gateway-url URL] [--timeout-ms N]
Connects the bot (DISCORD_BOT_TOKEN) to Discord's Gateway once, identifies, and disconnects: Discord
asks a bot to do this once before it posts messages. Prints the bot's name and its server count.
  --gateway-url URL   Gateway address (default wss://gateway.discord.gg/?v=10&encoding=json)
  --timeout-ms N      give up after N ms (default 15000)`;

export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, {
    "gateway-url": { type: "string" },
    "timeout-ms": { type: "string" },
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${positionals[0]} (see --help)`);
  }
  const timeout = Number(values["timeout-ms"] ?? 15_000);
  if (!Number.isInteger(timeout) || timeout < 100) {
    throw new UsageError(`--timeout-ms must be a whole number of ms >= 100`);
  }
  const env = loadRegisterEnv(processEnv());
  if (!env.DISCORD_BOT_TOKEN) throw new UsageError("DISCORD_BOT_TOKEN is not set");
  const token = env.DISCORD_BOT_TOKEN;
  const url = values["gateway-url"] ?? "wss://gateway.discord.gg/?v=10&encoding=json";
  const ready = await new Promise<{ name: string; guilds: number }>((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`no READY from the gateway within ${timeout} ms`));
    }, timeout);
    const done = (f: () => void) => {
      clearTimeout(timer);
      f();
    };
    ws.onerror = () => done(() => reject(new Error(`cannot connect to ${url}`)));
    ws.onclose = (ev) =>
      done(() =>
        reject(
          new Error(
            ev.code === 4004
              ? "Discord refused the token (gateway close 4004): check DISCORD_BOT_TOKEN"
              : `the gateway closed the connection (${ev.code} ${ev.reason})`,
          ),
        )
      );
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        op: number;
        t?: string;
        d?: Record<string, unknown>;
      };
      if (msg.op === 10) {
        ws.send(JSON.stringify({
          op: 2,
          d: {
            token,
            intents: 0,
            properties: {
              os: Deno.build.os,
              browser: "wyckoff-elliott-signals",
              device: "wyckoff-elliott-signals",
            },
          },
        }));
      } else if (msg.op === 0 && msg.t === "READY") {
        const user = (msg.d?.user ?? {}) as { username?: string };
        const guilds = Array.isArray(msg.d?.guilds) ? msg.d.guilds.length : 0;
        ws.onclose = null;
        ws.close(1000);
        done(() => resolve({ name: user.username ?? "?", guilds }));
      }
    };
  });
  console.log(
    `identified as ${ready.name} (in ${ready.guilds} server${
      ready.guilds === 1 ? "" : "s"
    }); the bot may now post messages`,
  );
}

if (import.meta.main) await runCli(main);

/**
 * `deno task relay`: the one persistent process. Streams closed Binance candles of the tracked
 * series into Postgres; see scripts/relay/relay.ts for what it does and README "Relay" for how to
 * run it on a host. Settings: scripts/relay/config.ts (`--help`).
 *
 * Exit: 0 after SIGINT/SIGTERM once pending candles are written; 1 on a bad setting, when the
 * database cannot be read at start, or when candles could not be written before the shutdown
 * timeout (the next start backfills them).
 */

import { connectDatabase } from "../supabase/functions/_shared/deps.ts";
import { dbErrorMessage, isDbError } from "./lib/cli/database.ts";
import { consoleLogger } from "./lib/cli/log.ts";
import { parseCli, runCli, UsageError } from "./lib/cli/run_cli.ts";
import { RELAY_HELP, RELAY_OPTIONS, relayConfig } from "./relay/config.ts";
import { startRelay } from "./relay/relay.ts";

export {
  type Relay,
  type RelayOptions,
  type RelayStats,
  startRelay,
  type StopReport,
} from "./relay/relay.ts";

/** Runs the relay until SIGINT or SIGTERM; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, RELAY_HELP, RELAY_OPTIONS);
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${positionals[0]} (see --help)`);
  }
  const cfg = relayConfig(values);
  const log = consoleLogger(!cfg.text);
  const sql = connectDatabase(cfg.dbUrl, 3, "wyckoff-relay");
  const stopped = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => stopped.resolve(name);
  const signals = [["SIGINT", onSignal("SIGINT")], ["SIGTERM", onSignal("SIGTERM")]] as const;
  for (const [sig, fn] of signals) Deno.addSignalListener(sig, fn);
  try {
    let relay;
    try {
      await sql`select 1`; // fail fast on a wrong URL or password, whatever the series source
      relay = await startRelay({
        sql,
        series: cfg.series,
        wsUrl: cfg.wsUrl,
        restUrl: cfg.restUrl,
        relayId: cfg.relayId,
        microseconds: cfg.microseconds,
        initialCandles: cfg.initialCandles,
        maxStreamsPerConnection: cfg.maxStreams,
        log,
      });
    } catch (e) {
      throw isDbError(e) ? new UsageError(dbErrorMessage(e, cfg.dbUrl)) : e;
    }
    const signal = await stopped.promise;
    log({ level: "info", msg: "stopping", signal });
    const report = await relay.stop();
    return report.unsaved > 0 ? 1 : 0;
  } finally {
    for (const [sig, fn] of signals) Deno.removeSignalListener(sig, fn);
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

if (import.meta.main) await runCli(main);

/**
 * One sender run of discord-notify: takes the single sender lease (so one run at a time talks to
 * Discord and its rate limiter sees every request), claims due outbox rows a few at a time (leased,
 * so no two runs ever get the same row), delivers them in order and records each outcome, until no
 * row is due or the run's time is up. A wake-up that arrives meanwhile makes the running sender
 * claim again before it ends. After a 401/403 all sending stops (shown by /status) until the
 * settings change, with one probe message every 15 minutes.
 */

import {
  type ClaimedMessage,
  claimOutbox,
  discordSenderAcquire,
  discordSenderRelease,
  discordSendingStop,
  markOutboxFailed,
  markOutboxSent,
  releaseOutbox,
} from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";
import { DiscordRest } from "../_shared/discord_rest.ts";
import { type Clock, RateLimiter, type RateLimitState } from "../_shared/discord_rate_limit.ts";
import { errorLine } from "../_shared/log.ts";
import type { ChartRenderer } from "./chart_hook.ts";
import { deliver, type Delivery } from "./deliver.ts";
import { discordTarget, targetFingerprint } from "./target.ts";

/** Limits of one run. */
export interface SenderOptions {
  /** Wall time a run may take (ms; default 100,000, inside Supabase's 150 s). */
  budgetMs: number;
  /** Rows claimed at a time (default 5). */
  batchSize: number;
  /** Lease of a claimed row and of the sender (s; default 120). */
  leaseSeconds: number;
  /** The card chart renderer, or null. */
  chart: ChartRenderer | null;
  /** How the run waits (default: real time via setTimeout, deps.now for the time). */
  sleep?: (ms: number) => Promise<void>;
}

/** Default {@link SenderOptions}. */
export const DEFAULT_SENDER: SenderOptions = {
  budgetMs: 100_000,
  batchSize: 5,
  leaseSeconds: 120,
  chart: null,
};

/** What a run did. */
export interface SenderReport {
  /**
   * sent: the run delivered what was due (counts below); busy: another run holds the lease (it
   * will claim again); stopped: sending is stopped after a 401/403; unconfigured: no Discord
   * settings, messages stay queued.
   */
  result: "sent" | "busy" | "stopped" | "unconfigured";
  mode: "bot" | "webhook" | "unconfigured";
  sent: number;
  /** Failed attempts that will be retried. */
  retried: number;
  /** Rows given up (Discord refused them). */
  refused: number;
  /** Rows handed back unattempted (rate limited past the deadline, stop, time up). */
  released: number;
  /** Why sending is stopped (or just stopped), when it is. */
  stoppedReason: string | null;
  /** 401, 403 and 429 answers in this run. */
  invalidRequests: number;
  ms: number;
}

/** Runs one sender (see the module doc); database errors propagate. */
export async function runSender(
  deps: Deps,
  opts: SenderOptions = DEFAULT_SENDER,
): Promise<SenderReport> {
  const started = deps.now();
  const deadline = started + opts.budgetMs;
  const target = discordTarget(deps.env);
  const fingerprint = await targetFingerprint(target);
  const holder = crypto.randomUUID();
  const report: SenderReport = {
    result: "sent",
    mode: target.mode,
    sent: 0,
    retried: 0,
    refused: 0,
    released: 0,
    stoppedReason: null,
    invalidRequests: 0,
    ms: 0,
  };
  const done = () => ({ ...report, ms: deps.now() - started });
  const lease = await discordSenderAcquire(
    deps.sql,
    holder,
    opts.leaseSeconds,
    fingerprint,
    target.mode,
  );
  if (!lease.acquired) {
    report.result = lease.stoppedReason ? "stopped" : "busy";
    report.stoppedReason = lease.stoppedReason;
    return done();
  }
  if (target.mode === "unconfigured") {
    await discordSenderRelease(deps.sql, holder);
    report.result = "unconfigured";
    deps.log.warn("Discord is not configured: messages stay queued", { reason: target.reason });
    return done();
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const clock: Clock = { now: deps.now, sleep };
  const rest = new DiscordRest({
    apiUrl: deps.env.DISCORD_API_URL,
    token: target.mode === "bot" ? target.token : null,
    fetch: deps.fetch,
    clock,
    timeoutMs: deps.env.DISCORD_TIMEOUT_MS,
    limiter: new RateLimiter(clock, asRateLimitState(lease.rateLimits)),
  });
  const ctx = { deps, rest, target, chart: opts.chart, deadline };
  let probe = lease.probe;
  let held = true;
  try {
    outer: for (;;) {
      const rows = deps.now() < deadline
        ? await claimOutbox(deps.sql, probe ? 1 : opts.batchSize, opts.leaseSeconds)
        : [];
      if (rows.length === 0) {
        if (
          deps.now() < deadline &&
          await discordSenderRelease(deps.sql, holder, rest.limiter.toState())
        ) {
          continue; // a wake-up came meanwhile: claim again
        }
        held = false;
        break;
      }
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (deps.now() >= deadline) {
          await releaseAll(deps, rows.slice(i), "the run's time was up", report);
          break outer;
        }
        let outcome: Delivery;
        try {
          outcome = await deliver(ctx, row);
        } catch (e) {
          outcome = {
            kind: "retry",
            error: `unexpected error: ${errorLine(e)}`,
            retryAfterS: null,
          };
        }
        await record(deps, row, outcome, report);
        if (outcome.kind === "stop") {
          await discordSendingStop(deps.sql, outcome.error, fingerprint);
          report.stoppedReason = outcome.error;
          deps.log.error("Discord refused the settings: sending stopped", { error: outcome.error });
          await releaseAll(deps, rows.slice(i + 1), "sending stopped", report);
          break outer;
        }
        if (probe) {
          if (outcome.kind !== "sent") break outer; // still refused or failing: wait for the next probe
          probe = false;
          deps.log.info("probe posted: sending resumed");
        }
      }
      const renewed = await discordSenderAcquire(
        deps.sql,
        holder,
        opts.leaseSeconds,
        fingerprint,
        target.mode,
      );
      if (!renewed.acquired) {
        held = false;
        break;
      }
    }
  } finally {
    report.invalidRequests = rest.invalidRequests;
    if (held) {
      await discordSenderRelease(deps.sql, holder, rest.limiter.toState()).catch((e) =>
        deps.log.warn("sender release failed", { error: errorLine(e) })
      );
    }
  }
  if (report.stoppedReason) report.result = "stopped";
  return done();
}

async function record(
  deps: Deps,
  row: ClaimedMessage,
  d: Delivery,
  report: SenderReport,
): Promise<void> {
  const fields = { outbox: row.id, kind: row.kind, signal: row.signalId, attempt: row.attempts };
  switch (d.kind) {
    case "sent":
      await markOutboxSent(deps.sql, row.id, d);
      report.sent++;
      deps.log.info("posted", { ...fields, message: d.messageId, via: d.via });
      return;
    case "retry": {
      const next = await markOutboxFailed(deps.sql, row.id, d.error, {
        retryAfterSeconds: d.retryAfterS,
      });
      if (next === null) report.refused++;
      else report.retried++;
      deps.log.warn(next === null ? "gave up after the last attempt" : "send failed, will retry", {
        ...fields,
        error: d.error,
      });
      return;
    }
    case "refused":
      await markOutboxFailed(deps.sql, row.id, d.error, { permanent: true });
      report.refused++;
      deps.log.warn("Discord refused the message", { ...fields, error: d.error });
      return;
    case "release":
      await releaseOutbox(deps.sql, row.id, d.retryAfterS, d.reason);
      report.released++;
      return;
    case "stop":
      await releaseOutbox(deps.sql, row.id, 0, d.error);
      report.released++;
      return;
  }
}

async function releaseAll(
  deps: Deps,
  rows: readonly ClaimedMessage[],
  reason: string,
  report: SenderReport,
): Promise<void> {
  for (const row of rows) {
    await releaseOutbox(deps.sql, row.id, 0, null);
    report.released++;
  }
  if (rows.length) deps.log.info("rows handed back", { rows: rows.length, reason });
}

function asRateLimitState(v: unknown): RateLimitState | null {
  if (v === null || typeof v !== "object") return null;
  const s = v as Partial<RateLimitState>;
  if (typeof s.routes !== "object" || typeof s.buckets !== "object") return null;
  return {
    routes: s.routes ?? {},
    buckets: s.buckets ?? {},
    globalUntil: Number(s.globalUntil ?? 0),
  };
}

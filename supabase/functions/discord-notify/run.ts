/**
 * One sender run of discord-notify: takes the single sender lease (so one run at a time talks to
 * Discord and its rate limiter sees every request), claims due outbox rows a few at a time (leased,
 * so no two runs ever get the same row), delivers them in order and records each outcome, until no
 * row is due or the run's time is up. A wake-up that arrives meanwhile makes the running sender
 * claim again before it ends. After a 401/403 all sending stops (shown by /status) until the
 * settings change, with one probe message every 15 minutes.
 *
 * Charts are bounded per run (Supabase allows 2 s of CPU per request; a warm chart costs tens of
 * ms, the first few of a new instance hundreds: see chart_budget.ts): the card whose chart no longer
 * fits is handed back unattempted with the rows after it, the run ends, and it wakes discord-notify
 * again through the database's signed wake-up path (reason `continue`), so the rest is posted by a
 * fresh invocation, in order, nothing dropped (without a configured wake-up the minute's retry
 * sweep picks them up).
 */

import {
  analyzerSettings,
  type ClaimedMessage,
  claimOutbox,
  discordSenderAcquire,
  discordSenderRelease,
  discordSendingStop,
  markOutboxFailed,
  markOutboxSent,
  releaseOutbox,
  wake,
} from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";
import { confidenceKindOf } from "../_shared/discord_card.ts";
import { DiscordRest } from "../_shared/discord_rest.ts";
import { type Clock, RateLimiter, type RateLimitState } from "../_shared/discord_rate_limit.ts";
import { errorLine } from "../_shared/log.ts";
import { type ChartRenderer, withTimeout } from "./chart_hook.ts";
import { ChartBudget } from "./chart_budget.ts";
import { deliver, type Delivery, wantsChart } from "./deliver.ts";
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
  /** Estimated CPU (ms) a run may spend on charts (default {@link CHART_BUDGET_MS}; see chart_budget.ts). */
  chartBudgetMs: number;
  /** Most charts in one run whatever the budget says (default {@link MAX_CHARTS_PER_RUN}). */
  maxCharts: number;
  /** Wall time one chart may take before its card goes without it, in ms (default {@link CHART_TIMEOUT_MS}). */
  chartTimeoutMs: number;
  /** How the run waits (default: real time via setTimeout, deps.now for the time). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Estimated chart CPU per run (ms): 1.4 s of the 2 s Supabase allows per request, the rest for the
 * cards, the database and Discord (about 3 ms of CPU a card without its chart). A cold instance
 * renders 3 charts in its first run (0.6 + 0.35 + 0.35 s estimated), a warm one up to 17.
 */
export const CHART_BUDGET_MS = 1400;

/** Most charts per run whatever the budget: 20 (about 1 s of CPU warm). */
export const MAX_CHARTS_PER_RUN = 20;

/**
 * Wall time allowed for one chart (load + render), in ms: 3,000, against about 50 ms warm and
 * 0.5 s for the first chart of an instance (`deno task bench discord`).
 */
export const CHART_TIMEOUT_MS = 3000;

/** Default {@link SenderOptions}. */
export const DEFAULT_SENDER: SenderOptions = {
  budgetMs: 100_000,
  batchSize: 5,
  leaseSeconds: 120,
  chart: null,
  chartBudgetMs: CHART_BUDGET_MS,
  maxCharts: MAX_CHARTS_PER_RUN,
  chartTimeoutMs: CHART_TIMEOUT_MS,
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
  /** Charts rendered (or attempted) in this run. */
  charts: number;
  /** True when the run used its charts and woke a fresh invocation for the rest. */
  continued: boolean;
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
    charts: 0,
    continued: false,
    ms: 0,
  };
  const done = () => ({ ...report, ms: deps.now() - started });
  // Read before the lease is taken, so that a failing query leaves no lease behind.
  const confidence = confidenceKindOf(await analyzerSettings(deps.sql));
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
  const charts = new ChartBudget(opts.chartBudgetMs, opts.maxCharts);
  const chart = opts.chart && charts.wrap(withTimeout(opts.chart, opts.chartTimeoutMs));
  const ctx = { deps, rest, target, chart, confidence, deadline };
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
        if (wantsChart(ctx, row) && !charts.allows()) {
          await releaseAll(deps, rows.slice(i), "the run's chart budget is used", report);
          report.continued = true;
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
    report.charts = charts.charts;
    if (held) await releaseSender(deps, holder, rest.limiter);
  }
  if (report.continued) {
    // Only now that the lease is free can the woken invocation take it.
    await wake(deps.sql, "discord-notify", { reason: "continue" }).catch((e) =>
      deps.log.warn("continuation wake-up failed; the retry sweep will send the rest", {
        error: errorLine(e),
      })
    );
  }
  if (report.stoppedReason) report.result = "stopped";
  return done();
}

/**
 * Ends the run's hold on the sender lease, also when a wake-up asked for another round meanwhile
 * (api.discord_sender_release then keeps the lease for the holder): a run that stops early must not
 * leave the lease to run out while rows wait.
 */
async function releaseSender(deps: Deps, holder: string, limiter: RateLimiter): Promise<void> {
  try {
    for (let i = 0; i < 3; i++) {
      if (!await discordSenderRelease(deps.sql, holder, limiter.toState())) return;
    }
  } catch (e) {
    deps.log.warn("sender release failed", { error: errorLine(e) });
  }
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

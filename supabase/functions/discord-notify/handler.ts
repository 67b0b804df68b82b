/**
 * `discord-notify` Edge Function: woken by the database (a signed pg_net POST) when outbox rows are
 * queued (new signals' cards, outcome follow-ups), by the retry sweep (cron, every minute) and by
 * itself when a run used its charts (reason `continue`). Cards carry their chart unless
 * `DISCORD_CHART=off` (theme: `DISCORD_CHART_THEME`).
 * Answers 202 at once and runs the sender in the background (`deps.waitUntil`; pg_net waits 5 s at
 * most): see run.ts. Refuses unsigned, stale or tampered wake-ups with 401, a body that fails its
 * schema with 400, a body over 64 KiB with 413, anything but POST with 405; none of them sends or
 * changes anything. 202: `{accepted: true, reason}`.
 */

import type { Deps } from "../_shared/deps.ts";
import { answerErrors, HttpError, json, parseJson, readBody } from "../_shared/http.ts";
import { errorLine } from "../_shared/log.ts";
import { verifyWakeWithKey } from "../_shared/wake_auth.ts";
import { NotifyWakeSchema, parseBody } from "../_shared/wake_body.ts";
import { chartRendererFor } from "./chart_hook.ts";
import { DEFAULT_SENDER, runSender, type SenderOptions } from "./run.ts";

/** Largest wake-up body accepted (a sweep lists at most 100 ids). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Handles one request to `discord-notify` (see the module doc); `opts` overrides the sender's limits. */
export function handleDiscordNotify(
  req: Request,
  deps: Deps,
  opts: Partial<SenderOptions> = {},
): Promise<Response> {
  return answerErrors(req, deps.log, async () => {
    if (req.method !== "POST") {
      throw new HttpError(405, "discord-notify accepts POST wake-ups only");
    }
    const raw = await readBody(req, MAX_BODY_BYTES);
    await verifyWakeWithKey(req, raw, deps.wakeKeys, deps.now());
    const body = parseBody(NotifyWakeSchema, parseJson(raw));
    const run = runSender(deps, { ...DEFAULT_SENDER, chart: chartRendererFor(deps.env), ...opts })
      .then((report) => {
        const level = report.stoppedReason ? "error" : "info";
        deps.log[level]("sender run", { reason: body.reason, ...report });
      })
      .catch((e) => deps.log.error("sender run failed", { error: errorLine(e) }));
    deps.waitUntil(run);
    return json(202, { accepted: true, reason: body.reason });
  });
}

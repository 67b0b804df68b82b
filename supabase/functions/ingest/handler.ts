/**
 * `ingest` Edge Function (zero-server mode): woken by the wyckoff-ingest job (pg_cron, every minute in
 * ingest_mode poll or both, when a tracked series has a closed candle it has not stored) with
 * `{reason: "poll", delay_ms}`. Answers 202 at once (pg_net waits only a few seconds) and polls
 * Binance REST after the response (`EdgeRuntime.waitUntil`): the candles closed since the newest
 * stored ones, stored in one `ingest_candles` statement, the run recorded in relay_status row
 * `ingest` (see run.ts). 401 for unsigned, stale or tampered wake-ups, 400 for a body that fails its
 * schema, 413 over 16 KiB, 405 for anything but POST; none of them fetches or stores anything.
 */

import type { Deps } from "../_shared/deps.ts";
import { answerErrors, HttpError, json, parseJson, readBody } from "../_shared/http.ts";
import { errorLine } from "../_shared/log.ts";
import { verifyWakeWithKey } from "../_shared/wake_auth.ts";
import { IngestWakeSchema, parseBody } from "../_shared/wake_body.ts";
import { pollClosedCandles } from "./run.ts";

/** Largest wake-up body accepted (the job sends about 40 bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

/** Poll delay used when the wake-up names none (ms; the default of setting poll_delay_ms). */
export const DEFAULT_DELAY_MS = 2000;

/** Handles one request to `ingest` (see the module doc). */
export function handleIngest(req: Request, deps: Deps): Promise<Response> {
  return answerErrors(req, deps.log, async () => {
    if (req.method !== "POST") throw new HttpError(405, "ingest accepts POST wake-ups only");
    const raw = await readBody(req, MAX_BODY_BYTES);
    await verifyWakeWithKey(req, raw, deps.wakeKeys, deps.now());
    const body = parseBody(IngestWakeSchema, parseJson(raw));
    const delayMs = body.delay_ms ?? DEFAULT_DELAY_MS;
    deps.waitUntil(
      pollClosedCandles(deps, { reason: body.reason, delayMs }).then(
        ({ report: r }) =>
          deps.log.info("polled", {
            due: r.due,
            fetched: r.fetched,
            inserted: r.inserted,
            held_back: r.held_back,
            rest_calls: r.rest_calls,
            weight: r.weight,
            errors: r.errors,
            ms: r.ms,
          }),
        (e) => deps.log.error("ingest failed", { error: errorLine(e) }),
      ),
    );
    return json(202, { accepted: true, delay_ms: delayMs });
  });
}

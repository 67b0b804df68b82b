/**
 * `backfill` Edge Function: woken by the gap detection job (private.detect_gaps, every 5 minutes)
 * with `{reason: "gaps", gaps: [{id, symbol, timeframe, start_ms, end_ms, missing}]}`. Answers 202
 * at once (pg_net waits only a few seconds) and repairs the gaps after the response
 * (`EdgeRuntime.waitUntil`). 401 for unsigned, stale or tampered wake-ups, 400 for a body that fails
 * its schema, 413 over 256 KiB, 405 for anything but POST; none of them fetches or stores anything.
 */

import type { Deps } from "../_shared/deps.ts";
import { answerErrors, HttpError, json, parseJson, readBody } from "../_shared/http.ts";
import { errorLine } from "../_shared/log.ts";
import { verifyWakeWithKey } from "../_shared/wake_auth.ts";
import { BackfillWakeSchema, parseBody } from "../_shared/wake_body.ts";
import { repairGaps } from "./run.ts";

/** Largest wake-up body accepted (200 gaps are ~25 KiB). */
export const MAX_BODY_BYTES = 256 * 1024;

/** Handles one request to `backfill` (see the module doc). */
export function handleBackfill(req: Request, deps: Deps): Promise<Response> {
  return answerErrors(req, deps.log, async () => {
    if (req.method !== "POST") throw new HttpError(405, "backfill accepts POST wake-ups only");
    const raw = await readBody(req, MAX_BODY_BYTES);
    await verifyWakeWithKey(req, raw, deps.wakeKeys, deps.now());
    const body = parseBody(BackfillWakeSchema, parseJson(raw));
    const gaps = body.gaps.map((g) => ({
      id: g.id,
      symbol: g.symbol,
      interval: g.timeframe,
      startMs: g.start_ms,
      endMs: g.end_ms,
    }));
    deps.waitUntil(
      repairGaps(deps, gaps).then(
        (r) =>
          deps.log.info("gaps repaired", {
            gaps: r.gaps.length,
            fetched: r.gaps.reduce((n, g) => n + g.fetched, 0),
            inserted: r.stored.inserted,
            region_refused: r.regionRefused,
          }),
        (e) => deps.log.error("backfill failed", { error: errorLine(e) }),
      ),
    );
    return json(202, { accepted: gaps.length });
  });
}

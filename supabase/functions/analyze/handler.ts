/**
 * `analyze` Edge Function: woken by the database (a signed pg_net POST) when candles are stored, by
 * the analyze sweep (cron, every minute) for series whose analysis lags, and by itself when a call
 * runs out of budget. Answers 401 to unsigned, stale or tampered wake-ups, 400 to a body that fails
 * its schema, 413 to a body over 512 KiB, 405 to anything but POST; none of them changes anything.
 * 200: `{series: [{symbol, interval, candles, signals, rebuilt, result, continued}], ms}`.
 */

import { isInterval } from "../../../shared/candles/intervals.ts";
import { ConfigError, parseAnalyzerConfig } from "../../../shared/signals/config.ts";
import { analyzerSettings } from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";
import { answerErrors, HttpError, json, parseJson, readBody } from "../_shared/http.ts";
import { verifyWakeWithKey } from "../_shared/wake_auth.ts";
import { AnalyzeWakeSchema, parseBody } from "../_shared/wake_body.ts";
import { analyzeSeriesBatch } from "./run.ts";

/** Largest wake-up body accepted (a sweep over 2,000 series is ~120 KiB). */
export const MAX_BODY_BYTES = 512 * 1024;

/** Handles one request to `analyze` (see the module doc). */
export function handleAnalyze(req: Request, deps: Deps): Promise<Response> {
  return answerErrors(req, deps.log, async () => {
    if (req.method !== "POST") throw new HttpError(405, "analyze accepts POST wake-ups only");
    const started = performance.now();
    const raw = await readBody(req, MAX_BODY_BYTES);
    await verifyWakeWithKey(req, raw, deps.wakeKeys, deps.now());
    const body = parseBody(AnalyzeWakeSchema, parseJson(raw));
    let config;
    try {
      config = parseAnalyzerConfig(await analyzerSettings(deps.sql));
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new Error(`invalid analyzer_config setting: ${e.message}`);
      }
      throw e;
    }
    const keys = body.series.map((s) => {
      if (!isInterval(s.timeframe)) throw new HttpError(400, `unknown timeframe ${s.timeframe}`);
      return { symbol: s.symbol, interval: s.timeframe };
    });
    const outcomes = await analyzeSeriesBatch(deps, keys, config);
    const ms = Math.round(performance.now() - started);
    const signals = outcomes.reduce((n, o) => n + o.signalIds.length, 0);
    deps.log.info("analyzed", {
      reason: body.reason,
      series: outcomes.length,
      candles: outcomes.reduce((n, o) => n + o.candles, 0),
      signals,
      ms,
    });
    return json(200, {
      series: outcomes.map((o) => ({
        symbol: o.symbol,
        interval: o.interval,
        candles: o.candles,
        signals: o.signalIds.length,
        rebuilt: o.rebuilt,
        result: o.result,
        continued: o.continued,
      })),
      ms,
    });
  });
}

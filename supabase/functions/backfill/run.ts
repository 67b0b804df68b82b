/**
 * Repairs gaps: for each gap the database's gap detection found (private.detect_gaps), fetch the
 * missing candles from Binance REST (only closed ones, by Binance's own clock) and store everything
 * fetched in ONE `ingest_candles` statement, so the analyze function is woken once. Late candles
 * end their series' epoch, so the analysis of an affected series is rebuilt and stays exactly the
 * offline one. Gaps Binance itself has no candles for (exchange outages) are left to detect_gaps,
 * which marks them unrepairable after its retries.
 */

import { parseRestKlines } from "../../../shared/candles/rest_klines.ts";
import { validateCandles } from "../../../shared/candles/validate.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import { BinanceRegionError, BinanceRest } from "../_shared/binance_rest.ts";
import { ingestCandles, type IngestResult, type SeriesCandle } from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";
import { errorLine } from "../_shared/log.ts";

/** A gap to repair: open times from `startMs` to `endMs`, inclusive. */
export interface Gap {
  id: number;
  symbol: string;
  interval: Interval;
  startMs: number;
  endMs: number;
}

/** What happened to one gap. */
export interface GapOutcome {
  id: number;
  /** Closed candles Binance returned for the gap. */
  fetched: number;
  /** Why nothing could be fetched, when so. */
  error?: string;
}

/** The result of a backfill run. */
export interface BackfillResult {
  gaps: GapOutcome[];
  stored: IngestResult;
  /** True when Binance refused the function's region (HTTP 451): move the function (see README). */
  regionRefused: boolean;
}

/**
 * Fetches every gap (sequentially, sharing one client's weight budget) within `budgetMs` of wall
 * time, then stores what was fetched in one statement. Gaps not reached are left for the next run.
 */
export async function repairGaps(
  deps: Deps,
  gaps: readonly Gap[],
  budgetMs = 60_000,
): Promise<BackfillResult> {
  const rest = new BinanceRest({ baseUrl: deps.env.BINANCE_REST_URL, fetch: deps.fetch });
  const started = deps.now();
  const rows: SeriesCandle[] = [];
  const outcomes: GapOutcome[] = [];
  let regionRefused = false;
  for (const gap of gaps) {
    if (deps.now() - started > budgetMs || regionRefused) break;
    const outcome: GapOutcome = { id: gap.id, fetched: 0 };
    try {
      for await (
        const page of rest.closedKlines({
          symbol: gap.symbol,
          interval: gap.interval,
          startTime: gap.startMs,
          endTime: gap.endMs,
        })
      ) {
        const candles = parseRestKlines(page);
        validateCandles(candles, gap.interval);
        for (const candle of candles) {
          rows.push({ symbol: gap.symbol, interval: gap.interval, candle });
        }
        outcome.fetched += candles.length;
      }
    } catch (e) {
      if (e instanceof BinanceRegionError) regionRefused = true;
      outcome.error = errorLine(e);
      deps.log.warn("gap not fetched", {
        gap: gap.id,
        series: `${gap.symbol} ${gap.interval}`,
        error: outcome.error,
      });
    }
    outcomes.push(outcome);
  }
  const stored = await ingestCandles(deps.sql, rows);
  return { gaps: outcomes, stored, regionRefused };
}

/**
 * The end state every replay through the local stack must reach, whatever went wrong on the way:
 * the candles table equals the replayed source exactly, and the signals table equals what the offline
 * `signals` CLI emits for the same candles, each signal once. Used by the stack's end-to-end tests
 * (relay, poll and both modes).
 */

import assert from "node:assert/strict";
import { parseRestKlines } from "../../shared/candles/rest_klines.ts";
import { seriesFromCandles } from "../../shared/candles/series.ts";
import { signalRecord } from "../../shared/signals/record.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import type { ReplaySeries } from "../../scripts/fakes/binance.ts";
import { signalsAfter } from "../../scripts/lib/report/signal_preview.ts";
import type { Stack } from "../../scripts/stack/stack.ts";
import { fixtureRows } from "./fixtures.ts";

/** Rows [from, to) of a fixture `SYMBOL-interval-....json` as a replay series. */
export function fixtureReplay(file: string, from = 0, to?: number): ReplaySeries {
  const [symbol, interval] = file.split("-");
  return { symbol, interval, rows: (fixtureRows(file) as never[]).slice(from, to) };
}

/** The offline CLI's signal records for a replayed series (JSON-normalised). */
export function offlineSignals(s: ReplaySeries) {
  const candles = parseRestKlines(s.rows);
  return analyzeSeries(seriesFromCandles(candles)).map((g) =>
    JSON.parse(JSON.stringify(signalRecord(g, s.symbol, s.interval)))
  );
}

/** Checks the end state: candles equal the source, signals equal the offline CLI's, nothing twice. */
export async function assertEndState(
  stack: Stack,
  replayed: readonly ReplaySeries[],
): Promise<void> {
  for (const s of replayed) {
    const stored = await stack.sql<Record<string, number>[]>`
      select public.epoch_ms(open_time)::float8 as "openTime", open, high, low, close, volume,
        public.epoch_ms(close_time)::float8 as "closeTime", quote_volume as "quoteVolume",
        trades::float8 as trades, taker_buy_base as "takerBuyBase", taker_buy_quote as "takerBuyQuote"
      from public.candles where symbol = ${s.symbol} and timeframe = ${s.interval} order by open_time`;
    const source = parseRestKlines(s.rows);
    assert.equal(stored.length, source.length, `${s.symbol} ${s.interval}: candle count`);
    assert.deepEqual(
      stored.map((r) => ({ ...r })),
      source,
      `${s.symbol} ${s.interval}: candles equal the source`,
    );
  }
  const live = (await signalsAfter(stack.sql, 0, 100_000)).map(({ id: _id, ...rest }) => rest);
  const offline = replayed.flatMap(offlineSignals);
  assert.ok(offline.length > 0, "the replay is long enough to produce signals");
  const key = (r: { symbol: string; interval: string; openTime: number }) =>
    `${r.symbol} ${r.interval} ${r.openTime}`;
  assert.equal(new Set(live.map(key)).size, live.length, "no signal stored twice");
  const byKey = (rows: { symbol: string; interval: string; openTime: number }[]) =>
    [...rows].sort((a, b) => key(a) < key(b) ? -1 : 1);
  assert.deepEqual(byKey(live), byKey(offline), "signals equal the offline CLI's");
}

/** Tiny hand-made series and signals for the engine's scenario tests. */

import { seriesFromCandles } from "../../shared/candles/series.ts";
import type { CandleSeries } from "../../shared/candles/types.ts";
import type { TradableSignal } from "../../shared/backtest/simulate.ts";
import { parseBacktestSettings } from "../../shared/backtest/settings.ts";
import type { BacktestSettings } from "../../shared/backtest/settings.ts";

const HOUR = 3_600_000;
/** 2024-01-01T00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);

/** A 1h series from `[open, high, low, close]` rows, starting at {@link T0}. */
export function bars(rows: [number, number, number, number][]): CandleSeries {
  return seriesFromCandles(
    rows.map(([open, high, low, close], i) => ({
      openTime: T0 + i * HOUR,
      open,
      high,
      low,
      close,
      volume: 1,
    })),
    { symbol: "TESTUSDT", interval: "1h" },
  );
}

/** A long signal at bar `index`: stop 95, targets 110 / 120 / 130 unless given. */
export function long(
  index: number,
  stopLoss = 95,
  takeProfits: [number, number, number] = [110, 120, 130],
  confidence = 0.7,
): TradableSignal {
  return {
    index,
    time: T0 + index * HOUR,
    direction: "long",
    entry: 100,
    stopLoss,
    takeProfits,
    confidence,
  };
}

/** A short signal at bar `index`: stop 115, targets 90 / 80 / 70 unless given. */
export function short(
  index: number,
  stopLoss = 115,
  takeProfits: [number, number, number] = [90, 80, 70],
  confidence = 0.7,
): TradableSignal {
  return {
    index,
    time: T0 + index * HOUR,
    direction: "short",
    entry: 100,
    stopLoss,
    takeProfits,
    confidence,
  };
}

/** Settings without costs (so R arithmetic is exact by hand) plus `over`. */
export function noCosts(over: Partial<BacktestSettings> = {}): BacktestSettings {
  return parseBacktestSettings({ feeRate: 0, slippageBps: 0, ...over });
}

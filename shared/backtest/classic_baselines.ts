/**
 * Classical entry rules that the method must beat with the same exits: an EMA 20/50 cross and a
 * 20-bar Donchian channel breakout (R. Donchian's channel rule, as in the Turtle system's entries).
 * Both emit signals at a bar's close, with stop and targets at the given ATR multiples from that
 * close, so the engine trades them exactly as it trades the analyzer's signals.
 */

import type { CandleSeries } from "../candles/types.ts";
import { atr } from "../indicators/atr.ts";
import { ema } from "../indicators/ema.ts";
import type { Direction } from "../patterns/types.ts";
import type { TradableSignal } from "./simulate.ts";

/** Stop and take-profit distances in ATR(14), as in the analyzer config. */
export interface AtrExits {
  stopAtr: number;
  takeProfitAtr: readonly [number, number, number];
}

/** A signal at bar `i` with `exits` measured in `atr14[i]` from the close; null without ATR. */
function atrSignal(
  series: CandleSeries,
  i: number,
  direction: Direction,
  atr14: number,
  exits: AtrExits,
): TradableSignal | null {
  if (!(atr14 > 0)) return null;
  const side = direction === "long" ? 1 : -1;
  const entry = series.close[i];
  const [a, b, c] = exits.takeProfitAtr;
  return {
    index: i,
    time: series.openTime[i],
    direction,
    entry,
    stopLoss: entry - side * exits.stopAtr * atr14,
    takeProfits: [entry + side * a * atr14, entry + side * b * atr14, entry + side * c * atr14],
    confidence: 0,
  };
}

/** ATR(14) of a series (TA-Lib convention, NaN during warm-up). */
export function atr14Of(series: CandleSeries): Float64Array {
  return atr(series.high, series.low, series.close, 14);
}

/**
 * EMA(20)/EMA(50) cross on closes: long on the bar where EMA20 closes above EMA50 after being at or
 * below it on the previous bar, short on the mirror. Signals on bars in [from, to).
 */
export function emaCrossSignals(
  series: CandleSeries,
  from: number,
  to: number,
  exits: AtrExits,
  atr14: Float64Array = atr14Of(series),
): TradableSignal[] {
  const fast = ema(series.close, 20);
  const slow = ema(series.close, 50);
  const out: TradableSignal[] = [];
  for (let i = Math.max(1, from); i < Math.min(to, series.length); i++) {
    const d0 = fast[i - 1] - slow[i - 1];
    const d1 = fast[i] - slow[i];
    if (!Number.isFinite(d0) || !Number.isFinite(d1)) continue;
    const dir: Direction | null = d0 <= 0 && d1 > 0 ? "long" : d0 >= 0 && d1 < 0 ? "short" : null;
    if (dir === null) continue;
    const s = atrSignal(series, i, dir, atr14[i], exits);
    if (s) out.push(s);
  }
  return out;
}

/**
 * Donchian breakout over `period` bars (default 20): long when a bar closes above the highest high
 * of the `period` bars before it, short when it closes below their lowest low. Signals on bars in
 * [from, to); every breakout bar signals (the engine ignores a same-direction signal in a position).
 */
export function donchianSignals(
  series: CandleSeries,
  from: number,
  to: number,
  exits: AtrExits,
  atr14: Float64Array = atr14Of(series),
  period = 20,
): TradableSignal[] {
  const { high: H, low: L, close: C } = series;
  const out: TradableSignal[] = [];
  for (let i = Math.max(period, from); i < Math.min(to, series.length); i++) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let k = i - period; k < i; k++) {
      if (H[k] > hi) hi = H[k];
      if (L[k] < lo) lo = L[k];
    }
    const dir: Direction | null = C[i] > hi ? "long" : C[i] < lo ? "short" : null;
    if (dir === null) continue;
    const s = atrSignal(series, i, dir, atr14[i], exits);
    if (s) out.push(s);
  }
  return out;
}

/**
 * Random-entry baseline: would the same trades, entered at random bars, have done as well? Each
 * replication re-enters every one of the method's trades at a uniformly drawn signal bar of the
 * period, with the same direction and the same stop and target distances in ATR(14), under the same
 * fill rules and costs ({@link tradeOutcome}). The method's expectancy is then placed in the
 * distribution of the replications' mean R (a permutation-style test of entry timing; see e.g.
 * D. Aronson, "Evidence-Based Technical Analysis", 2006, ch. 5 on Monte Carlo permutation).
 */

import type { CandleSeries } from "../candles/types.ts";
import type { Direction } from "../patterns/types.ts";
import { SeededRandom } from "./prng.ts";
import type { BacktestSettings } from "./settings.ts";
import type { BarWindow } from "./simulate.ts";
import { tradeOutcome } from "./trade_outcome.ts";

/** A trade's shape, independent of where it is entered: direction and distances in ATR(14). */
export interface TradeShape {
  direction: Direction;
  stopAtr: number;
  takeProfitAtr: readonly [number, number, number];
}

/** Replications of one period. */
export interface RandomEntryRuns {
  /** Sum of R of each replication. */
  sumR: Float64Array;
  /** Trades of each replication (the number of shapes, unless a shape found no valid entry). */
  trades: Uint32Array;
}

/** Draws of a bar before giving up on a shape whose entries keep gapping through its levels. */
const MAX_DRAWS = 100;

/**
 * Runs `replications` random-entry replications of `shapes` inside `window` (signal bars in
 * [start, end − 2], so the entry bar exists and lies in the window; only bars with an ATR). Trades
 * close at the latest at the window's last close. Deterministic for a given `seed`.
 */
export function randomEntryRuns(
  series: CandleSeries,
  atr14: Float64Array,
  window: BarWindow,
  shapes: readonly TradeShape[],
  settings: Pick<
    BacktestSettings,
    "feeRate" | "slippageBps" | "scaleOut" | "breakEvenAfterTp1" | "timeStopBars"
  >,
  replications: number,
  seed: number,
): RandomEntryRuns {
  if (!Number.isInteger(replications) || replications < 1) {
    throw new RangeError(`replications must be a positive integer, got ${replications}`);
  }
  const sumR = new Float64Array(replications);
  const trades = new Uint32Array(replications);
  const bars: number[] = [];
  for (let i = window.start; i <= window.end - 2; i++) if (atr14[i] > 0) bars.push(i);
  if (shapes.length === 0 || bars.length === 0) return { sumR, trades };
  const rng = new SeededRandom(seed);
  const C = series.close;
  const levels = {
    direction: "long" as Direction,
    stopLoss: 0,
    takeProfits: [0, 0, 0] as [number, number, number],
  };
  for (let rep = 0; rep < replications; rep++) {
    let sum = 0;
    let n = 0;
    for (const s of shapes) {
      const side = s.direction === "long" ? 1 : -1;
      levels.direction = s.direction;
      for (let draw = 0; draw < MAX_DRAWS; draw++) {
        const b = bars[rng.int(bars.length)];
        const a = atr14[b];
        const ref = C[b];
        levels.stopLoss = ref - side * s.stopAtr * a;
        levels.takeProfits[0] = ref + side * s.takeProfitAtr[0] * a;
        levels.takeProfits[1] = ref + side * s.takeProfitAtr[1] * a;
        levels.takeProfits[2] = ref + side * s.takeProfitAtr[2] * a;
        const o = tradeOutcome(series, levels, b + 1, window.end, settings);
        if (o) {
          sum += o.r;
          n++;
          break;
        }
      }
    }
    sumR[rep] = sum;
    trades[rep] = n;
  }
  return { sumR, trades };
}

/**
 * Percentile (0–100) of `value` among replication means: the share below it, counting ties as
 * half (mid-rank). Null when there are no replications or no trades.
 */
export function percentileOf(value: number, means: ArrayLike<number>): number | null {
  if (means.length === 0 || !Number.isFinite(value)) return null;
  let below = 0;
  let ties = 0;
  for (let i = 0; i < means.length; i++) {
    if (means[i] < value) below++;
    else if (means[i] === value) ties++;
  }
  return (100 * (below + ties / 2)) / means.length;
}

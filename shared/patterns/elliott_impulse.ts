/**
 * 5-wave Elliott impulse ending at a given pivot: hard rules, score and description. Pure.
 *
 * Score = 0.6·F + 0.2·T + 0.2·A, each part in [0, 1] (p = fibProximity with fibTolerance):
 * - F (Fibonacci) = mean of p(W2/W1; .5, .618), p(W3/W1; 1.618, 2.618), p(W4/W3; .236, .382) and
 *   max(p(W5/W1; 1), p(W5/(0→3); .618)) — W* are wave lengths in price.
 * - T (time) = mean of p(d5/d1; .618, 1, 1.618) and the share of time spent correcting,
 *   (d2+d4)/(d1+d3+d5), scored 1 inside [.25, 1] and by p() to the nearer bound outside (d* in bars).
 * - A (alternation) = min(1, max(|ln(r2/r4)|, |ln(d2/d4)|) / ln 1.618) with r2 = W2/W1, r4 = W4/W3:
 *   full marks when wave 2 and wave 4 differ by ≥ 1.618× in relative depth or in duration.
 */

import type { ElliottCount, Pivot } from "./types.ts";
import type { ElliottOptions } from "./elliott_options.ts";
import { fibProximity, PHI, rangeProximity } from "./fibonacci.ts";
import { priceText } from "./price_text.ts";

const LN_PHI = Math.log(PHI);

/**
 * Impulse on pivots[end-5..end] (0,1,2,3,4,5) or null. Up impulse: low,high,low,high,low,high; down
 * mirrored. Rejected when wave 2 goes beyond wave 1's start, wave 3 is the shortest of 1/3/5, wave 4
 * enters wave 1's territory (beyond wave 1's end), or (unless allowed) wave 5 does not pass wave 3.
 */
export function impulseAt(
  pivots: readonly Pivot[],
  end: number,
  confirmedAt: number,
  opts: ElliottOptions,
): ElliottCount | null {
  const s = end - 5;
  if (s < 0) return null;
  const up = pivots[end].kind === "high";
  // s = sign: prices are mirrored for a down impulse so the rules read the same.
  const sg = up ? 1 : -1;
  for (let i = s; i <= end; i++) {
    const wantHigh = ((i - s) % 2 === 1) === up;
    if ((pivots[i].kind === "high") !== wantHigh) return null;
    if (i > s && !(pivots[i].index > pivots[i - 1].index)) return null;
  }
  const p0 = pivots[s], p1 = pivots[s + 1], p2 = pivots[s + 2];
  const p3 = pivots[s + 3], p4 = pivots[s + 4], p5 = pivots[s + 5];
  const w1 = sg * (p1.price - p0.price);
  const w2 = sg * (p1.price - p2.price);
  const w3 = sg * (p3.price - p2.price);
  const w4 = sg * (p3.price - p4.price);
  const w5 = sg * (p5.price - p4.price);
  if (!(w1 > 0 && w2 > 0 && w3 > 0 && w4 > 0 && w5 > 0)) return null;
  // Hard rules.
  if (!(sg * (p2.price - p0.price) > 0)) return null; // wave 2 beyond wave 1's start
  if (w3 < w1 && w3 < w5) return null; // wave 3 the shortest
  if (!(sg * (p4.price - p1.price) > 0)) return null; // wave 4 in wave 1's territory
  if (!opts.allowTruncatedFifth && !(sg * (p5.price - p3.price) > 0)) return null;

  const tol = opts.fibTolerance;
  const r2 = w2 / w1, r3 = w3 / w1, r4 = w4 / w3, r5 = w5 / w1;
  const r5b = w5 / (sg * (p3.price - p0.price));
  const f2 = fibProximity(r2, [0.5, 0.618], tol);
  const f3 = fibProximity(r3, [1.618, 2.618], tol);
  const f4 = fibProximity(r4, [0.236, 0.382], tol);
  const f5 = Math.max(fibProximity(r5, [1], tol), fibProximity(r5b, [0.618], tol));
  const fib = (f2 + f3 + f4 + f5) / 4;

  const d1 = p1.index - p0.index, d2 = p2.index - p1.index, d3 = p3.index - p2.index;
  const d4 = p4.index - p3.index, d5 = p5.index - p4.index;
  const t5 = fibProximity(d5 / d1, [0.618, 1, 1.618], tol);
  const tc = rangeProximity((d2 + d4) / (d1 + d3 + d5), 0.25, 1, tol);
  const time = (t5 + tc) / 2;

  const alt = Math.min(
    1,
    Math.max(Math.abs(Math.log(r2 / r4)), Math.abs(Math.log(d2 / d4))) / LN_PHI,
  );
  const score = clamp01(0.6 * fib + 0.2 * time + 0.2 * alt);

  const labels = ["0", "1", "2", "3", "4", "5"];
  const waves = labels.map((label, j) => {
    const p = pivots[s + j];
    return { label, index: p.index, price: p.price, time: p.time };
  });
  const trend = up ? "up" : "down";
  const description = `Impulse ${trend} complete (waves 1-5): W2 = ${fx(r2)} x W1, W3 = ${
    fx(r3)
  } x W1, W4 = ${fx(r4)} x W3, W5 = ${fx(r5)} x W1; ${
    up ? "correction down" : "rebound up"
  } expected, invalid beyond ${priceText(p5.price)} (score ${fx(score)})`;
  return {
    kind: "impulse",
    trend,
    direction: up ? "short" : "long",
    waves,
    score,
    invalidation: p5.price,
    confirmedAt,
    description,
  };
}

/** Clamps to [0, 1]. */
function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Two-decimal formatting for descriptions. */
function fx(x: number): string {
  return x.toFixed(2);
}

/**
 * ABC (zigzag) correction ending at a given pivot: acceptance, score and description. Pure.
 *
 * Accepted when B/A ∈ [.5/(1+rt), .886·(1+rt)] and C/A ∈ [1/(1+rt), 1.618·(1+rt)] (A, B, C are leg
 * lengths in price, rt = rangeTolerance). Score = 0.35·p(B/A; .5, .618, .786) + 0.35·p(C/A; 1, 1.618)
 * + 0.15·p(dC/dA; .618, 1, 1.618) + 0.15·X, with p = fibProximity (fibTolerance) and X the context:
 * a correction should retrace only part of the move before it, so for a down ABC (0 high, A low,
 * B high, C low) X = 1 when C stays above the low before wave 0, 0 when it breaks it (then the move
 * is more likely a new trend than a correction), 0.5 when there is no earlier pivot. Mirrored for up.
 */

import type { ElliottCount, Pivot } from "./types.ts";
import type { ElliottOptions } from "./elliott_options.ts";
import { fibProximity } from "./fibonacci.ts";
import { priceText } from "./price_text.ts";

/**
 * Correction on pivots[end-3..end] (0,A,B,C) or null. A down ABC (ending at a low) implies "long"
 * (resumption of the prior uptrend) with invalidation at C's price; an up ABC implies "short".
 */
export function correctionAt(
  pivots: readonly Pivot[],
  end: number,
  confirmedAt: number,
  opts: ElliottOptions,
): ElliottCount | null {
  const s = end - 3;
  if (s < 0) return null;
  const down = pivots[end].kind === "low";
  const sg = down ? 1 : -1; // mirrored so that a down ABC reads the same as an up one
  for (let i = s; i <= end; i++) {
    const wantHigh = ((i - s) % 2 === 0) === down;
    if ((pivots[i].kind === "high") !== wantHigh) return null;
    if (i > s && !(pivots[i].index > pivots[i - 1].index)) return null;
  }
  const p0 = pivots[s], pa = pivots[s + 1], pb = pivots[s + 2], pc = pivots[s + 3];
  const a = sg * (p0.price - pa.price);
  const b = sg * (pb.price - pa.price);
  const c = sg * (pb.price - pc.price);
  if (!(a > 0 && b > 0 && c > 0)) return null;
  const rt = 1 + opts.rangeTolerance;
  const rb = b / a, rc = c / a;
  if (rb < 0.5 / rt || rb > 0.886 * rt) return null;
  if (rc < 1 / rt || rc > 1.618 * rt) return null;

  const tol = opts.fibTolerance;
  const fb = fibProximity(rb, [0.5, 0.618, 0.786], tol);
  const fc = fibProximity(rc, [1, 1.618], tol);
  const dA = pa.index - p0.index, dC = pc.index - pb.index;
  const ft = fibProximity(dC / dA, [0.618, 1, 1.618], tol);
  let ctx = 0.5;
  if (s >= 1 && pivots[s - 1].kind !== p0.kind) {
    const prior = pivots[s - 1]; // the pivot the move into wave 0 started from
    ctx = sg * (pc.price - prior.price) > 0 ? 1 : 0;
  }
  const score = Math.min(1, Math.max(0, 0.35 * fb + 0.35 * fc + 0.15 * ft + 0.15 * ctx));

  const labels = ["0", "A", "B", "C"];
  const waves = labels.map((label, j) => {
    const p = pivots[s + j];
    return { label, index: p.index, price: p.price, time: p.time };
  });
  const trend = down ? "down" : "up";
  const ctxText = ctx === 1 ? "within the prior trend" : ctx === 0 ? "breaks the prior swing" : "";
  const description =
    `ABC correction ${trend} complete: B = ${rb.toFixed(2)} x A, C = ${rc.toFixed(2)} x A${
      ctxText ? ` (${ctxText})` : ""
    }; ${down ? "uptrend" : "downtrend"} resumption expected, ` +
    `invalid beyond ${priceText(pc.price)} (score ${score.toFixed(2)})`;
  return {
    kind: "correction",
    trend,
    direction: down ? "long" : "short",
    waves,
    score,
    invalidation: pc.price,
    confirmedAt,
    description,
  };
}

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { DEFAULT_ELLIOTT_OPTIONS, findElliott } from "../../shared/patterns/elliott.ts";
import { PivotDetector } from "../../shared/patterns/pivots.ts";
import type { ElliottCount, Pivot } from "../../shared/patterns/types.ts";
import { atr } from "../../shared/indicators/atr.ts";
import { fixtureSeries } from "../support/fixtures.ts";

const S = fixtureSeries("BTCUSDT-1h-2024.json");
const ATR = atr(S.high, S.low, S.close, 14);

interface Found {
  count: ElliottCount;
  pivots: readonly Pivot[];
}

/** Runs the default detector and counter over bars [0, end) and returns every count with its pivots. */
function scan(end: number): Found[] {
  const d = new PivotDetector();
  const out: Found[] = [];
  for (let i = 0; i < end; i++) {
    if (!d.update(i, S.openTime[i], S.high[i], S.low[i], ATR[i])) continue;
    const count = findElliott(d.pivots, i);
    if (count) out.push({ count, pivots: d.pivots });
  }
  return out;
}

const ALL = scan(S.length);

Deno.test("BTCUSDT 1h 2024 with defaults yields both impulses and corrections", () => {
  const impulses = ALL.filter((f) => f.count.kind === "impulse").length;
  const corrections = ALL.length - impulses;
  ok(impulses >= 5, `${impulses} impulses`);
  ok(corrections >= 5, `${corrections} corrections`);
});

Deno.test("every real count ends at the pivot confirmed at its bar and obeys the hard rules", () => {
  for (const { count: c, pivots } of ALL) {
    const n = c.kind === "impulse" ? 6 : 4;
    const lastN = pivots.slice(-n);
    deepStrictEqual(
      c.waves.map((w) => [w.index, w.price, w.time]),
      lastN.map((p) => [p.index, p.price, p.time]),
    );
    strictEqual(lastN[n - 1].confirmedAt, c.confirmedAt);
    strictEqual(c.invalidation, lastN[n - 1].price);
    ok(c.score >= DEFAULT_ELLIOTT_OPTIONS.minScore && c.score <= 1);
    const endsHigh = lastN[n - 1].kind === "high";
    strictEqual(c.trend, endsHigh ? "up" : "down");
    strictEqual(c.direction, endsHigh ? "short" : "long");
    const sg = endsHigh ? 1 : -1;
    const p = lastN.map((x) => sg * x.price);
    if (c.kind === "impulse") {
      ok(p[2] > p[0], "wave 2 stays above wave 0");
      const w1 = p[1] - p[0], w3 = p[3] - p[2], w5 = p[5] - p[4];
      ok(!(w3 < w1 && w3 < w5), "wave 3 is not the shortest");
      ok(p[4] > p[1], "wave 4 stays out of wave 1");
      ok(p[5] > p[3], "wave 5 passes wave 3");
    } else {
      const a = p[1] - p[0], b = p[1] - p[2], c2 = p[3] - p[2];
      ok(a > 0 && b / a >= 0.5 / 1.05 && b / a <= 0.886 * 1.05, `B/A ${b / a}`);
      ok(c2 / a >= 1 / 1.05 && c2 / a <= 1.618 * 1.05, `C/A ${c2 / a}`);
    }
  }
});

Deno.test("counts seen on candles[0..t] are exactly the full run's counts confirmed by t", () => {
  for (const t of [500, 2000, 4000, 6500, 8000]) {
    const prefix = scan(t + 1).map((f) => f.count);
    deepStrictEqual(prefix, ALL.map((f) => f.count).filter((c) => c.confirmedAt <= t), `t = ${t}`);
  }
});

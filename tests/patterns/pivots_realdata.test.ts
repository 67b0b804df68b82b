import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { PivotDetector, type PivotOptions } from "../../shared/patterns/pivots.ts";
import type { Pivot } from "../../shared/patterns/types.ts";
import { atr } from "../../shared/indicators/atr.ts";
import { fixtureSeries } from "../support/fixtures.ts";

const S = fixtureSeries("BTCUSDT-1h-2024.json");
const N = S.length;
const ATR = atr(S.high, S.low, S.close, 14);

/** Runs a detector over bars [from, to) and returns it with the bars where the list changed. */
function feed(d: PivotDetector, from: number, to: number, changed: number[] = []): PivotDetector {
  for (let i = from; i < to; i++) {
    if (d.update(i, S.openTime[i], S.high[i], S.low[i], ATR[i])) changed.push(i);
  }
  return d;
}

const ZIGZAG: Partial<PivotOptions> = { mode: "zigzag" };
const FRACTAL: Partial<PivotOptions> = { mode: "fractal" };
const CUTS = Array.from({ length: 60 }, (_, j) => Math.floor(((j + 0.5) / 60) * N));
CUTS.push(0, 1, 14, 15, 16, 20, N - 1);

function checkBasics(ps: readonly Pivot[], k?: number): void {
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    ok(p.confirmedAt >= p.index, `confirmedAt ${p.confirmedAt} < index ${p.index}`);
    if (k !== undefined) strictEqual(p.confirmedAt, p.index + k);
    strictEqual(p.price, p.kind === "high" ? S.high[p.index] : S.low[p.index]);
    strictEqual(p.time, S.openTime[p.index]);
    if (i > 0) {
      ok(p.kind !== ps[i - 1].kind, `two ${p.kind}s in a row at ${p.index}`);
      ok(p.index > ps[i - 1].index && p.confirmedAt >= ps[i - 1].confirmedAt);
    }
  }
}

Deno.test("zigzag on BTCUSDT 1h: prices are the bars' extremes, confirmed later, alternating", () => {
  const ps = feed(new PivotDetector({ ...ZIGZAG, maxPivots: 100_000 }), 0, N).pivots;
  ok(ps.length > 300, `only ${ps.length} pivots`);
  checkBasics(ps);
  for (let i = 1; i < ps.length; i++) {
    const a = ps[i - 1], b = ps[i];
    ok(b.confirmedAt > b.index, "a zigzag pivot is never confirmed on its own bar");
    ok(b.kind === "high" ? b.price > a.price : b.price < a.price);
    // Each pivot is the extreme of its leg, and the leg is at least zigzagAtr x ATR long.
    for (let j = a.index + 1; j <= b.index; j++) {
      if (b.kind === "high") ok(S.high[j] <= b.price);
      else ok(S.low[j] >= b.price);
    }
    ok(Math.abs(b.price - a.price) >= 2.5 * ATR[a.confirmedAt] - 1e-9);
  }
});

Deno.test("zigzag on BTCUSDT 1h: a run on candles[0..t] equals the full run's pivots confirmed by t", () => {
  const full = feed(new PivotDetector({ ...ZIGZAG, maxPivots: 100_000 }), 0, N).pivots;
  for (const t of CUTS) {
    const expected = full.filter((p) => p.confirmedAt <= t);
    const big = feed(new PivotDetector({ ...ZIGZAG, maxPivots: 100_000 }), 0, t + 1).pivots;
    deepStrictEqual(big, expected, `t = ${t}`);
    const small = feed(new PivotDetector(ZIGZAG), 0, t + 1).pivots;
    deepStrictEqual(small, expected.slice(-16), `t = ${t} (maxPivots 16)`);
  }
});

/** Fractal pivots straight from the definition (full arrays), then the alternation rule. */
function referenceFractal(end: number, k: number): Pivot[] {
  const out: Pivot[] = [];
  for (let i = k; i + k < end; i++) {
    let isHigh = true, isLow = true;
    for (let j = i - k; j <= i + k; j++) {
      if (j === i) continue;
      if (j < i ? S.high[j] >= S.high[i] : S.high[j] > S.high[i]) isHigh = false;
      if (j < i ? S.low[j] <= S.low[i] : S.low[j] < S.low[i]) isLow = false;
    }
    if (!isHigh && !isLow) continue;
    const last = out.at(-1);
    const kind = isHigh && isLow
      ? (last?.kind === "high" ? "low" : "high")
      : isHigh
      ? "high"
      : "low";
    const price = kind === "high" ? S.high[i] : S.low[i];
    const p: Pivot = { kind, index: i, confirmedAt: i + k, price, time: S.openTime[i] };
    if (!last || last.kind !== kind) out.push(p);
    else if (kind === "high" ? price > last.price : price < last.price) out[out.length - 1] = p;
  }
  return out;
}

Deno.test("fractal on BTCUSDT 1h matches the definition on every prefix checked", () => {
  const full = feed(new PivotDetector({ ...FRACTAL, maxPivots: 100_000 }), 0, N).pivots;
  ok(full.length > 300, `only ${full.length} pivots`);
  checkBasics(full, 5);
  deepStrictEqual(full, referenceFractal(N, 5));
  for (const t of CUTS) {
    const expected = referenceFractal(t + 1, 5);
    deepStrictEqual(
      feed(new PivotDetector({ ...FRACTAL, maxPivots: 100_000 }), 0, t + 1).pivots,
      expected,
    );
    deepStrictEqual(feed(new PivotDetector(FRACTAL), 0, t + 1).pivots, expected.slice(-16));
  }
});

Deno.test("fractal on BTCUSDT 1h: a prefix run shows the full run's history as of t, replacements included", () => {
  // Prefix invariance with replacement: every pivot shown at t stays until a newer one (confirmed
  // later than t) replaces it; what a prefix run shows is the full history as of t.
  const history: { p: Pivot; until: number }[] = [];
  const d = new PivotDetector({ ...FRACTAL, maxPivots: 100_000 });
  for (let i = 0; i < N; i++) {
    const before = d.pivots;
    if (!d.update(i, S.openTime[i], S.high[i], S.low[i], NaN)) continue;
    const after = d.pivots;
    if (after.length === before.length) history[history.length - 1].until = i;
    history.push({ p: after[after.length - 1], until: Infinity });
  }
  for (const t of CUTS) {
    const visible = history.filter((h) => h.p.confirmedAt <= t && h.until > t).map((h) => h.p);
    deepStrictEqual(
      feed(new PivotDetector({ ...FRACTAL, maxPivots: 100_000 }), 0, t + 1).pivots,
      visible,
    );
  }
});

for (const [name, opts] of [["zigzag", ZIGZAG], ["fractal", FRACTAL]] as const) {
  Deno.test(`${name} state survives JSON round trips and continues identically`, () => {
    const ref: number[] = [];
    const refDet = feed(new PivotDetector(opts), 0, N, ref);
    for (const cut of [0, 5, 14, 15, 40, 1000, 4321, N - 2]) {
      const a = feed(new PivotDetector(opts), 0, cut + 1);
      const json = JSON.stringify(a.toState());
      ok(json.length < 4000, `state is ${json.length} chars`);
      ok(!json.includes("NaN") && !json.includes("Infinity"));
      const b = PivotDetector.fromState(JSON.parse(json), opts);
      deepStrictEqual(b.pivots, a.pivots);
      deepStrictEqual(JSON.parse(JSON.stringify(b.toState())), JSON.parse(json));
      const changed: number[] = [];
      feed(b, cut + 1, N, changed);
      deepStrictEqual(changed, ref.filter((i) => i > cut), `cut ${cut}`);
      deepStrictEqual(b.pivots, refDet.pivots, `cut ${cut}`);
    }
  });
}

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  DEFAULT_ELLIOTT_OPTIONS,
  type ElliottOptions,
  findElliott,
  resolveElliottOptions,
} from "../../shared/patterns/elliott.ts";
import { PivotDetector } from "../../shared/patterns/pivots.ts";
import type { ElliottCount, Pivot } from "../../shared/patterns/types.ts";

/** Alternating pivots from [index, price] points, the first of kind `first`, confirmed `lag` bars later. */
function pivotsOf(first: "high" | "low", points: [number, number][], lag = 3): Pivot[] {
  return points.map(([index, price], j) => ({
    kind: (j % 2 === 0) === (first === "high") ? "high" : "low",
    index,
    confirmedAt: index + lag,
    price,
    time: 1_700_000_000_000 + index * 3_600_000,
  }));
}

const W4 = 0.382 * 161.8; // wave 4 = .382 of wave 3
/** Textbook up impulse: W1 100, W2 .618, W3 1.618, W4 .382 of W3, W5 = W1; durations 10,5,16,10,10. */
const UP: [number, number][] = [
  [0, 1000],
  [10, 1100],
  [15, 1038.2],
  [31, 1200],
  [41, 1200 - W4],
  [51, 1300 - W4],
];
const ONLY_IMPULSE: ElliottOptions = { ...DEFAULT_ELLIOTT_OPTIONS, correction: false, minScore: 0 };
const ONLY_ABC: ElliottOptions = { ...DEFAULT_ELLIOTT_OPTIONS, impulse: false, minScore: 0 };

function last(ps: Pivot[]): number {
  return ps[ps.length - 1].confirmedAt;
}

Deno.test("a textbook up impulse is counted with its six labelled wave ends and implies short", () => {
  const ps = pivotsOf("low", UP);
  const c = findElliott(ps, last(ps));
  ok(c);
  strictEqual(c.kind, "impulse");
  strictEqual(c.trend, "up");
  strictEqual(c.direction, "short");
  deepStrictEqual(
    c.waves.map((w) => [w.label, w.index, w.price, w.time]),
    ps.map((p, j) => [String(j), p.index, p.price, p.time]),
  );
  strictEqual(c.invalidation, ps[5].price);
  strictEqual(c.confirmedAt, 54);
  ok(c.score > 0.99, `score ${c.score}`);
  ok(c.description.includes("W3 = 1.62 x W1"), c.description);
  ok(c.description.includes("W4 = 0.38 x W3"), c.description);
});

Deno.test("a mirrored down impulse implies long with wave 5's low as invalidation", () => {
  const ps = pivotsOf("high", UP.map(([i, p]) => [i, 3000 - p]));
  const c = findElliott(ps, last(ps));
  ok(c);
  strictEqual(c.kind, "impulse");
  strictEqual(c.trend, "down");
  strictEqual(c.direction, "long");
  strictEqual(c.invalidation, 3000 - UP[5][1]);
  ok(c.score > 0.99);
});

Deno.test("an impulse is rejected when wave 2 retraces beyond wave 1's start", () => {
  const pts = UP.map(([i, p]) => [i, p] as [number, number]);
  pts[2][1] = 995; // below wave 0 at 1000; wave 4 still above wave 1, wave 3 still longest
  const ps = pivotsOf("low", pts);
  strictEqual(findElliott(ps, last(ps), ONLY_IMPULSE), null);
  pts[2][1] = 1001;
  ok(
    findElliott(pivotsOf("low", pts), last(ps), ONLY_IMPULSE),
    "control: just above wave 0 passes",
  );
});

Deno.test("an impulse is rejected when wave 3 is the shortest of waves 1, 3 and 5", () => {
  // W1 = 100, W3 = 90, W5 = 130; wave 2 and wave 4 rules hold.
  const pts: [number, number][] = [[0, 1000], [10, 1100], [15, 1050], [25, 1140], [30, 1110], [
    40,
    1240,
  ]];
  strictEqual(findElliott(pivotsOf("low", pts), 43, ONLY_IMPULSE), null);
  pts[3][1] = 1160, pts[4][1] = 1130; // W3 = 110 = W5: tied, so not the shortest
  ok(findElliott(pivotsOf("low", pts), 43, ONLY_IMPULSE), "control: W3 not the shortest passes");
});

Deno.test("an impulse is rejected when wave 4 enters wave 1's price territory", () => {
  const pts = UP.map(([i, p]) => [i, p] as [number, number]);
  pts[4][1] = 1090; // below wave 1's end at 1100
  strictEqual(findElliott(pivotsOf("low", pts), 54, ONLY_IMPULSE), null);
  pts[4][1] = 1101;
  ok(findElliott(pivotsOf("low", pts), 54, ONLY_IMPULSE), "control: just above wave 1 passes");
});

Deno.test("an impulse whose wave 5 fails to pass wave 3 is rejected unless truncation is allowed", () => {
  const pts = UP.map(([i, p]) => [i, p] as [number, number]);
  pts[5][1] = 1190; // truncated fifth below wave 3's 1200
  strictEqual(findElliott(pivotsOf("low", pts), 54, ONLY_IMPULSE), null);
  ok(findElliott(pivotsOf("low", pts), 54, { ...ONLY_IMPULSE, allowTruncatedFifth: true }));
});

// Down ABC: prior low 900, 0 = 1100, A = 1000 (A = 100), B = 1061.8 (.618), C = 961.8 (C = A).
const ABC_DOWN: [number, number][] = [[0, 900], [20, 1100], [30, 1000], [36, 1061.8], [46, 961.8]];

Deno.test("a down ABC correction is counted, implies long and is invalid below C", () => {
  const ps = pivotsOf("low", ABC_DOWN);
  const c = findElliott(ps, last(ps), { ...DEFAULT_ELLIOTT_OPTIONS, impulse: false });
  ok(c);
  strictEqual(c.kind, "correction");
  strictEqual(c.trend, "down");
  strictEqual(c.direction, "long");
  deepStrictEqual(c.waves.map((w) => [w.label, w.index, w.price]), [
    ["0", 20, 1100],
    ["A", 30, 1000],
    ["B", 36, 1061.8],
    ["C", 46, 961.8],
  ]);
  strictEqual(c.invalidation, 961.8);
  ok(c.score > 0.99, `score ${c.score}`);
  ok(c.description.includes("B = 0.62 x A, C = 1.00 x A"), c.description);
});

Deno.test("an up ABC correction implies short and is invalid above C", () => {
  const ps = pivotsOf("high", ABC_DOWN.map(([i, p]) => [i, 2000 - p]));
  const c = findElliott(ps, last(ps), ONLY_ABC);
  ok(c);
  strictEqual(c.trend, "up");
  strictEqual(c.direction, "short");
  strictEqual(c.invalidation, 2000 - 961.8);
});

Deno.test("an ABC is rejected when B retraces too little or C overshoots 1.618 x A", () => {
  const shallowB = ABC_DOWN.map(([i, p]) => [i, p] as [number, number]);
  shallowB[3][1] = 1030, shallowB[4][1] = 930; // B = .3 of A
  strictEqual(findElliott(pivotsOf("low", shallowB), 49, ONLY_ABC), null);
  const deepB = ABC_DOWN.map(([i, p]) => [i, p] as [number, number]);
  deepB[3][1] = 1095, deepB[4][1] = 990; // B = .95 of A
  strictEqual(findElliott(pivotsOf("low", deepB), 49, ONLY_ABC), null);
  const longC = ABC_DOWN.map(([i, p]) => [i, p] as [number, number]);
  longC[4][1] = 1061.8 - 200; // C = 2 x A
  strictEqual(findElliott(pivotsOf("low", longC), 49, ONLY_ABC), null);
  const shortC = ABC_DOWN.map(([i, p]) => [i, p] as [number, number]);
  shortC[4][1] = 1061.8 - 80; // C = .8 x A (does not pass A)
  strictEqual(findElliott(pivotsOf("low", shortC), 49, ONLY_ABC), null);
});

Deno.test("an ABC that breaks the swing before it scores lower than one inside the prior trend", () => {
  const inside = findElliott(pivotsOf("low", ABC_DOWN), 49, ONLY_ABC);
  const broken = findElliott(pivotsOf("low", [[0, 970], ...ABC_DOWN.slice(1)]), 49, ONLY_ABC);
  const unknown = findElliott(pivotsOf("high", ABC_DOWN.slice(1)), 49, ONLY_ABC);
  ok(inside && broken && unknown);
  ok(inside.score > unknown.score && unknown.score > broken.score);
  ok(broken.description.includes("breaks the prior swing"));
});

Deno.test("when an impulse and an ABC both end at the latest pivot, the higher score is returned", () => {
  // The last four pivots also form an up ABC: A = 100, B = .49 of A, C = 1.0 of A.
  const ps = pivotsOf("low", [[0, 1000], [10, 1100], [15, 1050], [25, 1150], [30, 1101], [
    40,
    1201,
  ]]);
  const imp = findElliott(ps, 43, ONLY_IMPULSE);
  const abc = findElliott(ps, 43, ONLY_ABC);
  ok(imp && abc);
  strictEqual(imp.kind, "impulse");
  strictEqual(abc.kind, "correction");
  const best = findElliott(ps, 43, { ...DEFAULT_ELLIOTT_OPTIONS, minScore: 0 });
  deepStrictEqual(best, imp.score >= abc.score ? imp : abc);
  ok(imp.score !== abc.score);
});

Deno.test("a count is reported only at its last pivot's confirmation bar and never uses later pivots", () => {
  const ps = pivotsOf("low", UP);
  ok(findElliott(ps, 54));
  strictEqual(findElliott(ps, 55), null); // already reported at bar 54
  strictEqual(findElliott(ps, 53), null); // wave 5 is not confirmed yet at bar 53
  // A pivot confirmed after the asked bar is ignored entirely.
  const future: Pivot = { kind: "low", index: 60, confirmedAt: 70, price: 1150, time: 0 };
  deepStrictEqual(findElliott([...ps, future], 54), findElliott(ps, 54));
});

Deno.test("scores below minScore are not reported", () => {
  const pts = UP.map(([i, p]) => [i, p] as [number, number]);
  pts[2][1] = 1090, pts[4][1] = 1195; // shallow waves 2 and 4, far from the Fibonacci targets
  const ps = pivotsOf("low", pts);
  const c = findElliott(ps, 54, ONLY_IMPULSE);
  ok(c && c.score < 0.5, `score ${c?.score}`);
  strictEqual(findElliott(ps, 54, { ...ONLY_IMPULSE, minScore: 0.5 }), null);
});

Deno.test("invalid Elliott options fail with a message naming the option", () => {
  throws(() => resolveElliottOptions({ minScore: 2 }), /minScore/);
  throws(() => resolveElliottOptions({ fibTolerance: 0 }), /fibTolerance/);
  throws(() => resolveElliottOptions({ impulse: "yes" as unknown as boolean }), /impulse/);
  deepStrictEqual(resolveElliottOptions({}), { ...DEFAULT_ELLIOTT_OPTIONS });
});

/** Bars that walk linearly between the points (each bar spans from the previous price to its own). */
function candlesThrough(points: [number, number][]): { high: number[]; low: number[] } {
  const mid: number[] = [points[0][1]];
  for (let j = 1; j < points.length; j++) {
    const [i0, a] = points[j - 1], [i1, b] = points[j];
    for (let i = i0 + 1; i <= i1; i++) mid.push(i === i1 ? b : a + (b - a) * (i - i0) / (i1 - i0));
  }
  const high = mid.map((m, i) => Math.max(m, mid[Math.max(0, i - 1)]));
  const low = mid.map((m, i) => Math.min(m, mid[Math.max(0, i - 1)]));
  return { high, low };
}

Deno.test("the detector plus counter find a textbook impulse drawn as candles, once, at wave 5's confirmation", () => {
  // A lead-in from 1040 (so wave 0 has bars on its left for the fractal window), then a drop after 5.
  const shifted = UP.map(([i, p]) => [i + 10, p] as [number, number]);
  const { high, low } = candlesThrough([[0, 1040], ...shifted, [71, 1150]]);
  for (const mode of ["zigzag", "fractal"] as const) {
    const d = new PivotDetector({ mode, zigzagAtr: 2.5, fractalWindow: 3 });
    const counts: ElliottCount[] = [];
    for (let i = 0; i < high.length; i++) {
      if (!d.update(i, i * 60_000, high[i], low[i], 10)) continue;
      const c = findElliott(d.pivots, i);
      if (c) counts.push(c);
    }
    const impulses = counts.filter((c) => c.kind === "impulse");
    strictEqual(impulses.length, 1, mode);
    const c = impulses[0];
    deepStrictEqual(c.waves.map((w) => [w.index, w.price]), shifted, mode);
    deepStrictEqual(c.waves.map((w) => w.label), ["0", "1", "2", "3", "4", "5"]);
    strictEqual(c.direction, "short");
    // Wave 5 tops at bar 61; zigzag: the low first 25 (2.5 ATR) below it is bar 64's; fractal: 61 + 3.
    strictEqual(c.confirmedAt, 64, mode);
    ok(c.score > 0.99, `${mode} score ${c.score}`);
  }
});

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("a flat market and a noisy range give no count", () => {
  // Flat: every bar identical, ATR 0 (zigzag ignores it) and no strict fractal extreme.
  for (const mode of ["zigzag", "fractal"] as const) {
    const d = new PivotDetector({ mode });
    for (let i = 0; i < 2000; i++) d.update(i, i, 100, 100, 0);
    strictEqual(d.pivots.length, 0, mode);
  }
  // Noise: closes scattered within ±0.5 of 100 and wicks up to 1: the zigzag still finds swings
  // (of about 2.5 ATR), but they do not line up into Elliott structures.
  const r = rng(42);
  const d = new PivotDetector({ mode: "zigzag", maxPivots: 100_000 });
  let prevClose = 100, atr = NaN, counts = 0;
  for (let i = 0; i < 20_000; i++) {
    const close = 100 + (r() - 0.5);
    const high = Math.max(close, prevClose) + r(), low = Math.min(close, prevClose) - r();
    const tr = Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));
    atr = i < 14 ? (Number.isNaN(atr) ? tr : atr + (tr - atr) / (i + 1)) : atr + (tr - atr) / 14;
    prevClose = close;
    if (d.update(i, i, high, low, i < 14 ? NaN : atr) && findElliott(d.pivots, i)) counts++;
  }
  ok(d.pivots.length > 50, `only ${d.pivots.length} pivots`);
  strictEqual(counts, 0);
});

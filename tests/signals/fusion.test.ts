/** Fusion rules on hand-made method opinions. */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { IndicatorFrame } from "../../shared/indicators/set.ts";
import type { ElliottCount, WyckoffEvent } from "../../shared/patterns/types.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { fuse, type FusionInput } from "../../shared/signals/fusion.ts";

/** Indicators that pass every long check for close = 105. */
const bullish: IndicatorFrame = {
  rsi14: 55,
  ema20: 100,
  ema50: 98,
  ema200: 90,
  macd: 1,
  macdSignal: 0.5,
  macdHist: 0.5,
  atr14: 2,
  bbUpper: 110,
  bbMiddle: 100,
  bbLower: 90,
  vwap: 101,
  volumeAvg20: 1000,
};
/** Indicators that pass no long check (and every short check but RSI's room) for close = 105. */
const bearish: IndicatorFrame = {
  ...bullish,
  macdHist: -1,
  ema20: 108,
  ema50: 90,
  ema200: 95,
  vwap: 109,
  bbUpper: 104,
  bbLower: 104,
  rsi14: 80,
};

const spring: WyckoffEvent = {
  kind: "spring",
  index: 50,
  time: 0,
  level: 100,
  strength: 0.8,
  volumeRatio: 2,
  direction: "long",
  description: "Spring below 100 on 2.0x volume",
};
const impulseDone: ElliottCount = {
  kind: "correction",
  trend: "down",
  direction: "long",
  waves: [],
  score: 0.7,
  invalidation: 95,
  confirmedAt: 48,
  description: "ABC down complete",
};

function input(over: Partial<FusionInput>): FusionInput {
  return {
    index: 50,
    time: 1_700_000_000_000,
    close: 105,
    atr: 2,
    frame: bullish,
    elliott: null,
    wyckoff: [],
    phase: "accumulation",
    ...over,
  };
}

const config = parseAnalyzerConfig({});

Deno.test("no pattern, no signal (indicators alone never fire)", () => {
  assertEquals(fuse(input({}), config), null);
});

Deno.test("a spring confirmed by indicators gives a long with ATR levels", () => {
  const s = fuse(input({ wyckoff: [spring] }), parseAnalyzerConfig({ minConfidence: 0 }));
  assert(s);
  assertEquals(s.direction, "long");
  assertEquals(s.entry, 105);
  assertEquals(s.stopLoss, 101);
  assertEquals(s.takeProfits, [113, 117, 121]);
  assertEquals(s.riskReward, 2);
  // weighted mean (0.4*0.8 + 0.2*1) / 0.6 = 0.8667; coverage 0.6 + 0.4 * 0.6 / 1.0 = 0.84
  assert(Math.abs(s.confidence - (0.52 / 0.6) * 0.84) < 1e-12, String(s.confidence));
  const shares = s.contributions.map((c) => c.share);
  assert(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert(s.rationale.includes("Wyckoff") && s.rationale.includes("Indicators"));
});

Deno.test("a single pattern without indicator confirmation is not enough", () => {
  assertEquals(fuse(input({ wyckoff: [spring], frame: bearish }), config), null);
});

Deno.test("patterns that disagree cancel out", () => {
  const short = { ...impulseDone, direction: "short" as const, invalidation: 110 };
  assertEquals(
    fuse(input({ wyckoff: [spring], elliott: short }), parseAnalyzerConfig({ minConfidence: 0 })),
    null,
  );
});

Deno.test("all three methods agreeing get the agreement boost, capped at 1", () => {
  const s = fuse(input({ wyckoff: [spring], elliott: impulseDone }), config);
  assert(s);
  const mean = (0.4 * 0.8 + 0.4 * 0.7 + 0.2 * 1) / 1.0;
  assert(Math.abs(s.confidence - Math.min(1, mean * 1.2)) < 1e-12);
  assertEquals(s.contributions.map((c) => c.method), ["wyckoff", "elliott", "indicators"]);
});

Deno.test("a short mirrors the levels", () => {
  const upthrust: WyckoffEvent = { ...spring, kind: "upthrust", direction: "short" };
  const s = fuse(
    input({ wyckoff: [upthrust], frame: bearish }),
    parseAnalyzerConfig({ minConfidence: 0, minAgreeing: 1 }),
  );
  assert(s);
  assertEquals(s.direction, "short");
  assertEquals(s.stopLoss, 109);
  assertEquals(s.takeProfits, [97, 93, 89]);
});

Deno.test("minimum confidence filters weak setups", () => {
  const weak = { ...spring, strength: 0.2 };
  assertEquals(fuse(input({ wyckoff: [weak] }), config), null);
});

Deno.test("a disabled method neither votes nor weighs", () => {
  const c = parseAnalyzerConfig({ methods: { wyckoff: false }, minConfidence: 0 });
  assertEquals(fuse(input({ wyckoff: [spring] }), c), null);
  const s = fuse(input({ wyckoff: [spring], elliott: impulseDone }), c);
  assert(s);
  assertEquals(s.contributions.map((x) => x.method), ["elliott", "indicators"]);
});

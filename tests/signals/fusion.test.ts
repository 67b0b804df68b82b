/** Fusion rules on hand-made method opinions. */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { IndicatorFrame } from "../../shared/indicators/set.ts";
import type { ElliottCount, WyckoffEvent } from "../../shared/patterns/types.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { fuse, type FusionInput } from "../../shared/signals/fusion.ts";
import {
  parseCalibrationModel,
  type SetupFeatures,
  tp1Probability,
} from "../../shared/signals/calibration.ts";

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
  extreme: 99,
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

/** The original fusion rules: heuristic score, ATR stops, no trend filter. */
const LEGACY = { confidence: "score", stopMode: "atr", trendFilter: "off", minConfidence: 0.6 };
const config = parseAnalyzerConfig(LEGACY);

Deno.test("no pattern, no signal (indicators alone never fire)", () => {
  assertEquals(fuse(input({}), config), null);
});

Deno.test("a spring confirmed by indicators gives a long with ATR levels", () => {
  const s = fuse(
    input({ wyckoff: [spring] }),
    parseAnalyzerConfig({ ...LEGACY, minConfidence: 0 }),
  );
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
    fuse(
      input({ wyckoff: [spring], elliott: short }),
      parseAnalyzerConfig({ ...LEGACY, minConfidence: 0 }),
    ),
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
    parseAnalyzerConfig({ ...LEGACY, minConfidence: 0, minAgreeing: 1 }),
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
  const c = parseAnalyzerConfig({ ...LEGACY, methods: { wyckoff: false }, minConfidence: 0 });
  assertEquals(fuse(input({ wyckoff: [spring] }), c), null);
  const s = fuse(input({ wyckoff: [spring], elliott: impulseDone }), c);
  assert(s);
  assertEquals(s.contributions.map((x) => x.method), ["elliott", "indicators"]);
});

Deno.test("trend filter: a long needs the higher-timeframe trend up (htf) or EMA50 > EMA200 (ema)", () => {
  const htf = parseAnalyzerConfig({ ...LEGACY, minConfidence: 0, trendFilter: "htf" });
  assertEquals(fuse(input({ wyckoff: [spring], htfTrend: -1 }), htf), null);
  assertEquals(fuse(input({ wyckoff: [spring], htfTrend: 0 }), htf), null);
  assert(fuse(input({ wyckoff: [spring], htfTrend: 1 }), htf));
  const ema = parseAnalyzerConfig({ ...LEGACY, minConfidence: 0, trendFilter: "ema" });
  assert(fuse(input({ wyckoff: [spring] }), ema)); // bullish frame: EMA50 98 > EMA200 90
  const down = { ...bullish, ema50: 85 };
  assertEquals(fuse(input({ wyckoff: [spring], frame: down }), ema), null);
});

const STRUCT = { ...LEGACY, minConfidence: 0, stopMode: "structure" };

Deno.test("structural stops: beyond the spring's low, the Elliott invalidation, clamped in ATRs", () => {
  // close 105, ATR 2; spring low 99 → 6 below + 0.25 ATR buffer = 6.5 → stop 98.5
  const s = fuse(input({ wyckoff: [spring] }), parseAnalyzerConfig(STRUCT));
  assert(s);
  assertEquals(s.stopLoss, 98.5);
  assertEquals(s.riskReward, 8 / 6.5); // TP1 stays 4 ATR = 8 away
  // With an ABC (invalid below 98) agreeing, the farther level counts: 7 + 0.5 = 7.5 (< 4 ATR).
  const abc = { ...impulseDone, invalidation: 98 };
  const both = fuse(input({ wyckoff: [spring], elliott: abc }), parseAnalyzerConfig(STRUCT));
  assertEquals(both?.stopLoss, 97.5);
  // Farther than stopMaxAtr (4 ATR = 8): clamped to 8.
  const far = fuse(
    input({ wyckoff: [{ ...spring, extreme: 80 }] }),
    parseAnalyzerConfig(STRUCT),
  );
  assertEquals(far?.stopLoss, 97);
  // Nearer than stopMinAtr (1 ATR = 2): widened to 2.
  const near = fuse(
    input({ wyckoff: [{ ...spring, extreme: 104.9 }] }),
    parseAnalyzerConfig({ ...STRUCT, stopBufferAtr: 0 }),
  );
  assertEquals(near?.stopLoss, 103);
  // stopMinPct widens any stop to that share of the entry: 10 % of 105 = 10.5.
  const pct = fuse(
    input({ wyckoff: [spring] }),
    parseAnalyzerConfig({ ...STRUCT, stopMinPct: 10 }),
  );
  assertEquals(pct?.stopLoss, 94.5);
});

Deno.test("structural stops for breakouts sit beyond the broken range edge; shorts mirror", () => {
  const sos: WyckoffEvent = { ...spring, kind: "sos", level: 102, extreme: 101 };
  const s = fuse(input({ wyckoff: [sos] }), parseAnalyzerConfig(STRUCT));
  assertEquals(s?.stopLoss, 102 - 0.5); // level 102, buffer 0.25 × 2
  const upthrust: WyckoffEvent = {
    ...spring,
    kind: "upthrust",
    direction: "short",
    level: 106,
    extreme: 108,
  };
  const u = fuse(
    input({ wyckoff: [upthrust], frame: bearish }),
    parseAnalyzerConfig({ ...STRUCT, minAgreeing: 1 }),
  );
  assertEquals(u?.direction, "short");
  assertEquals(u?.stopLoss, 108.5);
});

Deno.test("minimum reward-to-risk drops setups whose structural stop is too far", () => {
  const c = parseAnalyzerConfig({ ...STRUCT, minRiskReward: 1.5 });
  assertEquals(fuse(input({ wyckoff: [spring] }), c), null); // 8 / 6.5 = 1.23
  assert(fuse(input({ wyckoff: [{ ...spring, extreme: 103 }] }), c)); // 8 / 2.5 = 3.2
});

Deno.test("probability confidence is the calibration model applied to the evidence's features", () => {
  const model = parseCalibrationModel({
    id: "test-model",
    target: "test",
    fittedOn: { period: "x", datasets: [], setups: 10, tp1Rate: 0.4 },
    features: ["logRiskReward", "indicatorShare"],
    center: [0.5, 0.7],
    scale: [0.5, 0.1],
    coefficients: [-0.8, 0.3],
    intercept: -0.4,
    setups: { spring: { n: 212, tp1Rate: 0.46, avgR: 0.21 } },
  });
  const c = parseAnalyzerConfig({ ...STRUCT, confidence: "probability" });
  const s = fuse(input({ wyckoff: [spring] }), c, model);
  assert(s?.evidence);
  const f = s.evidence.features;
  assertEquals(f.logRiskReward, Math.log(8 / 6.5));
  assertEquals(f.indicatorShare, 1);
  const z = -0.4 - 0.8 * (f.logRiskReward - 0.5) / 0.5 + 0.3 * (1 - 0.7) / 0.1;
  assert(Math.abs(s.confidence - 1 / (1 + Math.exp(-z))) < 1e-15);
  assertEquals(s.confidence, tp1Probability(model, f as SetupFeatures));
  assertEquals(s.evidence.setup, "spring");
  assertEquals(s.evidence.model, "test-model");
  assertEquals(s.evidence.train, { n: 212, tp1Rate: 0.46, avgR: 0.21 });
  // minConfidence filters on that probability.
  assertEquals(
    fuse(input({ wyckoff: [spring] }), { ...c, minConfidence: s.confidence + 1e-9 }, model),
    null,
  );
  // A class the model has no record of says so (n = 0).
  const abc = fuse(input({ elliott: impulseDone }), { ...c, minAgreeing: 2 }, model);
  assertEquals(abc?.evidence?.setup, "abc-long");
  assertEquals(abc?.evidence?.train, { n: 0, tp1Rate: null, avgR: null });
});

/**
 * Calibrated confidence: the bundled model is valid and was fitted on the train period only; every
 * signal of the default settings carries its evidence, and its confidence is the model's
 * probability of the features in that evidence; bad model files are refused naming the field.
 */

import {
  deepEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import {
  BUNDLED_CALIBRATION,
  CalibrationError,
  FEATURE_NAMES,
  isotonicAt,
  logisticProbability,
  parseCalibrationModel,
  type SetupFeatures,
  tp1Probability,
} from "../../shared/signals/calibration.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

Deno.test("the bundled model is valid and was fitted before the validation period", () => {
  const m = BUNDLED_CALIBRATION;
  assertEquals(m.id, "tp1-logistic-v3");
  const end = m.fittedOn.period.split("..")[1];
  assert(end <= "2023-12-31", `fitted up to ${end}: the protocol's train period ends 2023-12-31`);
  assert(m.fittedOn.setups > 500, `${m.fittedOn.setups} setups`);
  assert(Object.keys(m.setups).length >= 4);
  for (const r of Object.values(m.setups)) assert(r.n > 0);
});

for (
  const name of ["BTCUSDT-1h-2024.json", "ETHUSDT-1h-2024H1.json", "BTCUSDT-4h-2023-2024.json"]
) {
  Deno.test(`every default signal carries evidence and its confidence is the model's probability (${name})`, () => {
    const signals = analyzeSeries(fixtureSeries(name));
    assert(signals.length > 10, `${signals.length} signals`);
    for (const s of signals) {
      const e = s.evidence;
      assert(e, `signal at ${s.index} without evidence`);
      assertEquals(Object.keys(e.features).sort(), [...FEATURE_NAMES].sort());
      assertEquals(s.confidence, tp1Probability(BUNDLED_CALIBRATION, e.features as SetupFeatures));
      assert(s.confidence > 0 && s.confidence < 1);
      assertEquals(e.model, BUNDLED_CALIBRATION.id);
      const rec = BUNDLED_CALIBRATION.setups[e.setup];
      assertEquals(e.train, rec ?? { n: 0, tp1Rate: null, avgR: null });
      assert(JSON.stringify(e).length < 1024, "evidence is small JSON");
      // Structural stops: between 1 and 4 ATR (default clamps) from the entry.
      const dist = Math.abs(s.entry - s.stopLoss) / s.atr;
      assert(dist >= 1 - 1e-9 && dist <= 4 + 1e-9, `stop ${dist} ATR`);
    }
  });
}

Deno.test("a bad calibration model is refused with the field named", () => {
  const good = JSON.parse(JSON.stringify(BUNDLED_CALIBRATION));
  const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ["missing intercept", (m) => delete m.intercept, /intercept/],
    ["unknown feature", (m) => (m.features as string[])[0] = "moonPhase", /features/],
    ["lengths differ", (m) => (m.center as number[]).pop(), /one value per feature/],
    ["zero scale", (m) => (m.scale as number[])[0] = 0, /scale/],
    ["bad record", (m) => (m.setups as Record<string, unknown>).x = { n: -1 }, /setups/],
    ["isotonic lengths", (m) => m.isotonic = { x: [0.2, 0.4], y: [0.3] }, /isotonic: x and y/],
    ["isotonic x order", (m) => m.isotonic = { x: [0.4, 0.2], y: [0.3, 0.3] }, /isotonic: x/],
    ["isotonic y order", (m) => m.isotonic = { x: [0.2, 0.4], y: [0.4, 0.3] }, /isotonic: y/],
    ["isotonic y range", (m) => m.isotonic = { x: [0.2], y: [1.5] }, /isotonic\.y/],
  ];
  for (const [label, spoil, re] of cases) {
    const m = structuredClone(good);
    spoil(m);
    assertThrows(
      () => parseCalibrationModel(m),
      (e: unknown) => e instanceof CalibrationError && re.test((e as Error).message),
      label,
    );
  }
});

Deno.test("an isotonic step maps the logistic probability: linear between knots, flat outside", () => {
  const knots = { x: [0.3, 0.4, 0.5], y: [0.2, 0.3, 0.35] };
  assertEquals(isotonicAt(knots, 0.1), 0.2);
  assertEquals(isotonicAt(knots, 0.3), 0.2);
  assert(Math.abs(isotonicAt(knots, 0.35) - 0.25) < 1e-12);
  assertEquals(isotonicAt(knots, 0.4), 0.3);
  assert(Math.abs(isotonicAt(knots, 0.45) - 0.325) < 1e-12);
  assertEquals(isotonicAt(knots, 0.9), 0.35);
  assertEquals(isotonicAt({ x: [0.3], y: [0.25] }, 0.7), 0.25);
  // The model applies it after the logistic part, and parses with it.
  const m = parseCalibrationModel({ ...structuredClone(BUNDLED_CALIBRATION), isotonic: knots });
  const f = Object.fromEntries(FEATURE_NAMES.map((k) => [k, 0.5])) as SetupFeatures;
  assertEquals(tp1Probability(m, f), isotonicAt(knots, logisticProbability(m, f)));
  const { isotonic: _, ...plain } = m;
  assertEquals(tp1Probability(parseCalibrationModel(plain), f), logisticProbability(m, f));
});

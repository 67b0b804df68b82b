/** The written rationale prints prices exactly and states the Elliott invalidation once. */

import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { priceText } from "../../shared/patterns/price_text.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

Deno.test("priceText keeps the zeros of whole numbers and drops only zeros after the point", () => {
  const cases: [number, string][] = [
    [103800, "103800"],
    [103150, "103150"],
    [100, "100"],
    [10, "10"],
    [0, "0"],
    [103930.09, "103930.09"],
    [103930.1, "103930.1"],
    [3456.78, "3456.78"],
    [0.5, "0.5"],
    [0.00001956, "0.00001956"],
    [1e-8, "0.00000001"],
    [1234567, "1234567"],
    [-2500, "-2500"],
    [Infinity, "Infinity"],
  ];
  for (const [x, want] of cases) assertEquals(priceText(x), want, `priceText(${x})`);
});

for (const file of ["BTCUSDT-1h-2025W02-W07.json", "SOLUSDT-1h-2025W02-W07.json"]) {
  Deno.test(`rationale states the invalidation once, equal to the signal's (${file})`, () => {
    const signals = analyzeSeries(fixtureSeries(file), parseAnalyzerConfig({}));
    const counted = signals.filter((s) => s.patterns.elliott);
    assert(counted.length > 0, "no Elliott signal: the check would be empty");
    for (const s of counted) {
      const at = new Date(s.time).toISOString();
      const found = [...s.rationale.matchAll(/invalid beyond (-?[0-9.]+)/g)].map((m) => m[1]);
      assertEquals(found.length, 1, `${at}: ${s.rationale}`);
      assertEquals(Number(found[0]), s.patterns.elliott!.invalidation, `${at}: ${s.rationale}`);
    }
  });
}

Deno.test("the 2025-01-28T20 BTCUSDT 1h signal reads invalid beyond 103800, once", () => {
  const signals = analyzeSeries(
    fixtureSeries("BTCUSDT-1h-2025W02-W07.json"),
    parseAnalyzerConfig({}),
  );
  const s = signals.find((x) => new Date(x.time).toISOString() === "2025-01-28T20:00:00.000Z");
  assert(s, "the reported signal is gone from the fixture run");
  assertEquals(s.patterns.elliott?.invalidation, 103800);
  assertEquals(s.rationale.split("invalid beyond").length - 1, 1, s.rationale);
  assert(s.rationale.includes("invalid beyond 103800 (score"), s.rationale);
});

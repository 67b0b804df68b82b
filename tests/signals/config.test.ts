/** The analyzer config: defaults, overrides and a clear error for each bad field. */

import { deepEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  ConfigError,
  DEFAULT_ANALYZER_CONFIG,
  parseAnalyzerConfig,
} from "../../shared/signals/config.ts";

Deno.test("an empty config gives the documented defaults", () => {
  const c = parseAnalyzerConfig({});
  assertEquals(c, DEFAULT_ANALYZER_CONFIG);
  assertEquals(c.minConfidence, 0);
  assertEquals(c.confidence, "probability");
  assertEquals(c.trendFilter, "htf");
  assertEquals(c.htf, { factor: 4, fast: 20, slow: 50 });
  assertEquals(c.stopMode, "structure");
  assertEquals([c.stopBufferAtr, c.stopMinAtr, c.stopMaxAtr, c.stopMinPct], [0.25, 1, 4, 0]);
  assertEquals([c.minRiskReward, c.requireFollowThrough], [0, false]);
  assertEquals(c.stopAtr, 2);
  assertEquals(c.takeProfitAtr, [4, 6, 8]);
  assertEquals(c.methods, { wyckoff: true, elliott: true, indicators: true });
});

Deno.test("a partial method switch keeps the other methods on", () => {
  assertEquals(parseAnalyzerConfig({ methods: { elliott: false } }).methods, {
    wyckoff: true,
    elliott: false,
    indicators: true,
  });
});

const bad: [string, unknown, RegExp][] = [
  ["confidence above 1", { minConfidence: 1.5 }, /minConfidence/],
  ["negative stop", { stopAtr: -1 }, /stopAtr/],
  ["targets not ascending", { takeProfitAtr: [6, 4, 8] }, /ascending/],
  ["two targets", { takeProfitAtr: [4, 6] }, /takeProfitAtr/],
  ["unknown key", { minConfidance: 0.5 }, /minConfidance|unrecognized/i],
  ["string for a number", { cooldownBars: "12" }, /cooldownBars/],
  ["fractional cooldown", { cooldownBars: 1.5 }, /cooldownBars/],
  ["unknown method", { methods: { astrology: true } }, /methods/],
  ["unknown pivot option", { pivots: { nope: 1 } }, /pivots\.nope/],
  ["wrong pivot option type", { pivots: { mode: 3 } }, /pivots\.mode/],
  ["unknown trend filter", { trendFilter: "moon" }, /trendFilter/],
  ["HTF fast not below slow", { htf: { fast: 50, slow: 20 } }, /htf/],
  ["HTF factor of 1", { htf: { factor: 1 } }, /htf\.factor/],
  ["unknown stop mode", { stopMode: "hope" }, /stopMode/],
  ["nearest stop beyond the farthest", { stopMinAtr: 5, stopMaxAtr: 4 }, /stopMinAtr/],
  ["negative reward-to-risk", { minRiskReward: -1 }, /minRiskReward/],
  ["unknown confidence kind", { confidence: "vibes" }, /confidence/],
];
for (const [name, input, message] of bad) {
  Deno.test(`config rejects ${name} with a message naming the field`, () => {
    assertThrows(() => parseAnalyzerConfig(input), (e: unknown) => {
      return e instanceof ConfigError && message.test(e.message);
    });
  });
}

Deno.test("a config with several errors reports every one, nested detector options included", () => {
  assertThrows(
    () =>
      parseAnalyzerConfig({
        minConfidence: 2,
        bogus: 1,
        pivots: { zigzagAtr: -1 },
        wyckoff: { nope: 1, volumeStrong: "x" },
      }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "invalid analyzer config: minConfidence: Too big: expected number to be <=1; " +
          '(config): Unrecognized key: "bogus"; pivots: invalid pivot option zigzagAtr: expected a ' +
          "number > 0, got -1; wyckoff.nope: unknown option; wyckoff.volumeStrong: expected number, got string",
  );
});

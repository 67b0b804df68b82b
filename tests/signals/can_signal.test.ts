/** Settings that can never produce a signal are recognised, with the reason; capped ones warned about. */

import assert from "node:assert/strict";
import { signalReach } from "../../shared/signals/can_signal.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

const never = (input: unknown) => signalReach(parseAnalyzerConfig(input)).never;

Deno.test("the defaults and every one-method-off variant can signal", () => {
  assert.deepEqual(signalReach(parseAnalyzerConfig({})), { never: null, warnings: [] });
  for (const m of ["wyckoff", "elliott", "indicators"]) {
    assert.equal(never({ methods: { [m]: false } }), null, m);
  }
});

Deno.test("every way of leaving no pattern method, agreeing set or weight is named", () => {
  assert.equal(
    never({ methods: { wyckoff: false, elliott: false, indicators: false } }),
    "every method is off (wyckoff, elliott and indicators)",
  );
  assert.equal(
    never({ methods: { wyckoff: false, elliott: false } }),
    "no pattern method can name a direction: only indicators is on; a signal needs Wyckoff or Elliott",
  );
  assert.match(
    never({ methods: { wyckoff: false }, elliott: { impulse: false, correction: false } }) ?? "",
    /^no pattern method can name a direction: Elliott looks for neither impulses nor corrections/,
  );
  assert.equal(
    never({
      methods: { wyckoff: false, indicators: false },
      minAgreeing: 1,
      weights: { elliott: 0 },
    }),
    "the weights of elliott are all 0",
  );
  assert.equal(
    never({
      methods: { indicators: true },
      minAgreeing: 3,
      elliott: { impulse: false, correction: false },
    }),
    "3 methods must agree but only wyckoff and indicators can give an opinion",
  );
});

Deno.test("minAgreeing above the methods on is accepted with a warning (it is capped)", () => {
  const r = signalReach(parseAnalyzerConfig({ minAgreeing: 3, methods: { indicators: false } }));
  assert.equal(r.never, null);
  assert.deepEqual(r.warnings, [
    "minAgreeing 3 is more than the 2 methods on (wyckoff, elliott): all 2 must agree",
  ]);
});

Deno.test("on real data, settings called never give no signal and their neighbours do", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const cases: [unknown, boolean][] = [
    [{ methods: { wyckoff: false, elliott: false } }, false],
    [{ methods: { wyckoff: false }, elliott: { impulse: false, correction: false } }, false],
    [{ methods: { wyckoff: false, indicators: false }, weights: { elliott: 0 } }, false],
    [{ methods: { wyckoff: false } }, true],
    [{ minAgreeing: 3, methods: { indicators: false } }, true],
  ];
  for (const [input, can] of cases) {
    const config = parseAnalyzerConfig(input);
    assert.equal(signalReach(config).never === null, can, JSON.stringify(input));
    assert.equal(analyzeSeries(series, config).length > 0, can, JSON.stringify(input));
  }
});

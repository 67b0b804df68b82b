/**
 * Springs and upthrusts with `requireFollowThrough`: on real data, every signal led by one comes
 * after a later close beyond the event bar's other extreme (above a spring bar's high, below an
 * upthrust bar's low), and never on the event bar itself.
 */

import { ok as assert } from "node:assert/strict";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { fixtureSeries } from "../support/fixtures.ts";

for (const name of ["BTCUSDT-1h-2024.json", "BTCUSDT-4h-2023-2024.json"]) {
  Deno.test(`a spring or upthrust signals only after its follow-through (${name})`, () => {
    const s = fixtureSeries(name);
    const config = parseAnalyzerConfig({ requireFollowThrough: true, trendFilter: "off" });
    let checked = 0;
    for (const sig of analyzeSeries(s, config)) {
      const e = sig.patterns.wyckoff[0];
      if (!e || (e.kind !== "spring" && e.kind !== "upthrust")) continue;
      assert(sig.index > e.index, `signal on the event bar ${e.index}`);
      let followed = false;
      for (let j = e.index + 1; j <= sig.index; j++) {
        if (e.kind === "spring" ? s.close[j] > s.high[e.index] : s.close[j] < s.low[e.index]) {
          followed = true;
        }
      }
      assert(followed, `${e.kind} at bar ${e.index}, signal at ${sig.index}: no follow-through`);
      checked++;
    }
    assert(checked >= 3, `only ${checked} spring/upthrust signals to check`);
  });
}

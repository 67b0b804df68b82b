/** Snapshot/restore: stopping at any bar, storing the state as JSON and continuing changes nothing. */

import {
  deepEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { AnalyzerError, StreamingAnalyzer } from "../../shared/signals/analyzer.ts";
import { parseAnalyzerConfig } from "../../shared/signals/config.ts";
import type { Signal } from "../../shared/signals/types.ts";
import { analyzeSeries } from "../../shared/signals/window.ts";
import type { CandleSeries } from "../../shared/candles/types.ts";
import { fixtureSeries } from "../support/fixtures.ts";

function feed(a: StreamingAnalyzer, s: CandleSeries, from: number, to: number, out: Signal[]) {
  for (let i = from; i < to; i++) {
    const sig = a.updateBar(s.openTime[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    if (sig) out.push(sig);
  }
}

/** Deterministic pseudo-random bars (mulberry32) so failures can be reproduced. */
function randomBars(count: number, max: number, seed: number): number[] {
  let t = seed >>> 0;
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    out.push(Math.floor((((r ^ (r >>> 14)) >>> 0) / 4294967296) * max));
  }
  return out;
}

for (const file of ["BTCUSDT-1h-2024.json", "ETHUSDT-15m-2025W02-W07.json"]) {
  Deno.test(`snapshot at random bars then restore gives an uninterrupted run's output (${file})`, () => {
    const series = fixtureSeries(file);
    const config = parseAnalyzerConfig({});
    const full = analyzeSeries(series, config);
    assert(full.length > 0, "no signals: the comparison would be empty");
    const fullEnd = new StreamingAnalyzer(config);
    feed(fullEnd, series, 0, series.length, []);
    for (const cut of randomBars(12, series.length, 42)) {
      const a = new StreamingAnalyzer(config);
      const out: Signal[] = [];
      feed(a, series, 0, cut, out);
      const stored = JSON.stringify(a.snapshot());
      const b = StreamingAnalyzer.restore(JSON.parse(stored), config);
      feed(b, series, cut, series.length, out);
      assertEquals(out, full, `cut at bar ${cut}`);
      assertEquals(b.snapshot(), fullEnd.snapshot(), `final state after cut at ${cut}`);
    }
  });
}

Deno.test("a snapshot stays small however long the run", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const a = new StreamingAnalyzer();
  const sizes: number[] = [];
  for (const end of [1000, 4000, series.length]) {
    feed(a, series, a.bars, end, []);
    sizes.push(JSON.stringify(a.snapshot()).length);
  }
  assert(Math.max(...sizes) < 16_384, `snapshot sizes ${sizes.join(", ")} bytes`);
  assert(sizes[2] < sizes[0] * 2, `snapshot grows with history: ${sizes.join(", ")}`);
});

Deno.test("restoring with other settings is refused", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const a = new StreamingAnalyzer();
  feed(a, series, 0, 300, []);
  const snap = a.snapshot();
  assertThrows(
    () => StreamingAnalyzer.restore(snap, parseAnalyzerConfig({ minConfidence: 0.9 })),
    AnalyzerError,
  );
});

Deno.test("a candle that is not after the last one is rejected and changes nothing", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const a = new StreamingAnalyzer();
  feed(a, series, 0, 500, []);
  const before = JSON.stringify(a.snapshot());
  const i = 499;
  assertThrows(
    () =>
      a.updateBar(
        series.openTime[i],
        series.open[i],
        series.high[i],
        series.low[i],
        series.close[i],
        series.volume[i],
      ),
    /is not after the last one processed/,
  );
  assertEquals(JSON.stringify(a.snapshot()), before);
});

Deno.test("a damaged snapshot is refused with a clear error", () => {
  const series = fixtureSeries("BTCUSDT-1h-2024.json");
  const config = parseAnalyzerConfig({});
  const a = new StreamingAnalyzer(config);
  feed(a, series, 0, 400, []);
  const good = a.snapshot();
  const damaged: [string, unknown][] = [
    ["not an object", null],
    ["bars must be", { ...good, bars: -1 }],
    ["events must be an array", { ...good, events: {} }],
    ["pivots state missing", { ...good, pivots: null }],
    ["elliott must be", { ...good, elliott: { invalidation: "x" } }],
    ["invalid analyzer snapshot", { ...good, pivots: { v: 1, mode: "zigzag", pivots: "nope" } }],
    ["invalid analyzer snapshot", { ...good, indicators: { v: 1 } }],
  ];
  for (const [message, snap] of damaged) {
    assertThrows(
      () => StreamingAnalyzer.restore(snap as never, config),
      (e: unknown) => e instanceof AnalyzerError && e.message.includes(message),
      message,
    );
  }
});

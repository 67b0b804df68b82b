/** Behaviour of WyckoffTracker on hand-made bars and pivots (range, phase, events, state). */

import assert from "node:assert/strict";
import { type WyckoffBar, WyckoffTracker } from "../../shared/patterns/wyckoff.ts";
import type { Pivot, WyckoffEvent, WyckoffPhase } from "../../shared/patterns/types.ts";

const HOUR = 3_600_000;

/** Builds a bar tape and its pivots; every bar defaults to a quiet bar around `mid`. */
class Tape {
  bars: WyckoffBar[] = [];
  pivots: Pivot[] = [];
  ema: [number, number] = [100, 110]; // fast < slow: falling market
  atr = 2;
  volumeAvg = 100;

  /** Appends quiet bars (close = mid, high/low = mid ± 1) up to and excluding `end`. */
  quiet(end: number, mid: number): this {
    while (this.bars.length < end) this.add({ c: mid });
    return this;
  }

  /** Appends one bar; missing fields follow the close. */
  add(b: { o?: number; h?: number; l?: number; c: number; v?: number }): this {
    const i = this.bars.length;
    const o = b.o ?? b.c;
    this.bars.push({
      index: i,
      time: 1_700_000_000_000 + i * HOUR,
      open: o,
      high: b.h ?? Math.max(o, b.c) + 1,
      low: b.l ?? Math.min(o, b.c) - 1,
      close: b.c,
      volume: b.v ?? 100,
      atr: this.atr,
      volumeAvg: this.volumeAvg,
      emaFast: this.ema[0],
      emaSlow: this.ema[1],
    });
    return this;
  }

  /** Adds a pivot at bar `index` (confirmed 2 bars later) and shapes that bar's extreme to match. */
  pivot(kind: "high" | "low", index: number, price: number): this {
    while (this.bars.length <= index) this.add({ c: kind === "high" ? price - 2 : price + 2 });
    const bar = this.bars[index];
    if (kind === "high") bar.high = price;
    else bar.low = price;
    this.pivots.push({ kind, index, confirmedAt: index + 2, price, time: bar.time });
    return this;
  }
}

interface Run {
  events: WyckoffEvent[];
  phases: WyckoffPhase[];
  tracker: WyckoffTracker;
}

function run(tape: Tape, tracker = new WyckoffTracker()): Run {
  const events: WyckoffEvent[] = [];
  const phases: WyckoffPhase[] = [];
  for (const bar of tape.bars) {
    const changed = tape.pivots.some((p) => p.confirmedAt === bar.index);
    const known = tape.pivots.filter((p) => p.confirmedAt <= bar.index);
    events.push(...tracker.update(bar, known, changed));
    phases.push(tracker.phase);
  }
  return { events, phases, tracker };
}

/** A falling market into a 95–105 range recognised at bar 30 (pivots at 10, 16, 22, 28). */
function rangeAfterDecline(): Tape {
  const t = new Tape();
  for (let i = 0; i < 10; i++) t.add({ c: 120 - i * 2 });
  t.pivot("low", 10, 95).quiet(16, 100).pivot("high", 16, 105).quiet(22, 100);
  t.pivot("low", 22, 95).quiet(28, 100).pivot("high", 28, 105).quiet(35, 100);
  return t;
}

Deno.test("a range after a decline is recognised from four pivots as accumulation", () => {
  const { tracker, phases, events } = run(rangeAfterDecline());
  assert.deepEqual(tracker.range, { support: 95, resistance: 105, startIndex: 10 });
  assert.equal(phases[9], "markdown");
  assert.equal(phases[29], "markdown"); // range not yet 20 bars old before bar 30
  assert.equal(phases[30], "accumulation");
  assert.deepEqual(events, []);
});

Deno.test("a spring on high volume is found, long and strong", () => {
  const t = rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 97, v: 250 });
  const { events } = run(t);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.kind, "spring");
  assert.equal(e.direction, "long");
  assert.equal(e.index, 35);
  assert.equal(e.time, t.bars[35].time);
  assert.equal(e.level, 95);
  assert.equal(e.volumeRatio, 2.5);
  // 0.5 × min(1, 2.5 / 3) + 0.3 × min(1, 2 / 1) + 0.2 × 1 (accumulation)
  assert.ok(Math.abs(e.strength - (0.5 * 2.5 / 3 + 0.3 + 0.2)) < 1e-12);
  assert.ok(e.strength > 0.85);
  assert.match(e.description, /Spring/);
});

Deno.test("a spring on low volume is still found but weaker", () => {
  const strong = run(rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 97, v: 250 })).events[0];
  const weak = run(rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 97, v: 60 })).events;
  assert.equal(weak.length, 1);
  assert.equal(weak[0].kind, "spring");
  assert.equal(weak[0].volumeRatio, 0.6);
  assert.ok(weak[0].strength < strong.strength - 0.3, `${weak[0].strength} vs ${strong.strength}`);
  assert.ok(weak[0].strength > 0);
});

Deno.test("a spring that barely closes back inside is weaker than one that recovers fully", () => {
  const full = run(rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 97, v: 250 })).events[0];
  const barely = run(rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 95.1, v: 250 })).events[0];
  assert.equal(barely.kind, "spring");
  assert.ok(barely.strength < full.strength);
});

Deno.test("a break of support deeper than penetrationMaxAtr is not a spring", () => {
  const t = rangeAfterDecline().add({ o: 99, h: 100, l: 92.5, c: 97, v: 250 }); // 1.25 ATR deep
  assert.deepEqual(run(t).events, []);
  const loose = run(
    rangeAfterDecline().add({ o: 99, h: 100, l: 92.5, c: 97, v: 250 }),
    new WyckoffTracker({ penetrationMaxAtr: 1.5 }),
  );
  assert.equal(loose.events[0]?.kind, "spring");
});

Deno.test("a low below support that closes below it is not a spring", () => {
  const t = rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 94.5, v: 80 });
  const { events, tracker } = run(t);
  assert.deepEqual(events, []);
  assert.notEqual(tracker.range, null); // not decisive (0.25 ATR) and not on strong volume
});

Deno.test("an upthrust at resistance is short and scores higher in distribution", () => {
  const up = rangeAfterDecline().add({ o: 101, h: 106, l: 100, c: 103, v: 200 });
  const inAccumulation = run(up).events;
  assert.equal(inAccumulation.length, 1);
  const e = inAccumulation[0];
  assert.equal(e.kind, "upthrust");
  assert.equal(e.direction, "short");
  assert.equal(e.level, 105);

  const rising = new Tape();
  rising.ema = [110, 100]; // fast > slow: rising market, so the range is distribution
  for (let i = 0; i < 10; i++) rising.add({ c: 80 + i * 2 });
  rising.pivot("high", 10, 105).quiet(16, 100).pivot("low", 16, 95).quiet(22, 100);
  rising.pivot("high", 22, 105).quiet(28, 100).pivot("low", 28, 95).quiet(35, 100);
  rising.add({ o: 101, h: 106, l: 100, c: 103, v: 200 });
  const dist = run(rising);
  assert.equal(dist.phases[33], "distribution");
  assert.equal(dist.events.length, 1);
  assert.equal(dist.events[0].kind, "upthrust");
  assert.ok(Math.abs(dist.events[0].strength - e.strength - 0.2) < 1e-12);
});

Deno.test("a close above resistance on strong volume is a sign of strength and starts markup", () => {
  const t = rangeAfterDecline().add({ o: 104, h: 108, l: 103, c: 107, v: 200 });
  const { events, tracker } = run(t);
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, "sos");
  assert.equal(events[0].direction, "long");
  assert.equal(events[0].level, 105);
  assert.equal(tracker.range, null);
  assert.equal(tracker.phase, "markup");
});

Deno.test("a close below support on strong volume is a sign of weakness and starts markdown", () => {
  const t = rangeAfterDecline().add({ o: 96, h: 97, l: 93, c: 94, v: 180 });
  const { events, tracker } = run(t);
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, "sow");
  assert.equal(events[0].direction, "short");
  assert.equal(events[0].level, 95);
  assert.equal(tracker.phase, "markdown");
});

Deno.test("a decisive breakout on ordinary volume ends the range without an event", () => {
  const { events, tracker } = run(
    rangeAfterDecline().add({ o: 104, h: 108, l: 103, c: 107, v: 120 }),
  );
  assert.deepEqual(events, []);
  assert.equal(tracker.range, null);
  assert.equal(tracker.phase, "markup");
});

Deno.test("a marginal close above resistance on ordinary volume keeps the range", () => {
  const { events, tracker } = run(rangeAfterDecline().add({ c: 105.5, v: 120 }));
  assert.deepEqual(events, []);
  assert.notEqual(tracker.range, null);
  assert.equal(tracker.phase, "accumulation");
});

Deno.test("a flat market that never breaks its range gives no events", () => {
  const t = new Tape();
  t.ema = [100, 100];
  for (let k = 0; k < 30; k++) {
    t.quiet(k * 10 + 2, 100).pivot("high", k * 10 + 2, 101.5);
    t.quiet(k * 10 + 7, 100).pivot("low", k * 10 + 7, 98.5);
  }
  t.quiet(310, 100);
  const { events, tracker } = run(t);
  assert.notEqual(tracker.range, null);
  assert.deepEqual(events, []);
});

Deno.test("a strong uptrend with pullbacks forms no range and gives no spring", () => {
  const t = new Tape();
  t.ema = [110, 100];
  let price = 100;
  for (let k = 0; k < 40; k++) {
    const start = t.bars.length;
    if (start > 0) t.pivot("low", start - 1, t.bars[start - 1].low);
    for (let i = 0; i < 5; i++) t.add({ o: price, c: price + 2 }), price += 2;
    t.pivot("high", t.bars.length - 1, t.bars[t.bars.length - 1].high);
    for (let i = 0; i < 2; i++) t.add({ o: price, c: price - 1.5 }), price -= 1.5;
  }
  const { events, tracker, phases } = run(t);
  assert.equal(tracker.range, null);
  assert.deepEqual(events, []);
  assert.ok(phases.every((p) => p === "markup"));
});

Deno.test("phases run markdown → accumulation → markup → distribution → markdown", () => {
  const t = rangeAfterDecline(); // bars 0..34, range 95–105 from bar 30
  t.quiet(38, 100).add({ o: 99, h: 100, l: 94, c: 97, v: 250 }); // spring at 38
  t.quiet(40, 100).add({ o: 104, h: 108, l: 103, c: 107, v: 200 }); // SOS at 40
  for (let i = 41; i < 50; i++) {
    if (i === 45) t.ema = [120, 110]; // EMAs cross up during markup: phase stays markup
    t.add({ c: 107 + (i - 40) * 2 });
  }
  t.pivot("high", 50, 135).quiet(56, 130).pivot("low", 56, 125).quiet(62, 130);
  t.pivot("high", 62, 135).quiet(68, 130).pivot("low", 68, 125).quiet(75, 130);
  t.add({ o: 131, h: 136, l: 130, c: 133, v: 220 }); // upthrust at 75
  t.quiet(80, 130).add({ o: 126, h: 127, l: 121, c: 122, v: 300 }); // SOW at 80
  t.quiet(85, 120);
  const { events, phases } = run(t);
  assert.deepEqual(
    events.map((e) => [e.kind, e.index]),
    [["spring", 38], ["sos", 40], ["upthrust", 75], ["sow", 80]],
  );
  assert.equal(phases[5], "markdown");
  assert.equal(phases[30], "accumulation");
  assert.equal(phases[39], "accumulation");
  assert.equal(phases[40], "markup");
  assert.equal(phases[60], "markup");
  assert.equal(phases[70], "distribution");
  assert.equal(phases[80], "markdown");
  assert.ok(events[0].strength > 0.85 && events[2].strength > 0.8);
});

Deno.test("pivots that are not yet confirmed at the bar are ignored", () => {
  const t = rangeAfterDecline();
  const tracker = new WyckoffTracker({ rangeMinBars: 0 });
  for (const bar of t.bars) {
    // pass every pivot, confirmed or not: the 4th pivot (bar 28) is only confirmed at bar 30
    tracker.update(bar, t.pivots, true);
    if (bar.index === 29) assert.equal(tracker.range, null);
  }
  assert.notEqual(tracker.range, null);
});

Deno.test("bars without events return one shared frozen empty array", () => {
  const t = rangeAfterDecline();
  const tracker = new WyckoffTracker();
  const a = tracker.update(t.bars[0], [], false);
  const b = tracker.update(t.bars[1], [], false);
  assert.equal(a, b);
  assert.ok(Object.isFrozen(a));
  assert.equal(a.length, 0);
});

Deno.test("warm-up bars with NaN indicators give no range and no events", () => {
  const t = rangeAfterDecline().add({ o: 99, h: 100, l: 94, c: 97, v: 250 });
  for (const bar of t.bars) bar.atr = NaN, bar.volumeAvg = NaN, bar.emaFast = NaN;
  const { events, tracker } = run(t);
  assert.deepEqual(events, []);
  assert.equal(tracker.range, null);
  assert.equal(tracker.phase, "undetermined");
});

Deno.test("state survives JSON mid-range and the resumed run matches", () => {
  const t = rangeAfterDecline();
  t.quiet(38, 100).add({ o: 99, h: 100, l: 94, c: 97, v: 250 }).quiet(40, 100);
  t.add({ o: 104, h: 108, l: 103, c: 107, v: 200 }).quiet(45, 110);
  const full = run(t);
  const first = new WyckoffTracker();
  const events: WyckoffEvent[] = [];
  for (const tracker of [first]) {
    for (const bar of t.bars.slice(0, 36)) {
      const known = t.pivots.filter((p) => p.confirmedAt <= bar.index);
      events.push(...tracker.update(bar, known, known.some((p) => p.confirmedAt === bar.index)));
    }
  }
  const json = JSON.stringify(first.toState());
  const resumed = WyckoffTracker.fromState(JSON.parse(json));
  assert.deepEqual(resumed.toState(), first.toState());
  for (const bar of t.bars.slice(36)) {
    const known = t.pivots.filter((p) => p.confirmedAt <= bar.index);
    events.push(...resumed.update(bar, known, known.some((p) => p.confirmedAt === bar.index)));
  }
  assert.deepEqual(events, full.events);
  assert.deepEqual(resumed.toState(), full.tracker.toState());
});

Deno.test("bad options, bad state and out-of-order bars fail with a clear message", () => {
  assert.throws(() => new WyckoffTracker({ rangePivots: 1 }), /rangePivots/);
  assert.throws(() => new WyckoffTracker({ volumeStrong: NaN }), /volumeStrong/);
  assert.throws(
    () => new WyckoffTracker({ nope: 1 } as unknown as Record<string, number>),
    /unknown option/,
  );
  assert.throws(
    () => WyckoffTracker.fromState({ v: 2 } as unknown as ReturnType<WyckoffTracker["toState"]>),
    /invalid WyckoffState: unsupported version/,
  );
  const tracker = new WyckoffTracker();
  const bar = new Tape().add({ c: 100 }).bars[0];
  tracker.update(bar, [], false);
  assert.throws(() => tracker.update(bar, [], false), /not after/);
});

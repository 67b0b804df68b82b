/**
 * The Discord card and follow-ups stay within every Discord limit for any input (extreme prices,
 * long rationales, every optional field, random data), checked by the fake Discord's own validator
 * (written separately from the Discord docs) and by posting to the fake; and they show what a
 * trader needs.
 */

import assert from "node:assert/strict";
import { SeededRandom } from "../../shared/backtest/prng.ts";
import { startFakeDiscord } from "../../scripts/fakes/discord.ts";
import { isValid, validateMessage } from "../../scripts/fakes/discord/validate.ts";
import type { CardSignal } from "../../supabase/functions/_shared/db_api.ts";
import {
  cardEdit,
  cardMessage,
  confidenceKindOf,
  evidenceLine,
  followUpMessage,
  mentionsMessage,
  renderCard,
} from "../../supabase/functions/_shared/discord_card.ts";
import { embedLength, type MessageBody } from "../../supabase/functions/_shared/discord_embed.ts";
import { DiscordRest } from "../../supabase/functions/_shared/discord_rest.ts";
import { realClock } from "../../supabase/functions/_shared/discord_rate_limit.ts";
import { formatPrice } from "../../supabase/functions/_shared/price_format.ts";

function signal(over: Partial<CardSignal> = {}): CardSignal {
  return {
    id: 42,
    symbol: "BTCUSDT",
    interval: "1h",
    openTime: Date.UTC(2024, 11, 25, 21),
    direction: "short",
    entry: 98506.36,
    stopLoss: 99854.92,
    takeProfits: [95809.24, 94460.67, 93112.11],
    riskReward: 2,
    confidence: 0.604,
    atr: 674.28,
    contributions: [
      { method: "wyckoff", direction: "short", confidence: 0.75, share: 0.69, detail: "Upthrust" },
      {
        method: "indicators",
        direction: "short",
        confidence: 0.67,
        share: 0.31,
        detail: "4/6 short checks pass (MACD histogram < 0, EMA50 < EMA200)",
      },
    ],
    patterns: {
      elliott: {
        kind: "correction",
        trend: "up",
        direction: "short",
        waves: [
          { label: "0", price: 97250 },
          { label: "A", price: 99349.31 },
          { label: "B", price: 97632.02 },
          { label: "C", price: 99963.7 },
        ],
        score: 0.52,
        invalidation: 99963.7,
      },
      wyckoff: [{ kind: "upthrust", level: 99487.99, strength: 0.745, volumeRatio: 1.47 }],
      phase: "distribution",
    },
    rationale: "Wyckoff (69%): Upthrust. Indicators (31%): 4/6 short checks pass.",
    evidence: null,
    status: "open",
    notifyStatus: "pending",
    outcome: null,
    withdrawn: null,
    ...over,
  };
}

function assertWithinLimits(body: MessageBody, what: string): void {
  const errors = validateMessage(body as Record<string, unknown>, { files: [] });
  assert.ok(isValid(errors), `${what}: ${JSON.stringify(errors).slice(0, 500)}`);
  for (const e of body.embeds ?? []) {
    for (const f of e.fields ?? []) {
      assert.doesNotMatch(f.value, /[{[]"|":/, `${what}: raw JSON in ${f.name}: ${f.value}`);
    }
  }
  const total = (body.embeds ?? []).reduce((n, e) => n + embedLength(e), 0);
  assert.ok(total <= 6000, `${what}: embeds total ${total}`);
  assert.ok((body.content ?? "").length <= 2000, `${what}: content`);
}

const LONG = "Wyckoff spring 🚀 with ünïcödé and 𝔰𝔲𝔯𝔯𝔬𝔤𝔞𝔱𝔢𝔰 ".repeat(400);

function extreme(price: number): CardSignal {
  const many = Array.from({ length: 30 }, (_, i) => ({
    kind: ["spring", "upthrust", "sos", "sow"][i % 4],
    level: price,
    strength: 0.5,
    volumeRatio: 12.5,
    description: LONG,
  }));
  return signal({
    symbol: "X".repeat(20),
    entry: price,
    stopLoss: price * 0.98,
    takeProfits: [price * 1.04, price * 1.06, price * 1.08],
    direction: "long",
    rationale: LONG,
    contributions: Array.from({ length: 10 }, (_, i) => ({
      method: i % 2 ? "indicators" : "wyckoff",
      share: 0.1,
      confidence: 0.5,
      detail: LONG,
    })),
    patterns: {
      elliott: {
        kind: "impulse",
        trend: "up",
        waves: Array.from({ length: 200 }, (_, i) => ({ label: `W${i}${LONG}`, price })),
        score: 0.9,
        invalidation: price * 0.9,
      },
      wyckoff: many,
      phase: "accumulation".repeat(50),
    },
    evidence: {
      setup: LONG,
      model: LONG,
      train: { n: Number.MAX_SAFE_INTEGER, tp1Rate: 1, avgR: -1e300 },
      features: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}${LONG}`, 1e300])),
      note: LONG,
    },
    status: "tp2",
    outcome: {
      outcome: "tp2",
      r: 1.2,
      closedTime: null,
      tp1Time: 1,
      tp2Time: 2,
      tp3Time: null,
      stopTime: null,
    },
  });
}

Deno.test("cards with extreme prices (1e-8, 1e6), long rationales and every optional field stay within Discord's limits", async () => {
  const mentions = Array.from({ length: 100 }, (_, i) => String(10n ** 19n + BigInt(i)));
  const bodies: [string, MessageBody][] = [];
  for (const price of [1e-8, 1e6, 0.00012345, 98506.36]) {
    const s = extreme(price);
    bodies.push([`card ${price}`, cardMessage(s, mentions, { chart: false })]);
    bodies.push([
      `card with score ${price}`,
      cardMessage(s, mentions, { chart: false, confidence: "score" }),
    ]);
    bodies.push([`edit ${price}`, cardEdit(s)]);
    bodies.push([`mentions ${price}`, mentionsMessage(s, mentions)]);
    const withdrawn = {
      ...s,
      withdrawn: {
        time: Date.UTC(2024, 0, 2),
        reason: `candle history changed from 2024-01-01 00:00 UTC ${"x".repeat(450)}`,
        replacement: {
          id: 2 ** 53 - 1,
          direction: "long" as const,
          entry: price,
          stopLoss: price / 2,
          takeProfits: [price * 3, price * 4, price * 5] as [number, number, number],
        },
      },
    };
    bodies.push([`withdrawn card ${price}`, cardMessage(withdrawn, mentions, { chart: false })]);
    bodies.push([`withdrawn edit ${price}`, cardEdit(withdrawn)]);
    const nothing = { barTime: null, r: null, price: null };
    bodies.push([
      `withdrawn follow-up ${price}`,
      followUpMessage(withdrawn, "withdrawn", nothing, { messageId: "1", channelId: "2" }),
    ]);
    bodies.push([
      `withdrawn webhook ${price}`,
      followUpMessage(withdrawn, "withdrawn", nothing, null),
    ]);
    for (const kind of ["tp1", "tp2", "tp3", "stop", "expired"] as const) {
      const d = { barTime: Date.UTC(2024, 0, 1), r: 1.5, price };
      bodies.push([
        `${kind} ${price}`,
        followUpMessage(s, kind, d, { messageId: "1", channelId: "2" }),
      ]);
      bodies.push([`${kind} webhook ${price}`, followUpMessage(s, kind, d, null)]);
    }
  }
  for (const [what, body] of bodies) assertWithinLimits(body, what);
  // And Discord's stand-in takes them over HTTP.
  const fake = await startFakeDiscord({
    limits: { "messages-create": { limit: 100, windowMs: 1000 } },
  });
  try {
    const rest = new DiscordRest({
      apiUrl: fake.apiUrl,
      token: fake.token,
      fetch,
      clock: realClock,
      timeoutMs: 5000,
    });
    for (
      const [what, body] of bodies.filter(([w]) => w.startsWith("card") || w.includes("webhook"))
    ) {
      const r = await rest.createMessage(fake.channelId, body);
      assert.ok(r.ok, `${what}: ${r.ok ? "" : r.message}`);
    }
  } finally {
    await fake.close();
  }
  assert.equal(formatPrice(1e-8), "0.00000001");
  assert.equal(formatPrice(1e6), "1000000.00");
});

Deno.test("500 random cards and follow-ups (any strings, numbers, NaN, Infinity, missing fields) are all valid Discord messages", () => {
  const random = new SeededRandom(20261130);
  const r = () => random.next();
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const chars = ["a", "Z", " ", "\n", "é", "🚀", "𝔰", "\u0000", "*", "<@1>", "@everyone", "\\"];
  const text = (max: number) =>
    Array.from({ length: Math.floor(r() * max) }, () => pick(chars)).join("");
  const num = () =>
    pick([NaN, Infinity, -Infinity, 0, -1, 1e-300, 1e300, r() * 1e6, r() * 1e-6, 5e-324]);
  for (let i = 0; i < 500; i++) {
    const s = signal({
      symbol: text(30) || "S",
      entry: num(),
      stopLoss: num(),
      takeProfits: [num(), num(), num()],
      confidence: num(),
      direction: pick(["long", "short"] as const),
      rationale: text(r() < 0.2 ? 9000 : 200),
      contributions: pick([
        null,
        [],
        [{ method: text(10), share: num(), detail: text(3000) }],
        text(5),
      ]),
      patterns: pick([
        null,
        {},
        {
          elliott: { waves: Array.from({ length: 30 }, () => ({ label: text(20), price: num() })) },
        },
        {
          wyckoff: Array.from({ length: 5 }, () => ({ kind: text(5), level: num() })),
          phase: text(300),
        },
        [1, 2],
      ]),
      evidence: pick([
        null,
        { k: text(2000) },
        [text(50)],
        text(500),
        3,
        {
          setup: pick(["spring", "sow", "abc-long", text(300), 7]),
          model: text(50),
          train: pick([
            null,
            { n: num(), tp1Rate: num(), avgR: num() },
            { n: Math.floor(r() * 1e6), tp1Rate: r(), avgR: num() },
            { n: 0, tp1Rate: null, avgR: null },
          ]),
          features: { a: num(), [text(40)]: num() },
        },
      ]),
      status: pick(["open", "tp1", "tp2", "tp3", "stopped", "expired", text(5)]),
      openTime: pick([NaN, 0, Date.UTC(2024, 0, 1), 8.64e15, -1e20]),
      withdrawn: pick([null, {
        time: num(),
        reason: text(r() < 0.2 ? 3000 : 100),
        replacement: pick([null, {
          id: num(),
          direction: pick(["long", "short"] as const),
          entry: num(),
          stopLoss: num(),
          takeProfits: [num(), num(), num()] as [number, number, number],
        }]),
      }]),
    });
    const mentions = Array.from({ length: Math.floor(r() * 120) }, (_, k) => String(k + 1));
    assertWithinLimits(
      cardMessage(s, mentions, { confidence: pick(["probability", "score"] as const) }),
      `random card ${i}`,
    );
    assertWithinLimits(
      followUpMessage(s, pick(["tp1", "tp2", "tp3", "stop", "expired", "withdrawn"] as const), {
        barTime: num(),
        r: num(),
        price: num(),
      }, pick([null, { messageId: "1", channelId: null }])),
      `random follow-up ${i}`,
    );
  }
});

Deno.test("the card shows direction, symbol, levels with % and R, confidence, patterns, invalidation, bar, status and the disclaimer", () => {
  const e = renderCard(signal());
  assert.equal(e.title, "▼ SHORT · BTCUSDT 1h");
  assert.equal(e.color, 0xe74c3c);
  const f = Object.fromEntries((e.fields ?? []).map((x) => [x.name, x.value]));
  assert.equal(f["Entry"], "98506.36");
  assert.equal(f["Stop loss"], "99854.92 (+1.37%, −1.00 R)");
  assert.equal(f["TP1"], "95809.24 (−2.74%, +2.00 R)");
  assert.equal(f["TP3"], "93112.11 (−5.48%, +4.00 R)");
  assert.equal(f["Chance of TP1"], "60% before the stop", "the calibrated probability");
  assert.equal(f["Confidence"], undefined);
  assert.equal(f["Setups like this"], undefined, "no evidence, no track record");
  assert.equal(
    f["Wyckoff"],
    "Upthrust at 99487.99 (strength 0.74, volume 1.47× average) · phase distribution",
  );
  assert.equal(
    f["Elliott"],
    "ABC correction up (score 0.52): 0 97250.00 → A 99349.31 → B 97632.02 → C 99963.70",
  );
  assert.match(f["Indicators"], /^4\/6 short checks pass/);
  assert.equal(f["Invalidation"], "99963.70 (Elliott count)");
  assert.match(f["Bar"], /^2024-12-25 21:00 UTC \(closed <t:1735164000:R>\)$/);
  assert.equal(f["Status"], "Open: no target or stop reached yet");
  assert.match(e.footer?.text ?? "", /not financial advice · signal #42/);
  assert.equal(e.timestamp, "2024-12-25T22:00:00.000Z", "the bar's close");
  const done = renderCard(signal({
    status: "stopped",
    outcome: {
      outcome: "sl",
      r: 0,
      closedTime: 3,
      tp1Time: 1,
      tp2Time: null,
      tp3Time: null,
      stopTime: 3,
    },
  }));
  assert.equal(
    done.fields?.find((x) => x.name === "Status")?.value,
    "🛑 Stopped after TP1: closed at +0.00 R",
  );
  const noCount = renderCard(
    signal({ patterns: { wyckoff: [], phase: "undetermined", elliott: null } }),
  );
  const g = Object.fromEntries((noCount.fields ?? []).map((x) => [x.name, x.value]));
  assert.equal(g["Invalidation"], "99854.92 (stop loss)");
  assert.equal(g["Elliott"], "no count");
});

Deno.test('the card says what confidence is: the chance of TP1 (calibrated, the default) or, with confidence "score", the heuristic score with each method\'s share', () => {
  const field = (e: ReturnType<typeof renderCard>, name: string) =>
    e.fields?.find((x) => x.name === name)?.value;
  const p = renderCard(signal({ confidence: 0.617 }));
  assert.equal(field(p, "Chance of TP1"), "62% before the stop");
  const s = renderCard(signal(), { confidence: "score" });
  assert.equal(field(s, "Confidence score"), "60% (wyckoff 69%, indicators 31%)");
  assert.equal(field(s, "Chance of TP1"), undefined);
  // The kind comes from the analyzer settings stored in the database ({} = defaults).
  assert.equal(confidenceKindOf({}), "probability");
  assert.equal(confidenceKindOf(null), "probability");
  assert.equal(confidenceKindOf({ confidence: "score" }), "score");
  assert.equal(confidenceKindOf({ confidence: "probability", minConfidence: 0.3 }), "probability");
  assert.equal(confidenceKindOf({ confidence: "bogus" }), "probability", "refused settings");
});

Deno.test("the evidence line is the track record of setups like this one (from SignalEvidence), never raw JSON", () => {
  const evidence = (setup: unknown, train: unknown) => ({
    setup,
    model: "tp1-logistic-v3",
    train,
    features: { indicatorShare: 0.83, logRiskReward: 0.69 },
  });
  const rec = { n: 143, tp1Rate: 0.58, avgR: 0.21 };
  assert.equal(
    evidenceLine(evidence("upthrust", rec)),
    "Upthrust setups: 58% reached TP1 (n = 143, avg +0.21 R) in the model's training data",
  );
  assert.equal(
    evidenceLine(evidence("abc-short", { n: 12543, tp1Rate: 0.441, avgR: -0.02 })),
    "ABC correction, short setups: 44% reached TP1 (n = 12,543, avg −0.02 R) in the model's training data",
  );
  assert.equal(
    evidenceLine(evidence("sos", { n: 254, tp1Rate: 0.37, avgR: null })),
    "Sign of strength setups: 37% reached TP1 (n = 254) in the model's training data",
  );
  assert.equal(
    evidenceLine(evidence("impulse-long", { n: 0, tp1Rate: null, avgR: null })),
    "Impulse, long setups: no trades in the model's training data",
  );
  assert.match(
    evidenceLine(evidence("wedge-up", rec)) ?? "",
    /^wedge-up setups: 58% reached TP1/,
    "an unknown class by its name",
  );
  // Anything else: no line at all (never JSON, never NaN).
  for (
    const bad of [
      null,
      undefined,
      3,
      "text",
      [1, 2],
      {},
      { setup: "spring" },
      { k: "v" },
      evidence("", rec),
      evidence(7, rec),
      evidence("spring", null),
      evidence("spring", { n: -1, tp1Rate: 0.5, avgR: 0 }),
      evidence("spring", { n: 1.5, tp1Rate: 0.5, avgR: 0 }),
      evidence("spring", { n: 1e300, tp1Rate: 0.5, avgR: 0 }),
      evidence("spring", { n: 10, tp1Rate: NaN, avgR: 0 }),
      evidence("spring", { n: 10, tp1Rate: 1.5, avgR: 0 }),
      evidence("spring", { n: 10, tp1Rate: null, avgR: 0 }),
    ]
  ) {
    assert.equal(evidenceLine(bad), null, JSON.stringify(bad));
  }
  const long = evidenceLine(evidence("x".repeat(5000), rec)) ?? "";
  assert.ok(long.length < 200, `a long class name is clipped (${long.length})`);
  const card = renderCard(signal({ evidence: evidence("upthrust", rec) }));
  assert.equal(
    card.fields?.find((x) => x.name === "Setups like this")?.value,
    "Upthrust setups: 58% reached TP1 (n = 143, avg +0.21 R) in the model's training data",
  );
  assert.deepEqual(
    card.fields?.slice(-2).map((x) => x.name),
    ["Setups like this", "Status"],
    "the record just above the status line",
  );
});

Deno.test("a withdrawn signal's card and its follow-up say why it no longer stands and what its bar gives now", () => {
  const replaced = signal({
    withdrawn: {
      time: Date.UTC(2024, 11, 26),
      reason: "candle history changed from 2024-12-25 19:00 UTC",
      replacement: {
        id: 57,
        direction: "short",
        entry: 98506.36,
        stopLoss: 99860.5,
        takeProfits: [95798.1, 94444, 93089.9],
      },
    },
  });
  const card = renderCard(replaced);
  assert.equal(card.title, "✖ Withdrawn · ▼ SHORT · BTCUSDT 1h");
  assert.equal(card.color, 0x95a5a6, "grey, not the direction's colour");
  const status = card.fields?.find((f) => f.name === "Status")?.value ?? "";
  assert.equal(
    status,
    "✖ Withdrawn: candle history changed from 2024-12-25 19:00 UTC; the bar now gives ▼ SHORT entry 98506.36, stop 99860.50, targets 95798.10 / 94444.00 / 93089.90 (signal #57)",
  );
  const reply = followUpMessage(replaced, "withdrawn", { barTime: null, r: null, price: null }, {
    messageId: "1",
    channelId: "2",
  });
  const e = reply.embeds?.[0];
  assert.equal(e?.title, "✖ Withdrawn · ▼ SHORT BTCUSDT 1h");
  assert.match(
    String(e?.description),
    /^\*\*This signal no longer stands:\*\* candle history changed from [^;]+ UTC; analysed again/,
  );
  assert.match(
    String(e?.description),
    /the bar opening 2024-12-25 21:00 UTC now gives ▼ SHORT entry 98506\.36, stop 99860\.50, targets 95798\.10 \/ 94444\.00 \/ 93089\.90 \(signal #57\)\.$/,
  );
  assert.equal(reply.message_reference?.message_id, "1", "a reply to the card");
  const gone = signal({
    withdrawn: {
      time: 0,
      reason: "candle history changed from 2024-12-25 19:00 UTC",
      replacement: null,
    },
  });
  assert.match(
    String(
      followUpMessage(gone, "withdrawn", { barTime: null, r: null, price: null }, null)
        .embeds?.[0].description,
    ),
    /^Re: signal #42, .*\n\*\*This signal no longer stands:\*\*.*gives no signal\.$/s,
  );
  assert.match(
    renderCard(gone).fields?.find((f) => f.name === "Status")?.value ?? "",
    /; the bar gives no signal now$/,
  );
});

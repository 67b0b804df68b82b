/**
 * What the text reports show a trader: prices with one number of decimals per column (102946.50
 * beside 97465.06), a short reason per signal, `signals --last N`, and `∞` for a profit factor
 * without losing trades.
 */

import assert from "node:assert/strict";
import { fixturePath } from "../support/fixtures.ts";
import { runTask } from "../support/run_cli.ts";
import { priceDecimals, profitFactorText } from "../../scripts/lib/report/format.ts";

const BTC_1H = fixturePath("binance/BTCUSDT-1h-2024.json");

Deno.test("price decimals: 6 significant digits on the smallest price, between 2 and 8", () => {
  assert.equal(priceDecimals([102946.5, 97465.06]), 2);
  assert.equal(priceDecimals([3456.7]), 2);
  assert.equal(priceDecimals([145.12]), 3);
  assert.equal(priceDecimals([0.5123]), 6);
  assert.equal(priceDecimals([0.00001234]), 8);
  assert.equal(priceDecimals([NaN, 0]), 2);
});

Deno.test("signals --last N prints the last N signals, with a reason column and aligned prices", async () => {
  const all = await runTask("signals", [BTC_1H, "--json"]);
  const signals = all.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const last = await runTask("signals", [BTC_1H, "--json", "--last", "3"]);
  assert.deepEqual(last.stdout.trim().split("\n").map((l) => JSON.parse(l)), signals.slice(-3));

  const r = await runTask("signals", [BTC_1H, "--last", "5"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(
    lines[0],
    /^time \(UTC\)\s+dir\s+entry\s+stop\s+tp1\s+tp2\s+tp3\s+conf\s+methods\s+reason$/,
  );
  assert.equal(lines.length, 1 + 5 + 1);
  assert.equal(
    lines.at(-1),
    `${signals.length} signals (showing the last 5) over 8784 candles (BTCUSDT 1h), ${
      (signals.length / (8783 / 24) * 30.44).toFixed(1)
    } per month`,
  );
  // December 2024: BTC crosses 100,000; every price keeps two decimals and the columns line up.
  const rows = lines.slice(1, -1);
  for (const row of rows) {
    const prices = row.split(/\s+/).slice(3, 8);
    for (const p of prices) assert.match(p, /^\d+\.\d\d$/, row);
    assert.equal(row.indexOf("."), rows[0].indexOf("."), "entry decimal points aligned");
  }
  assert.ok(rows.some((row) => /\b1\d{5}\.\d\d\b/.test(row)), "a price above 100,000");
  assert.match(rows[0], / (SOS|SOW|spring|upthrust) \d+\.\dx vol|(impulse|ABC) (up|down) done/);
  assert.match(rows.join("\n"), /\d\/6 checks$/m);
});

Deno.test("a profit factor without losing trades prints ∞, not -", async () => {
  assert.equal(profitFactorText(null, true), "∞");
  assert.equal(profitFactorText(null, false), "-");
  assert.equal(profitFactorText(1.234, true), "1.23");
  const r = await runTask("backtest", [
    fixturePath("binance/SOLUSDT-1h-2024H1.json"),
    "--from",
    "2024-06-01",
    "--to",
    "2024-06-15",
  ]);
  assert.equal(r.code, 0, r.stderr);
  // One winning trade (long or short): ∞ where it is, - for the side without trades.
  assert.match(r.stdout, /^trades\s+1\s+(1\s+0|0\s+1)$/m);
  assert.match(r.stdout, /^profit factor\s+∞\s+(∞\s+-|-\s+∞)$/m);
});

/**
 * `deno task calibrate` end to end on real data: it writes a valid model fitted only on the period
 * up to --to, deterministically; its setup records count exactly the trades `deno task evaluate`
 * reports for the same period and model; bad input is one error line.
 */

import { assert, assertEquals } from "../backtest/assert.ts";
import { runScript } from "../support/run_cli.ts";
import { parseCalibrationModel } from "../../shared/signals/calibration.ts";

const FILES = [
  "tests/fixtures/binance/BTCUSDT-4h-2023-2024.json",
  "tests/fixtures/binance/BTCUSDT-1h-2024.json",
  "tests/fixtures/binance/ETHUSDT-1h-2024H1.json",
];

Deno.test("calibrate writes a deterministic model whose setup records match evaluate's trades", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = `${dir}/a.json`;
    const b = `${dir}/b.json`;
    const r1 = await runScript("calibrate.ts", [...FILES, "--to", "2024-05-31", "--out", a]);
    assertEquals(r1.code, 0, r1.stderr);
    assert(/candidate setups in start\.\.2024-05-31/.test(r1.stdout), r1.stdout);
    const r2 = await runScript("calibrate.ts", [...FILES, "--to", "2024-05-31", "--out", b]);
    assertEquals(r2.code, 0, r2.stderr);
    const text = await Deno.readTextFile(a);
    assertEquals(text, await Deno.readTextFile(b));
    const model = parseCalibrationModel(JSON.parse(text));
    assertEquals(model.fittedOn.period, "start..2024-05-31");
    const n = Object.values(model.setups).reduce((s, r) => s + r.n, 0);
    const ev = await runScript("evaluate.ts", [
      ...FILES,
      "--to",
      "2024-05-31",
      "--model",
      a,
      "--json",
      "--replications",
      "1000",
    ]);
    assertEquals(ev.code, 0, ev.stderr);
    const doc = JSON.parse(ev.stdout);
    assertEquals(doc.pooled.trades, n);
    assert(n > 20, `${n} trades`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("calibrate --isotonic adds a monotone step fitted inside the period and reports both on the time split", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/iso.json`;
    const r = await runScript("calibrate.ts", [
      ...FILES,
      "--to",
      "2024-05-31",
      "--isotonic",
      "--out",
      out,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(/isotonic step \(out-of-sample probabilities/.test(r.stdout), r.stdout);
    assert(/logistic \+ isotonic Brier 0\.\d{4}/.test(r.stdout), r.stdout);
    const model = parseCalibrationModel(JSON.parse(await Deno.readTextFile(out)));
    const k = model.isotonic;
    assert(k && k.x.length >= 1, "the model has isotonic knots");
    for (let i = 1; i < k.x.length; i++) assert(k.x[i] > k.x[i - 1] && k.y[i] >= k.y[i - 1]);
    const ev = await runScript("evaluate.ts", [
      ...FILES,
      "--to",
      "2024-05-31",
      "--model",
      out,
      "--json",
      "--replications",
      "1000",
    ]);
    assertEquals(ev.code, 0, ev.stderr);
    const doc = JSON.parse(ev.stdout);
    // Every stated probability lies on the map: between its first and last knot's value.
    for (const d of doc.pooled.deciles) {
      assert(d.confidenceFrom >= k.y[0] - 1e-12 && d.confidenceTo <= k.y[k.y.length - 1] + 1e-12);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [label, args, pattern] of [
    ["no --to", [FILES[0]], /--to is required/],
    ["a bad ridge", [FILES[0], "--to", "2024-01-01", "--ridge", "-1"], /--ridge/],
    ["too little data", [FILES[0], "--to", "2023-01-10"], /too few to fit/],
  ] as const
) {
  Deno.test(`calibrate: ${label} gives one error line and exit code 1`, async () => {
    const r = await runScript("calibrate.ts", [...args, "--out", "/dev/null"]);
    assertEquals(r.code, 1);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assert(pattern.test(lines[0]), lines[0]);
  });
}

/**
 * The backtest CLI end to end on real data: it trades exactly the signals `deno task signals` prints,
 * its JSON is byte-identical across runs, and bad input gives one error line and exit code 1 (the
 * HTML report has its own tests in html_report.test.ts).
 */

import { assert, assertEquals } from "./assert.ts";
import { runScript } from "../support/run_cli.ts";

const BTC_1H = "tests/fixtures/binance/BTCUSDT-1h-2024.json";

interface SignalLine {
  time: string;
  direction: string;
  entry: number;
  stopLoss: number;
  takeProfits: number[];
  confidence: number;
}

const pick = (s: SignalLine) => ({
  time: s.time,
  direction: s.direction,
  entry: s.entry,
  stopLoss: s.stopLoss,
  takeProfits: s.takeProfits,
  confidence: s.confidence,
});

for (
  const [label, extra] of [
    ["default settings", []],
    ["custom analyzer settings", [
      "--min-confidence",
      "0.5",
      "--cooldown",
      "6",
      "--tp-atr",
      "3,5,7",
    ]],
  ] as const
) {
  Deno.test(`the backtest trades exactly the signals \`deno task signals\` prints (${label})`, async () => {
    const sig = await runScript("signals.ts", [BTC_1H, "--json", ...extra]);
    assertEquals(sig.code, 0, sig.stderr);
    const printed = sig.stdout.trim().split("\n").map((l) => pick(JSON.parse(l)));
    assert(printed.length > 20, `expected signals on a year of data, got ${printed.length}`);

    const bt = await runScript("backtest.ts", [BTC_1H, "--json", ...extra]);
    assertEquals(bt.code, 0, bt.stderr);
    const ds = JSON.parse(bt.stdout).datasets[0];
    assertEquals(ds.signals.map(pick), printed);
    // Every signal is either traded or skipped for a documented reason.
    const reasons = new Set(ds.signals.map((s: { outcome: string }) => s.outcome));
    for (const r of reasons) {
      assert(
        ["traded", "same-direction", "gap-beyond-stop", "gap-beyond-tp1", "no-next-bar"].includes(
          r as string,
        ),
        String(r),
      );
    }
    assertEquals(
      ds.trades.length,
      ds.signals.filter((s: { outcome: string }) => s.outcome === "traded").length,
    );
    const bySignal = new Map<string, SignalLine>(printed.map((s) => [s.time, s]));
    for (const t of ds.trades) {
      const s = bySignal.get(t.signalTime)!;
      assertEquals([t.direction, t.stopLoss, t.takeProfits, t.confidence], [
        s.direction,
        s.stopLoss,
        s.takeProfits,
        s.confidence,
      ]);
    }
  });
}

Deno.test("the same command prints byte-identical JSON twice (walk-forward with grid)", async () => {
  const args = [BTC_1H, "--json", "--walk-forward", "3", "--grid"];
  const a = await runScript("backtest.ts", args);
  const b = await runScript("backtest.ts", args);
  assertEquals(a.code, 0, a.stderr);
  assert(a.stdout.length > 1000);
  assert(a.stdout === b.stdout, "outputs differ");
  const ds = JSON.parse(a.stdout).datasets[0];
  assertEquals([ds.mode, ds.outOfSample, ds.gridSize], ["walk-forward", true, 27]);
});

for (
  const [label, args, pattern] of [
    ["a missing file", ["tests/fixtures/binance/NOPE.json"], /NOPE\.json/],
    ["a non-numeric fee", [BTC_1H, "--fee", "abc"], /--fee: not a number/],
    ["a risk above 100 %", [BTC_1H, "--risk", "150"], /--risk/],
    ["a bad split", [BTC_1H, "--split", "1.5"], /--split/],
    [
      "split with walk-forward",
      [BTC_1H, "--split", "0.5", "--walk-forward", "3"],
      /cannot be combined/,
    ],
    ["an unknown option", [BTC_1H, "--bogus"], /bogus/],
    ["scale-out not summing to 1", [BTC_1H, "--scale-out", "0.5,0.5,0.5"], /sum to 1/],
    ["a date range without bars", [BTC_1H, "--from", "2030-01-01"], /bars in the chosen range/],
  ] as const
) {
  Deno.test(`${label} gives one error line and exit code 1`, async () => {
    const r = await runScript("backtest.ts", [...args]);
    assertEquals(r.code, 1);
    assertEquals(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assert(pattern.test(lines[0]), lines[0]);
  });
}

Deno.test("several files print one comparison row per dataset", async () => {
  const r = await runScript("backtest.ts", [
    "tests/fixtures/binance/ETHUSDT-1h-2024H1.json",
    "tests/fixtures/binance/SOLUSDT-1h-2024H1.json",
    "--split",
    "0.6",
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, ""); // no progress bar when stderr is not a terminal
  const rows = r.stdout.split("\n").filter((l) => /^(ETH|SOL)USDT 1h/.test(l));
  assertEquals(rows.length, 2);
  assert(rows.every((l) => l.includes("split (OOS)")));
  assert(r.stdout.includes("not financial advice"));
});

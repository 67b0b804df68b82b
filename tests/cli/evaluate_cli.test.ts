/**
 * `deno task evaluate` end to end on real data: deterministic JSON with the pooled figures at
 * pooled.*, --from keeps earlier candles as warm-up, nothing after --to is read, the files of a
 * SYMBOL/interval folder form one dataset, bad input is one error line, and --html is
 * self-contained.
 */

import { assert, assertEquals } from "../backtest/assert.ts";
import { runScript } from "../support/run_cli.ts";
import { fixturePath, fixtureRows } from "../support/fixtures.ts";

const BTC_4H = "tests/fixtures/binance/BTCUSDT-4h-2023-2024.json";
const BTC_1H = "tests/fixtures/binance/BTCUSDT-1h-2024.json";
const FAST = ["--replications", "1000", "--no-progress"];

interface Dataset {
  name: string;
  trades: number;
  signals: number;
  expectancyR: number;
  [k: string]: unknown;
}

async function evaluateJson(args: string[]) {
  const r = await runScript("evaluate.ts", [...args, "--json", ...FAST]);
  assertEquals(r.code, 0, r.stderr);
  return { text: r.stdout, doc: JSON.parse(r.stdout) };
}

Deno.test("JSON: pooled figures at pooled.*, one entry per dataset, byte-identical twice", async () => {
  const args = [BTC_4H, BTC_1H, "--from", "2024-01-01", "--to", "2024-12-31"];
  const a = await evaluateJson(args);
  const b = await evaluateJson(args);
  assert(a.text === b.text, "two runs differ");
  const { pooled, datasets } = a.doc;
  for (const k of ["trades", "expectancyR", "ciLow", "ciHigh", "randomPercentile", "brier"]) {
    assert(k in pooled, `pooled.${k} missing`);
  }
  assertEquals(datasets.map((d: Dataset) => d.name), ["BTCUSDT 4h", "BTCUSDT 1h"]);
  assertEquals(pooled.trades, datasets[0].trades + datasets[1].trades);
  assert(pooled.trades > 30, `${pooled.trades} trades`);
  assert(pooled.ciLow <= pooled.expectancyR && pooled.expectancyR <= pooled.ciHigh);
  assertEquals(datasets[0].from, "2024-01-01T00:00:00.000Z");
  assertEquals(datasets[0].to, "2024-12-31T20:00:00.000Z");
  assertEquals(a.doc.targets.length, 7);
});

Deno.test("--from: the period's signals are those of the analyzer run over the whole file", async () => {
  const { doc } = await evaluateJson([BTC_4H, "--from", "2024-03-01"]);
  const sig = await runScript("signals.ts", [BTC_4H, "--json"]);
  assertEquals(sig.code, 0, sig.stderr);
  const inPeriod = sig.stdout.trim().split("\n").map((l) => JSON.parse(l))
    .filter((s: { time: string }) => s.time >= "2024-03-01");
  assertEquals(doc.datasets[0].signals, inPeriod.length);
  assert(inPeriod.length > 5);
});

Deno.test("--to: nothing after it is read (a file cut there gives the same figures)", async () => {
  const rows = fixtureRows("BTCUSDT-4h-2023-2024.json") as [number, ...unknown[]][];
  const cutAt = Date.UTC(2024, 6, 1);
  const dir = await Deno.makeTempDir();
  try {
    const cut = `${dir}/BTCUSDT-4h-cut.json`;
    await Deno.writeTextFile(cut, JSON.stringify(rows.filter((r) => r[0] < cutAt)));
    const full = await evaluateJson([BTC_4H, "--from", "2023-06-01", "--to", "2024-06-30"]);
    const part = await evaluateJson([cut, "--from", "2023-06-01", "--to", "2024-06-30"]);
    assertEquals(part.doc.pooled, full.doc.pooled);
    assertEquals(part.doc.datasets[0].to, "2024-06-30T20:00:00.000Z");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the files of a SYMBOL/interval folder are joined into one dataset", async () => {
  const rows = fixtureRows("BTCUSDT-4h-2023-2024.json") as [number, ...unknown[]][];
  const split = Date.UTC(2024, 0, 1);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/BTCUSDT/4h`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/BTCUSDT/4h/2023-01-01.json`,
      JSON.stringify(rows.filter((r) => r[0] < split)),
    );
    await Deno.writeTextFile(
      `${dir}/BTCUSDT/4h/2024-01-01.json`,
      JSON.stringify(rows.filter((r) => r[0] >= split)),
    );
    const joined = await evaluateJson([dir, "--from", "2023-07-01"]);
    const single = await evaluateJson([BTC_4H, "--from", "2023-07-01"]);
    assertEquals(joined.doc.datasets.length, 1);
    assertEquals(joined.doc.datasets[0].files, 2);
    assertEquals(joined.doc.pooled, single.doc.pooled);
    // The same candles twice (an overlapping copy) is refused, naming the files.
    await Deno.copyFile(
      fixturePath("binance/BTCUSDT-4h-2023-2024.json"),
      `${dir}/BTCUSDT/4h/x.json`,
    );
    const r = await runScript("evaluate.ts", [dir]);
    assertEquals(r.code, 1);
    assert(/overlaps/.test(r.stderr), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [label, args, pattern] of [
    ["no input", [], /expected one or more/],
    ["a missing file", ["tests/fixtures/binance/NOPE.json"], /NOPE\.json/],
    ["a bad date", [BTC_4H, "--from", "2024-13-45"], /--from/],
    ["--to before --from", [BTC_4H, "--from", "2024-05-01", "--to", "2024-04-01"], /--to/],
    ["too few replications", [BTC_4H, "--replications", "0"], /--replications/],
    ["a bad seed", [BTC_4H, "--seed", "x"], /--seed/],
    ["a bad analyzer setting", [BTC_4H, "--min-confidence", "2"], /minConfidence/],
    ["an unknown option", [BTC_4H, "--bogus"], /bogus/],
    ["a period without bars", [BTC_4H, "--from", "2030-01-01"], /no dataset has bars/],
  ] as const
) {
  Deno.test(`evaluate: ${label} gives one error line and exit code 1`, async () => {
    const r = await runScript("evaluate.ts", [...args]);
    assertEquals(r.code, 1);
    assertEquals(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assert(/^error: /.test(lines[0]) && pattern.test(lines[0]), lines[0]);
  });
}

Deno.test("evaluate: text report and a self-contained --html page", async () => {
  const path = await Deno.makeTempFile({ suffix: ".html" });
  try {
    const r = await runScript("evaluate.ts", [BTC_4H, "--html", path, "--no-progress"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, "");
    assert(/^BTCUSDT 4h /m.test(r.stdout) && /^pooled \(1\)/m.test(r.stdout), r.stdout);
    assert(r.stdout.includes("not financial advice"));
    const html = await Deno.readTextFile(path);
    assert(html.startsWith("<!doctype html>"));
    assertEquals((html.match(/<svg /g) ?? []).length, 1);
    assert(!/<script|<link|src=|@import|url\(/i.test(html));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("evaluate --help prints usage and exits 0", async () => {
  const r = await runScript("evaluate.ts", ["--help"]);
  assertEquals(r.code, 0);
  assert(r.stdout.startsWith("usage: deno task evaluate"));
});

/**
 * `deno task chart`: the PNG of a signal is byte-identical whether the file holds the whole year or
 * ends at the signal bar (nothing after the signal bar is drawn, and the analyzer is causal); bad
 * options are one line and exit 1; the renderer reports failures instead of throwing.
 */

import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { analyzeSeries } from "../../shared/signals/window.ts";
import { renderSignalChart } from "../../supabase/functions/_shared/chart/render_png.ts";
import { fixtureRows, fixtureSeries } from "../support/fixtures.ts";
import { runTask } from "../support/run_cli.ts";

const FILE = "tests/fixtures/binance/BTCUSDT-1h-2024.json";

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

Deno.test("the chart of a signal is identical from the full file and from the file cut at the signal bar", async () => {
  const signals = analyzeSeries(fixtureSeries("BTCUSDT-1h-2024.json"));
  const rows = fixtureRows("BTCUSDT-1h-2024.json");
  const dir = await Deno.makeTempDir();
  try {
    const cases = [[signals[3], "light"], [signals.at(-2)!, "dark"]] as const;
    for (const [s, theme] of cases) {
      {
        const full = `${dir}/full.png`;
        const cutFile = `${dir}/BTCUSDT-1h-2024.json`;
        await Deno.writeTextFile(cutFile, JSON.stringify(rows.slice(0, s.index + 1)));
        const a = await runTask("chart", [
          FILE,
          "--at",
          iso(s.time),
          "--theme",
          theme,
          "--out",
          full,
        ]);
        assertEquals(a.code, 0, a.stderr);
        // The cut file ends at the signal bar, so its last signal is this one (no --at needed).
        const cut = `${dir}/cut.png`;
        const b = await runTask("chart", [cutFile, "--theme", theme, "--out", cut]);
        assertEquals(b.code, 0, b.stderr);
        const [pa, pb] = [await Deno.readFile(full), await Deno.readFile(cut)];
        assert(
          pa.length > 1000 && pa.length === pb.length && pa.every((x, i) => x === pb[i]),
          `${iso(s.time)} ${theme}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chart writes a PNG, SVG with --out *.svg, and describes the file with --json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const png = await runTask("chart", [FILE, "--out", `${dir}/a.png`]);
    assertEquals(png.code, 0, png.stderr);
    assertMatch(
      png.stdout,
      /^wrote .*a\.png \(800x450, \d+ KB\): (long|short) BTCUSDT 1h signal at 2024-\d\d-\d\d \d\d:\d\d UTC\n$/,
    );
    const bytes = await Deno.readFile(`${dir}/a.png`);
    assertEquals([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    const svg = await runTask("chart", [
      FILE,
      "--out",
      `${dir}/a.svg`,
      "--theme",
      "dark",
      "--json",
    ]);
    assertEquals(svg.code, 0, svg.stderr);
    const info = JSON.parse(svg.stdout);
    assertEquals(info.theme, "dark");
    assertEquals(info.symbol, "BTCUSDT");
    assertMatch(await Deno.readTextFile(`${dir}/a.svg`), /^<svg [^>]*width="800" height="450"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chart options: --help exits 0; bad theme, missing signal and unknown options are one line and exit 1", async () => {
  const help = await runTask("chart", ["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /^usage: deno task chart <file>/);
  for (
    const [args, re] of [
      [[FILE, "--theme", "blue"], /^error: --theme: expected light or dark, got blue\n$/],
      [
        [FILE, "--at", "2024-03-05T14:00"],
        /^error: no signal at 2024-03-05 14:00 UTC \(nearest: .* UTC\)\n$/,
      ],
      [[FILE, "--at", "yesterday"], /^error: --at: expected a date/],
      [[FILE, "--bogus"], /^error: .*bogus.*\n$/],
      [[], /^error: expected exactly one kline file/],
    ] as [string[], RegExp][]
  ) {
    const r = await runTask("chart", args);
    assertEquals(r.code, 1, args.join(" "));
    assertMatch(r.stderr, re);
    assertEquals(r.stderr.split("\n").length, 2, r.stderr);
  }
});

Deno.test("renderSignalChart never throws: bad input comes back as a one-line error", async () => {
  const series = fixtureSeries("BTCUSDT-4h-2021Q1.json");
  const signal = analyzeSeries(series)[0];
  const r = await renderSignalChart({
    symbol: "BTCUSDT",
    interval: "4h",
    candles: series,
    signal: { ...signal, time: signal.time + 1 },
  });
  assert(!r.ok);
  assertMatch(r.error, /^ChartError: the signal bar .* is not among the candles$/);
  const broken = await renderSignalChart(
    { symbol: "X", interval: "4h", candles: series, signal: null as unknown as typeof signal },
  );
  assert(!broken.ok && !broken.error.includes("\n"));
});

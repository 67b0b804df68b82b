/** The kline check tool: summary lines, argument parsing and its exit code on a bad file. */

import assert from "node:assert/strict";
import { summarizeKlines } from "../../scripts/klines_check.ts";
import { loadKlineFile } from "../../scripts/lib/klines/load_klines.ts";
import { fixturePath } from "./fixture.ts";

const REST = fixturePath("binance/BTCUSDT-4h-2021Q1.json");

Deno.test("the summary of a real fixture names its span, gaps and early-closing candle", async () => {
  assert.equal(
    summarizeKlines(await loadKlineFile(REST)),
    `${REST}: BTCUSDT 4h rest-json, 540 candles 2021-01-01T00:00Z .. 2021-03-31T20:00Z, no gaps, ` +
      "1 closed early, 0 with zero volume",
  );
});

Deno.test("the check tool prints one error line and exits 1 on a bad file", async () => {
  const tool = new URL("../../scripts/klines_check.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", tool, "--interval", "1h", REST],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    `error: ${REST}: interval 1h (given) disagrees with the candle spacing (4h)\n`,
  );
});

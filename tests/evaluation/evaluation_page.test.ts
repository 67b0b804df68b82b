/**
 * The evaluation's pages as a trader reads them: in headless chromium at a laptop's width the HTML
 * report's tables keep every cell on one line (a dataset name or a period never breaks in two) and
 * the page makes no request and logs no error; in the text report two Brier scores that differ
 * never print as equal.
 */

import assert from "node:assert/strict";
import { skipBrowserTests, withPage } from "../support/browser.ts";
import { fixturePath } from "../support/fixtures.ts";
import { runTask } from "../support/run_cli.ts";

const RESULTS = new URL("../../.test-results/", import.meta.url).pathname;
const FIXTURES = fixturePath("binance/");

Deno.test({
  name: "evaluation HTML in headless chromium: one line per table cell, no error, no request",
  ignore: skipBrowserTests("evaluation HTML browser test"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "evaluation-page-test-" });
    try {
      const html = `${dir}/evaluation.html`;
      const r = await runTask("evaluate", [FIXTURES, "--replications", "50", "--html", html]);
      assert.equal(r.code, 0, r.stderr);
      await withPage({ width: 1366, height: 900 }, async (page, log) => {
        await page.goto(`file://${html}`);
        // Runs in the page (DOM types are not in this program's lib).
        const { wrapped, cells } = await page.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          const g = globalThis as any;
          const all = [...g.document.querySelectorAll("td, th")];
          return {
            cells: all.length,
            wrapped: all
              .filter((c) =>
                c.getBoundingClientRect().height /
                    parseFloat(g.getComputedStyle(c).lineHeight) > 1.6
              )
              .map((c) => String(c.textContent)),
          };
        });
        assert.deepEqual(wrapped, [], "cells broken over two lines");
        assert.ok(cells > 100, `${cells} cells`);
        await Deno.mkdir(RESULTS, { recursive: true });
        await page.screenshot({ path: `${RESULTS}evaluation-report.png`, fullPage: true });
        assert.deepEqual(log.errors, []);
        assert.deepEqual(log.requests, []);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the Brier target prints two unequal scores with enough decimals to tell them apart", async () => {
  // On the bundled fixtures the two scores agree to 4 decimals (0.2290): printed so, a "met" would
  // stand beside two equal numbers.
  const r = await runTask("evaluate", [FIXTURES, "--replications", "50"]);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => l.includes("Brier score below the base rate's"));
  const m = line?.match(/: (\d\.\d+) vs (\d\.\d+)$/);
  assert.ok(m, line);
  assert.notEqual(m[1], m[2], line);
  assert.ok(m[1].length > 6, `${line}: more than 4 decimals were needed here`);
  assert.equal(Number(m[1]) < Number(m[2]), /^\s*met\b/.test(line ?? ""), line);
});

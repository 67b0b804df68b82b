/**
 * The HTML backtest report (`deno task backtest ... --html`): one offline file with the charting
 * library and its licence inlined, the CLI's own figures, and charts that work in a real headless
 * chromium (no console error, no request, non-empty canvases, zoom and pan, a hovered trade shows
 * its stop and targets). Screenshots go to .test-results/ for people to look at.
 */

import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { runScript } from "../support/run_cli.ts";
import { skipBrowserTests, withPage } from "../support/browser.ts";
import { chartLibrary } from "../../scripts/lib/report/chart_library.ts";

const FILES = [
  "tests/fixtures/binance/BTCUSDT-1h-2024.json",
  "tests/fixtures/binance/ETHUSDT-1h-2024H1.json",
];
const ARGS = [...FILES, "--walk-forward", "3"];
const RESULTS = new URL("../../.test-results/", import.meta.url).pathname;

interface Report {
  html: string;
  path: string;
  stdout: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

let report: Promise<Report> | null = null;

/** Writes the report once (two files, walk-forward) and the same run's JSON. */
function getReport(): Promise<Report> {
  report ??= (async () => {
    await Deno.mkdir(RESULTS, { recursive: true });
    const path = `${RESULTS}backtest-report.html`;
    const r = await runScript("backtest.ts", [...ARGS, "--html", path]);
    assertEquals(r.code, 0, r.stderr);
    const j = await runScript("backtest.ts", [...ARGS, "--json"]);
    assertEquals(j.code, 0, j.stderr);
    return {
      html: await Deno.readTextFile(path),
      path,
      stdout: r.stdout,
      json: JSON.parse(j.stdout),
    };
  })();
  return report;
}

// deno-lint-ignore no-explicit-any
function chartPayload(html: string): any {
  const m = html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/);
  assert(m, "no report-data script");
  return JSON.parse(m[1]);
}

Deno.test("--html writes one offline file: library, licence and notice inlined, nothing fetched", async () => {
  const { html } = await getReport();
  const lib = chartLibrary();
  assert(html.startsWith("<!doctype html>"));
  assert(html.includes(lib.header), "the library's licence header travels with it");
  assert(html.includes(lib.script), "the pinned standalone build is inlined unchanged");
  assert(html.includes("TradingView Lightweight Charts™\nCopyright (c) 2025 TradingView, Inc."));
  assert(html.includes("Apache License") && html.includes("Version 2.0, January 2004"));
  assert(
    html.includes('href="https://www.tradingview.com/"'),
    "the attribution link is on the page",
  );
  assertEquals((html.match(/<script\b/g) ?? []).length, 3); // data, library, page script
  assert(!/<script[^>]*\bsrc=|<link\b|<img\b|<iframe\b|@import/i.test(html));
  assert(html.includes("not financial advice"));
});

Deno.test("the HTML report shows the CLI's figures: comparison rows, equity, drawdown, buy-and-hold", async () => {
  const { html, stdout, json } = await getReport();
  // Every comparison row the CLI printed is a table row of the page, cell for cell.
  const rows = stdout.split("\n").filter((l) => /^(BTC|ETH)USDT 1h/.test(l));
  assertEquals(rows.length, 2);
  for (const row of rows) {
    const cells = row.split(/ {2,}/).map((c) => c.trim());
    const name = cells[0];
    const tds = cells.slice(1).map((c) => `<td>${c.replace(/&/g, "&#38;")}</td>`).join("");
    assert(html.includes(`>${name}</a></td>${tds}</tr>`), `row missing: ${row}`);
  }
  const payload = chartPayload(html);
  assertEquals(payload.datasets.length, 2);
  for (const [i, d] of payload.datasets.entries()) {
    const m = json.datasets[i].metrics;
    assertEquals(d.trades.length, json.datasets[i].trades.length);
    assertAlmostEquals(d.equity[d.equity.length - 1], Math.round(m.finalEquity * 100) / 100, 1e-9);
    assertAlmostEquals(Math.min(...d.drawdownPct), -m.maxDrawdown.maxDrawdownPct, 1e-4);
    assert(d.drawdownPct.every((v: number) => v <= 0), "drawdown is never above zero");
    const hold = (d.buyAndHold[d.buyAndHold.length - 1] / d.initialEquity - 1) * 100;
    assertAlmostEquals(hold, m.buyAndHoldReturnPct, 0.01);
    assertEquals(d.parts.filter((p: { kind: string }) => p.kind === "test").length, 3);
    assertEquals(
      d.trades.map((t: { entry: number; stopLoss: number }) => [t.entry, t.stopLoss]),
      json.datasets[i].trades.map((t: { entryPrice: number; stopLoss: number }) => [
        t.entryPrice,
        t.stopLoss,
      ]),
    );
  }
});

Deno.test({
  name:
    "the HTML report in headless chromium: no error or request, canvases drawn, zoom and pan, hovering a trade shows its stop and targets",
  ignore: skipBrowserTests("HTML report browser test"),
  async fn() {
    const { path, html } = await getReport();
    const payload = chartPayload(html);
    await withPage({ width: 1360, height: 1000 }, async (page, log) => {
      await page.goto(`file://${path}`);
      await page.waitForFunction(() => globalThis.backtestReport?.ready === true, null, {
        timeout: 15_000,
      });

      // Every pane of every chart has drawn its series: pixels of the series' own colours (candle
      // bodies and wicks; equity, buy-and-hold and drawdown lines) on the pane's canvas.
      const paneColours = [
        ["#26a69a", "#ef5350"], // up and down candles
        ["#0072B2"], // strategy equity
        ["#6b6b6b"], // buy & hold
        ["#D55E00"], // drawdown
      ];
      const counts: number[][][] = await page.evaluate(
        (colours) =>
          globalThis.backtestReport.datasets.map((d: Api) =>
            d.chart.panes().map((p: Api, i: number) => {
              const canvases: Api[] = [...(p.getHTMLElement()?.querySelectorAll("canvas") ?? [])];
              const main = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
              if (!main || !main.width || !main.height) return [];
              const px = main.getContext("2d").getImageData(0, 0, main.width, main.height).data;
              return colours[i].map((hex: string) => {
                const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
                let n = 0;
                for (let q = 0; q < px.length; q += 4) {
                  if (
                    Math.abs(px[q] - r) < 12 && Math.abs(px[q + 1] - g) < 12 &&
                    Math.abs(px[q + 2] - b) < 12
                  ) n++;
                }
                return n;
              });
            })
          ),
        paneColours,
      );
      assertEquals(counts.length, 2);
      for (const chart of counts) {
        assertEquals(chart.length, 4, "price, equity, buy & hold, drawdown panes");
        chart.forEach((pane, i) =>
          pane.forEach((n, j) =>
            assert(
              n > 150,
              `pane ${i} shows too little ${paneColours[i][j]}: ${JSON.stringify(counts)}`,
            )
          )
        );
      }
      await page.screenshot({ path: `${RESULTS}backtest-report.png`, fullPage: true });
      await page.screenshot({ path: `${RESULTS}backtest-report-top.png` });

      // Zoom with the wheel, then pan by dragging: the visible range changes accordingly.
      const range = () =>
        page.evaluate(() =>
          globalThis.backtestReport.datasets[0].chart.timeScale().getVisibleLogicalRange()
        );
      const box = (await page.locator(".chart").first().boundingBox())!;
      const mid = { x: box.x + box.width / 2, y: box.y + 150 };
      const before = (await range())!;
      await page.mouse.move(mid.x, mid.y);
      await page.mouse.wheel(0, -600);
      await page.waitForTimeout(300);
      const zoomed = (await range())!;
      assert(
        zoomed.to - zoomed.from < (before.to - before.from) * 0.97,
        `wheel did not zoom in: ${JSON.stringify([before, zoomed])}`,
      );
      await page.mouse.down();
      await page.mouse.move(mid.x + 200, mid.y, { steps: 8 });
      await page.mouse.up();
      await page.waitForTimeout(200);
      const panned = (await range())!;
      assert(
        panned.from < zoomed.from - 1,
        `drag did not pan: ${JSON.stringify([zoomed, panned])}`,
      );

      // Hover the longest trade of the first dataset (brought into view), then leave it.
      const data = payload.datasets[0];
      let k = 0;
      data.trades.forEach((t: ChartTrade, i: number) => {
        if (t.exitBar - t.entryBar > data.trades[k].exitBar - data.trades[k].entryBar) k = i;
      });
      const trade: ChartTrade = data.trades[k];
      // The stop is drawn on the price pane: vermillion pixels along the stop's row in the first
      // half of the trade (the exit marker, also vermillion for a stop, sits on the last bar).
      const stopPixels = () =>
        page.evaluate((t) => {
          const r = globalThis.backtestReport.datasets[0];
          const y = Math.round(r.candles.priceToCoordinate(t.stopLoss));
          const x1 = Math.round(r.chart.timeScale().logicalToCoordinate(t.entryBar)) + 1;
          const x2 = Math.round(
            r.chart.timeScale().logicalToCoordinate(
              Math.floor((t.entryBar + t.exitBar) / 2),
            ),
          );
          const canvases: Api[] = [
            ...r.chart.panes()[0].getHTMLElement().querySelectorAll("canvas"),
          ];
          const main = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
          const ratio = main.width / main.getBoundingClientRect().width;
          const px = main.getContext("2d").getImageData(
            Math.round(x1 * ratio),
            Math.round((y - 2) * ratio),
            Math.max(1, Math.round((x2 - x1) * ratio)),
            Math.round(5 * ratio),
          ).data;
          let n = 0;
          for (let p = 0; p < px.length; p += 4) {
            if (Math.abs(px[p] - 213) < 30 && Math.abs(px[p + 1] - 94) < 30 && px[p + 2] < 40) n++;
          }
          return { n, width: x2 - x1 };
        }, trade);
      await page.evaluate(([from, to]) => {
        globalThis.backtestReport.datasets[0].chart.timeScale().setVisibleLogicalRange({
          from,
          to,
        });
      }, [trade.entryBar - 60, trade.exitBar + 60]);
      await page.locator("#chart-0").scrollIntoViewIfNeeded();
      await page.mouse.move(5, 5);
      await page.waitForTimeout(200);
      const tradeLine = page.locator("#chart-0 .trade-line");
      assertEquals(await tradeLine.textContent(), "");
      const unhovered = await stopPixels();
      assertEquals(unhovered.n, 0, "no stop drawn before hovering");
      const point = await page.evaluate(
        (i) => globalThis.backtestReport.datasets[0].tradePoint(i),
        k,
      );
      assert(point, "trade is on screen");
      await page.mouse.move(point.x, point.y);
      await page.waitForTimeout(200);
      assertEquals(
        await page.evaluate(() => globalThis.backtestReport.datasets[0].shownTrade()),
        k,
      );
      const text = (await tradeLine.textContent()) ?? "";
      const d = data.priceDecimals;
      assert(text.includes(`SL ${trade.stopLoss.toFixed(d)}`), text);
      assert(
        text.includes(`TP ${trade.takeProfits.map((p) => p.toFixed(d)).join(" / ")}`),
        text,
      );
      const drawn = await stopPixels();
      assert(drawn.n >= drawn.width * 0.6, `no stop line: ${JSON.stringify([unhovered, drawn])}`);
      await page.locator("#chart-0").screenshot({ path: `${RESULTS}backtest-report-hover.png` });
      await page.mouse.move(5, 5);
      await page.waitForTimeout(200);
      assertEquals(await tradeLine.textContent(), "", "leaving the chart hides the trade");

      // A click on a trade-table row shows that trade.
      await page.locator('tr[data-ds="1"][data-trade="0"]').click();
      await page.waitForTimeout(200);
      assertEquals(
        await page.evaluate(() => globalThis.backtestReport.datasets[1].shownTrade()),
        0,
      );

      assertEquals(log.errors, [], "console errors");
      assertEquals(log.requests, [], "requests beyond the file itself");
    });
  },
});

/**
 * Objects inside the page (the report's `globalThis.backtestReport`, chart and DOM objects): typed
 * loosely because these callbacks run in chromium, not under Deno's types.
 */
// deno-lint-ignore no-explicit-any
type Api = any;

declare global {
  var backtestReport: Api;
}

/** A trade of the chart payload (scripts/lib/report/backtest_chart_data.ts). */
interface ChartTrade {
  entryBar: number;
  exitBar: number;
  stopLoss: number;
  takeProfits: number[];
}

/**
 * The chart of a signal card. With charts on (`DISCORD_CHART`, default on), discord-notify renders
 * each card's chart after the card's other work (its body is built, its candles loaded) and uploads
 * the PNG with the card as multipart `files[0]` named `chart.png` (`payload_json` carries the rest,
 * nonce included); the card's embed shows it as `image.url = "attachment://chart.png"`, and card
 * edits (status line) keep referring to the same attachment. A chart that fails (no candles stored,
 * a renderer error) or takes longer than its time limit ({@link withTimeout}) leaves the card
 * without it and is logged; the card is never held back for it.
 *
 * CPU: a warm render costs 35–55 ms of CPU, the first few in a new instance hundreds of ms each
 * (WebAssembly compilation, then V8 optimising it), so one sender run renders only as many charts as
 * its budget allows (chart_budget.ts) and hands the remaining cards to a fresh invocation (run.ts):
 * Supabase allows 2 s of CPU per request.
 */

import type { ChartThemeName } from "../../../shared/chart/types.ts";
import type { CardSignal } from "../_shared/db_api.ts";
import type { ConfidenceKind } from "../_shared/discord_card.ts";
import type { Deps } from "../_shared/deps.ts";
import { errorLine } from "../_shared/log.ts";
import { renderCardChart } from "../_shared/chart/card_chart.ts";

/** A rendered chart or why there is none (one line). */
export type CardChart = { ok: true; png: Uint8Array<ArrayBuffer> } | { ok: false; error: string };

/**
 * Renders the chart of `signal`, whose confidence is of kind `confidence` (the title's label);
 * resolves a failure instead of throwing.
 */
export type ChartRenderer = (
  signal: CardSignal,
  deps: Deps,
  confidence: ConfidenceKind,
) => Promise<CardChart>;

/** The production renderer: the stored candles up to the signal bar, drawn in `theme`. */
export function databaseChartRenderer(theme: ChartThemeName): ChartRenderer {
  return async (signal, deps, confidence) => {
    const r = await renderCardChart(deps.sql, signal, theme, confidence);
    return r.ok ? { ok: true, png: new Uint8Array(r.png) } : r;
  };
}

/** The renderer the settings ask for: none with `DISCORD_CHART=off`, else in `DISCORD_CHART_THEME`. */
export function chartRendererFor(env: Deps["env"]): ChartRenderer | null {
  return env.DISCORD_CHART === "off" ? null : databaseChartRenderer(env.DISCORD_CHART_THEME);
}

/**
 * `render` limited to `ms` of wall time: past it, resolves `{ ok: false }` ("chart timed out after
 * N ms") and the card goes on without its chart; the abandoned render's result is dropped. What it
 * bounds is waiting (loading the candles, a stalled connection): rasterising itself runs on the
 * same thread and cannot be interrupted, its cost is bounded by the chart's size (≤ 200 candles,
 * 800 × 450 px) and by the run's chart budget (chart_budget.ts).
 */
export function withTimeout(render: ChartRenderer, ms: number): ChartRenderer {
  return (signal, deps, confidence) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<CardChart>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: `chart timed out after ${ms} ms` }),
        ms,
      );
    });
    const drawn = render(signal, deps, confidence).catch((e): CardChart => ({
      ok: false,
      error: errorLine(e),
    }));
    return Promise.race([drawn, late]).finally(() => clearTimeout(timer));
  };
}

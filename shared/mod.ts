/**
 * The analyzer library: pure TypeScript (no I/O), usable from Deno, Edge Functions, the relay, the
 * backtester and browsers.
 *
 * @example
 * import { parseRestKlines, seriesFromCandles, analyzeSeries, parseAnalyzerConfig } from "./shared/mod.ts";
 * const signals = analyzeSeries(seriesFromCandles(parseRestKlines(rows)), parseAnalyzerConfig({}));
 */

export * from "./candles/mod.ts";
export * from "./indicators/mod.ts";
export * from "./patterns/mod.ts";
export * from "./signals/mod.ts";

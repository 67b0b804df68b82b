/**
 * The charting library inlined into the HTML backtest report: TradingView Lightweight Charts™
 * (Apache-2.0, https://github.com/tradingview/lightweight-charts), read from the npm package pinned
 * in deno.json, together with the licence text and attribution notice its licence asks us to pass on.
 */

import pkg from "lightweight-charts/package.json" with { type: "json" };

/** What the report needs from the library's npm package. */
export interface ChartLibrary {
  /** Package version, e.g. "5.2.1". */
  version: string;
  /** The standalone production build (defines `window.LightweightCharts`), with its licence header. */
  script: string;
  /** The package's licence header (`@license`, product, version, copyright, licence). */
  header: string;
  /** Apache License 2.0 text from the package's LICENSE file. */
  licenseText: string;
  /**
   * The attribution notice (the project's NOTICE file is not in the npm package; its text is the
   * product name, TradingView's copyright and https://www.tradingview.com/, as the README asks).
   */
  notice: string;
}

/**
 * The library's NOTICE file as of v5.2 (github.com/tradingview/lightweight-charts, NOTICE at commit
 * 871d2dd4, 2026-07); the npm package does not ship it.
 */
const NOTICE_TEXT = "TradingView Lightweight Charts™\n" +
  "Copyright (c) 2025 TradingView, Inc. https://www.tradingview.com/";

let cached: ChartLibrary | null = null;

/**
 * Reads the pinned lightweight-charts package from Deno's npm cache (or node_modules). Throws an
 * Error naming the file when the package is not installed (run `deno install`).
 */
export function chartLibrary(): ChartLibrary {
  if (cached) return cached;
  const base = import.meta.resolve("lightweight-charts/package.json");
  if (!base.startsWith("file:")) {
    throw new Error(`lightweight-charts ${pkg.version}: package not found on disk (${base})`);
  }
  const read = (rel: string) => {
    const url = new URL(rel, base);
    try {
      return Deno.readTextFileSync(url);
    } catch (e) {
      throw new Error(
        `lightweight-charts ${pkg.version}: cannot read ${url.pathname}: ${
          (e as Error).message.split("\n")[0]
        }`,
      );
    }
  };
  const script = read("dist/lightweight-charts.standalone.production.js");
  const header = script.match(/^\/\*![\s\S]*?\*\//)?.[0];
  if (!header || !header.includes("@license") || !header.includes(pkg.version)) {
    throw new Error(`lightweight-charts ${pkg.version}: standalone build has no licence header`);
  }
  const licenseText = read("LICENSE");
  if (!licenseText.includes("Apache License")) {
    throw new Error(`lightweight-charts ${pkg.version}: LICENSE is not the Apache License`);
  }
  cached = { version: pkg.version, script, header, licenseText, notice: NOTICE_TEXT };
  return cached;
}

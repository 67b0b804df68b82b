/**
 * Chart colours, light and dark, chosen to stay distinct for protan, deutan and tritan colour vision
 * (tests/chart/colours.test.ts simulates each with Machado et al. 2009 and checks the distances):
 * hues from the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008) with rising
 * candles blue, falling candles vermillion/orange (never red against green), targets bluish green,
 * stop vermillion/orange; the invalidation line is violet, because Okabe–Ito's reddish purple came
 * within ΔE 18 of the targets' green for deuteranopes. Every level also carries a text tag, so no
 * meaning rests on colour alone.
 */

import type { ChartThemeName } from "./types.ts";

/** The colours one chart uses. */
export interface ChartTheme {
  background: string;
  /** Main text and the entry line. */
  text: string;
  /** Axis labels and secondary text. */
  muted: string;
  grid: string;
  /** Rising candle (close ≥ open). */
  up: string;
  /** Falling candle. */
  down: string;
  /** Opacity of the volume bars. */
  volumeOpacity: number;
  entry: string;
  stop: string;
  target: string;
  invalidation: string;
  /** Wyckoff range fill and border. */
  range: string;
  /** Elliott count line and badge border. */
  wave: string;
  /** Text drawn on a coloured tag. */
  onTag: string;
}

const LIGHT: ChartTheme = {
  background: "#ffffff",
  text: "#1f2328",
  muted: "#59636e",
  grid: "#eaeef2",
  up: "#0072b2",
  down: "#d55e00",
  volumeOpacity: 0.45,
  entry: "#1f2328",
  stop: "#d55e00",
  target: "#009e73",
  invalidation: "#8b5cf6",
  range: "#56b4e9",
  wave: "#1f2328",
  onTag: "#ffffff",
};

const DARK: ChartTheme = {
  background: "#131722",
  text: "#e6e9ef",
  muted: "#9aa3b5",
  grid: "#232837",
  up: "#56b4e9",
  down: "#e69f00",
  volumeOpacity: 0.5,
  entry: "#e6e9ef",
  stop: "#e69f00",
  target: "#009e73",
  invalidation: "#8b5cf6",
  range: "#56b4e9",
  wave: "#f0e442",
  onTag: "#131722",
};

/** The colours of theme `name`. */
export function chartTheme(name: ChartThemeName): ChartTheme {
  return name === "dark" ? DARK : LIGHT;
}

/** Types of the signal chart: its input, its options and the drawing it produces. Pure data. */

import type { CandleSeries } from "../candles/types.ts";
import type { Signal } from "../signals/types.ts";

/**
 * The parts of a {@link Signal} the chart draws. A full `Signal` fits; so does a stored signal row
 * mapped back to these field names (`time` = the signal bar's open time in ms).
 */
export type ChartSignal = Pick<
  Signal,
  "time" | "direction" | "entry" | "stopLoss" | "takeProfits" | "confidence" | "patterns"
>;

/** Everything the chart reads: the candles up to the signal bar and the signal made at it. */
export interface ChartInput {
  /** Symbol shown in the title, e.g. "BTCUSDT". */
  symbol: string;
  /** Binance interval shown in the title, e.g. "1h". */
  interval: string;
  /**
   * Candles in open-time order that include the signal bar (`openTime === signal.time`). Candles
   * after the signal bar may be present and are ignored: nothing after the signal bar is drawn.
   */
  candles: CandleSeries;
  signal: ChartSignal;
}

/** Colour scheme name. */
export type ChartThemeName = "light" | "dark";

/** Layout options; every field is optional. */
export interface ChartOptions {
  theme?: ChartThemeName;
  /** Image width in px (default 800, at least 480). */
  width?: number;
  /** Image height in px (default 450, at least 300). */
  height?: number;
  /** Bars shown when the patterns start recently (default 120). */
  minBars?: number;
  /** Most bars shown: older pattern points are cut off (default 200). */
  maxBars?: number;
  /**
   * What the signal's `confidence` is, as the analyzer setting `confidence` says: "probability" (the
   * default: the calibrated chance of reaching TP1 before the stop, drawn "TP1 chance 42%") or
   * "score" (the fused score of the methods, drawn "score 42%").
   */
  confidence?: "probability" | "score";
}

/** A box in pixels (origin top left), used for label placement and its tests. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A filled and/or stroked SVG path in pixel coordinates. */
export interface PathShape {
  kind: "path";
  d: string;
  fill?: string;
  stroke?: string;
  strokeWidth?: number;
  /** SVG stroke-dasharray, e.g. "4 3". */
  dash?: string;
  /** Opacity of the fill (or of the stroke when there is no fill): never a group layer, which costs a full-canvas buffer. */
  opacity?: number;
  /** Pixel-aligned shapes (candles, grid) are drawn without anti-aliasing. */
  crisp?: boolean;
}

/** One line of text; `y` is the baseline. */
export interface TextShape {
  kind: "text";
  x: number;
  y: number;
  text: string;
  /** Font size in px. */
  size: number;
  fill: string;
  anchor: "start" | "middle" | "end";
  bold?: boolean;
  /** Outline colour drawn under the glyphs (usually the background) so text stays readable over marks. */
  halo?: string;
}

/** A circle (Elliott wave badges). */
export interface CircleShape {
  kind: "circle";
  cx: number;
  cy: number;
  r: number;
  fill: string;
  stroke?: string;
  strokeWidth?: number;
}

/** Drawing primitive, in painting order. */
export type Shape = PathShape | TextShape | CircleShape;

/** A finished drawing: size, background and shapes in painting order, plus the label boxes placed. */
export interface ChartScene {
  width: number;
  height: number;
  background: string;
  shapes: Shape[];
  /** Boxes of every text label (tags, wave badges, event labels, header), for overlap checks. */
  labels: Box[];
}

/** Raised for chart input the renderer cannot draw (no signal bar among the candles, bad prices). */
export class ChartError extends Error {
  override name = "ChartError";
}

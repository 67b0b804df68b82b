/**
 * The signal chart, pure part: chooses the candles (never past the signal bar), lays out candles,
 * volume, Elliott count, Wyckoff range and events, trade levels, axes and title as a scene, and
 * writes it as SVG. Rasterising to PNG lives in `supabase/functions/_shared/chart/`.
 */

export { chooseFrame, indexOfTime } from "./frame.ts";
export { boxesOverlap, placeLabel, stackLabels, textWidth } from "./label_layout.ts";
export { layoutSignalChart } from "./layout.ts";
export { decimalsForLevels, decimalsForStep, formatPrice } from "./price_format.ts";
export { CHART_FONT_FAMILY, sceneToSvg } from "./svg.ts";
export { type ChartTheme, chartTheme } from "./theme.ts";
export { priceTicks, timeTicks } from "./ticks.ts";
export {
  type Box,
  ChartError,
  type ChartInput,
  type ChartOptions,
  type ChartScene,
  type ChartSignal,
  type ChartThemeName,
  type Shape,
} from "./types.ts";

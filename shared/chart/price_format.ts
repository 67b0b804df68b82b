/**
 * Price labels that stay readable from 1e-8 to 1e6: fixed decimals chosen once per chart (so labels
 * line up), thousands separated by commas, never exponent notation.
 */

/** Most decimals any label uses (Binance quotes at most 8). */
export const MAX_DECIMALS = 8;

/**
 * Decimals for the trade levels of one chart: 6 significant digits of the smallest level, at least
 * 2, at most {@link MAX_DECIMALS} (104,512.30; 3,456.78; 0.00001956). The same rule as the text
 * reports (`scripts/lib/report/format.ts`), so the chart and the message show the same prices.
 */
export function decimalsForLevels(levels: readonly number[]): number {
  let min = Infinity;
  for (const v of levels) if (v > 0 && Number.isFinite(v) && v < min) min = v;
  if (min === Infinity) return 2;
  return clampDecimals(Math.max(2, 5 - Math.floor(Math.log10(min))));
}

/** Decimals that tell apart two ticks `step` apart (step 0.0025 → 4, step 500 → 0). */
export function decimalsForStep(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 2;
  // Round first so 0.30000000000000004 counts as 0.3.
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6 * 10 ** d * step) return d;
  }
  return MAX_DECIMALS;
}

function clampDecimals(d: number): number {
  return Math.max(0, Math.min(MAX_DECIMALS, d));
}

/** `price` with `decimals` fixed decimals and comma-separated thousands: 104512.3 → "104,512.30". */
export function formatPrice(price: number, decimals: number): string {
  if (!Number.isFinite(price)) return String(price);
  const fixed = Math.abs(price).toFixed(clampDecimals(decimals));
  const dot = fixed.indexOf(".");
  const int = dot < 0 ? fixed : fixed.slice(0, dot);
  const frac = dot < 0 ? "" : fixed.slice(dot);
  let grouped = "";
  for (let i = 0; i < int.length; i++) {
    if (i > 0 && (int.length - i) % 3 === 0) grouped += ",";
    grouped += int[i];
  }
  return (price < 0 ? "-" : "") + grouped + frac;
}

/**
 * Prices inside written descriptions and rationales (plain text, no thousands separators).
 */

/** Most decimals a price shows (Binance quotes at most 8). */
const MAX_DECIMALS = 8;

/**
 * A price for prose: 6 significant digits of its magnitude but at least 2 decimals and at most 8,
 * trailing zeros after the decimal point dropped, never exponent notation and never touching the
 * integer part (103800 → "103800", 103930.09 → "103930.09", 100 → "100", 0.5 → "0.5", 1e-8 →
 * "0.00000001"). The decimals follow the same rule as the chart labels
 * (`shared/chart/price_format.ts`). Non-finite input is printed as `String(x)`; never throws.
 */
export function priceText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const mag = Math.abs(x);
  const decimals = mag > 0
    ? Math.max(2, Math.min(MAX_DECIMALS, 5 - Math.floor(Math.log10(mag))))
    : 2;
  const fixed = x.toFixed(decimals);
  // Only the fraction loses its trailing zeros; "-0" (a tiny negative rounded away) becomes "0".
  const text = fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
  return text === "-0" ? "0" : text;
}

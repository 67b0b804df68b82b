/**
 * Numbers as traders read them in Discord messages: prices with sensible decimals and never in
 * exponent notation (1e-8 is `0.00000001`, 1e6 is `1000000.00`), signed percentages and R multiples.
 * Non-finite inputs print as "—" so a message never shows NaN.
 */

/**
 * A price: 2 decimals from 1,000 up, 2–4 from 1, else 6 significant digits written out in full
 * (`0.00012345`, `0.00000001`), trailing zeros trimmed; beyond 1e15 or below 1e-12 (no market
 * trades there) in exponent notation.
 */
export function formatPrice(x: number): string {
  if (!Number.isFinite(x)) return "—";
  const a = Math.abs(x);
  if (a >= 1e15 || (a > 0 && a < 1e-12)) return x.toExponential(4);
  if (a >= 1000) return x.toFixed(2);
  if (a >= 1) return x.toFixed(4).replace(/(\.\d\d\d*?)0+$/, "$1");
  if (a === 0) return "0";
  const decimals = 5 - Math.floor(Math.log10(a));
  return x.toFixed(decimals).replace(/(\.\d*?[1-9])0+$/, "$1");
}

/** `+1.32%` / `−0.66%`: the move from `from` to `to` in percent of `from` (2 decimals). */
export function formatPct(to: number, from: number): string {
  const p = ((to - from) / from) * 100;
  if (!Number.isFinite(p)) return "—";
  return `${p >= 0 ? "+" : "−"}${Math.abs(p).toFixed(2)}%`;
}

/** `+2.00 R` / `−1.00 R`: a result or distance in R multiples (2 decimals). */
export function formatR(r: number): string {
  if (!Number.isFinite(r)) return "—";
  const v = Math.abs(r) < 0.005 ? 0 : r;
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)} R`;
}

/** `72%` for a fraction in [0, 1]. */
export function formatShare(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : "—";
}

/** `2024-12-25 21:00 UTC` for a time in ms. */
export function formatUtc(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return "—"; // outside Date's range
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

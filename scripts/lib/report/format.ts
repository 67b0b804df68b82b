/** Number formatting shared by the text reports: prices with one number of decimals per table. */

/**
 * Decimals for a column of prices: enough for 6 significant digits on the smallest finite non-zero
 * magnitude, at least 2 and at most 8 (BTC at 97,465.06 and 102,946.50 both get 2; a coin at
 * 0.00001234 gets 8). One count per table keeps the decimal points aligned.
 */
export function priceDecimals(values: Iterable<number>): number {
  let min = Infinity;
  for (const v of values) {
    const a = Math.abs(v);
    if (Number.isFinite(a) && a > 0 && a < min) min = a;
  }
  if (min === Infinity) return 2;
  return Math.min(8, Math.max(2, 5 - Math.floor(Math.log10(min))));
}

/** `x` with `decimals` decimals, or "-" when not finite (warm-up). */
export function formatPrice(x: number, decimals: number): string {
  return Number.isFinite(x) ? x.toFixed(decimals) : "-";
}

/**
 * Pads a table's cells into columns two spaces apart and trims line ends. `align` has one letter per
 * column, `l` (left) or `r` (right); missing letters mean `r`, except the first column (default `l`).
 */
export function alignTable(rows: readonly string[][], align = "l"): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r.map((cell, c) => (align[c] === "l" ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join("  ").trimEnd()
  );
}

/**
 * Profit factor (gross profit / gross loss) for a table: 2 decimals; `∞` when there were winning
 * trades and no losing one (the library gives null there, as JSON has no infinity); `-` without wins
 * or trades.
 */
export function profitFactorText(pf: number | null, hasWins: boolean): string {
  if (pf !== null && Number.isFinite(pf)) return pf.toFixed(2);
  return hasWins ? "∞" : "-";
}

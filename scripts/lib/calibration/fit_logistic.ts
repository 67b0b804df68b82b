/**
 * Ridge-penalised logistic regression fitted by Newton's method (iteratively reweighted least
 * squares; P. McCullagh & J. A. Nelder, "Generalized Linear Models", 2nd ed., 1989, §4.4), on
 * standardised features. Deterministic; small problems only (a handful of features).
 */

/** A fitted model on standardised features: p = σ(intercept + Σ βᵢ (xᵢ − centerᵢ) / scaleᵢ). */
export interface LogisticFit {
  center: number[];
  scale: number[];
  coefficients: number[];
  intercept: number;
  /** Newton iterations used. */
  iterations: number;
}

/** Solves A x = b (A square, modified in place) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    [b[c], b[p]] = [b[p], b[c]];
    if (Math.abs(a[c][c]) < 1e-300) throw new RangeError("singular system in logistic fit");
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

/**
 * Fits P(y = 1 | x) on rows `x` (each `features` long) and outcomes `y` ∈ {0, 1}, with an L2
 * penalty `ridge` × Σβᵢ² on the standardised coefficients (not the intercept). Features are
 * centred on their mean and scaled by their standard deviation (1 when constant). Throws
 * RangeError on empty or ragged input.
 */
export function fitLogistic(x: number[][], y: number[], ridge = 1): LogisticFit {
  const n = x.length;
  if (n === 0 || y.length !== n) {
    throw new RangeError("logistic fit needs rows and one outcome each");
  }
  const d = x[0].length;
  if (x.some((r) => r.length !== d)) throw new RangeError("logistic fit: rows differ in length");
  const center = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) center[j] += r[j] / n;
  for (const r of x) for (let j = 0; j < d; j++) scale[j] += (r[j] - center[j]) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = scale[j] > 1e-24 ? Math.sqrt(scale[j]) : 1;
  const z = x.map((r) => [1, ...r.map((v, j) => (v - center[j]) / scale[j])]);
  const beta = new Array<number>(d + 1).fill(0);
  const mean = y.reduce((s, v) => s + v, 0) / n;
  beta[0] = Math.log(Math.max(1e-9, mean) / Math.max(1e-9, 1 - mean));
  let it = 0;
  for (; it < 100; it++) {
    const g = new Array<number>(d + 1).fill(0);
    const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      let eta = 0;
      for (let j = 0; j <= d; j++) eta += beta[j] * z[i][j];
      const p = 1 / (1 + Math.exp(-eta));
      const w = p * (1 - p);
      for (let j = 0; j <= d; j++) {
        g[j] += (y[i] - p) * z[i][j];
        for (let k = 0; k <= d; k++) h[j][k] += w * z[i][j] * z[i][k];
      }
    }
    for (let j = 1; j <= d; j++) {
      g[j] -= ridge * beta[j];
      h[j][j] += ridge;
    }
    const step = solve(h, g);
    let size = 0;
    for (let j = 0; j <= d; j++) {
      beta[j] += step[j];
      size = Math.max(size, Math.abs(step[j]));
    }
    if (size < 1e-12) {
      it++;
      break;
    }
  }
  return { center, scale, coefficients: beta.slice(1), intercept: beta[0], iterations: it };
}

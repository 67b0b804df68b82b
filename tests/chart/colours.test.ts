/**
 * The chart's colours stay apart for colour-blind readers: each pair a trader must tell apart keeps a
 * CIELAB distance (ΔE*76) of at least 30 under simulated protanopia, deuteranopia and tritanopia
 * (full severity, Machado, Oliveira & Fernandes, "A physiologically-based model for simulation of
 * color vision deficiency", IEEE TVCG 2009: matrices applied to linear sRGB), and rising against
 * falling candles at least 80.
 */

import { ok as assert } from "node:assert/strict";
import { type ChartTheme, chartTheme } from "../../shared/chart/theme.ts";

const VISION: Record<string, number[][]> = {
  normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

function linear(c: number): number {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** CIELAB (D65) of `hex` as seen with `vision`. */
function lab(hex: string, vision: number[][]): [number, number, number] {
  const rgb = [1, 3, 5].map((i) => linear(parseInt(hex.slice(i, i + 2), 16)));
  const [r, g, b] = vision.map((row) =>
    Math.min(1, Math.max(0, row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]))
  );
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function deltaE(a: string, b: string, vision: number[][]): number {
  const p = lab(a, vision);
  const q = lab(b, vision);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

const PAIRS: [keyof ChartTheme, keyof ChartTheme, number][] = [
  ["up", "down", 80],
  ["target", "stop", 30],
  ["target", "invalidation", 30],
  ["stop", "invalidation", 30],
  ["entry", "stop", 30],
  ["entry", "target", 30],
  ["entry", "invalidation", 30],
  ["up", "background", 30],
  ["down", "background", 30],
  ["target", "background", 30],
  ["stop", "background", 30],
  ["invalidation", "background", 30],
  ["wave", "background", 30],
  ["range", "background", 30],
  ["muted", "background", 30],
];

for (const name of ["light", "dark"] as const) {
  Deno.test(`${name} theme: colours a trader must tell apart stay apart for colour-blind vision`, () => {
    const t = chartTheme(name);
    const misses: string[] = [];
    for (const [a, b, min] of PAIRS) {
      for (const [vision, m] of Object.entries(VISION)) {
        const d = deltaE(t[a] as string, t[b] as string, m);
        if (d < min) misses.push(`${a}/${b} under ${vision}: ΔE ${d.toFixed(1)} < ${min}`);
      }
    }
    assert(misses.length === 0, misses.join("\n"));
  });
}

Deno.test("the colour-vision simulation separates red from green for normal vision only", () => {
  // The oracle itself: pure red and green are far apart normally and close for a deuteranope.
  assert(deltaE("#ff0000", "#00ff00", VISION.normal) > 100);
  assert(deltaE("#d62728", "#2ca02c", VISION.deuteranopia) < 30);
});

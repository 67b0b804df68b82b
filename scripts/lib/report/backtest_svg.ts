/** Small SVG line charts for the HTML backtest report (drawn by hand: no library, works offline). */

/** One line of a chart: values at times, drawn in `color`. */
export interface Line {
  label: string;
  color: string;
  times: ArrayLike<number>;
  values: ArrayLike<number>;
  /** Fill the area between the line and zero. */
  area?: boolean;
}

/** A point marker (trade entry or exit) with a tooltip. */
export interface Marker {
  time: number;
  value: number;
  shape: "up" | "down" | "dot";
  color: string;
  title: string;
}

const W = 1000;
const PAD_L = 70;
const PAD_R = 10;
const PAD_T = 10;
const PAD_B = 24;

/** Escapes text for HTML/SVG. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Indices to draw for a line of `n` points: every point, or min and max of ~`buckets` buckets. */
export function downsample(values: ArrayLike<number>, buckets = 1200): number[] {
  const n = values.length;
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const a = Math.floor(b * size);
    const e = Math.min(n, Math.floor((b + 1) * size));
    let lo = a;
    let hi = a;
    for (let i = a; i < e; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    if (lo === hi) out.push(lo);
    else out.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  return out;
}

function niceNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e5) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** An SVG chart of `lines` (shared axes) with `markers`; `unit` is appended to y labels. */
export function lineChart(lines: Line[], markers: Marker[] = [], height = 260, unit = ""): string {
  let t0 = Infinity;
  let t1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.values.length; i++) {
      const v = l.values[i];
      if (!Number.isFinite(v)) continue;
      if (v < y0) y0 = v;
      if (v > y1) y1 = v;
    }
    if (l.times.length) {
      t0 = Math.min(t0, l.times[0]);
      t1 = Math.max(t1, l.times[l.times.length - 1]);
    }
    if (l.area) {
      y0 = Math.min(y0, 0);
      y1 = Math.max(y1, 0);
    }
  }
  for (const m of markers) {
    y0 = Math.min(y0, m.value);
    y1 = Math.max(y1, m.value);
  }
  if (!Number.isFinite(t0) || !Number.isFinite(y0)) {
    return `<svg viewBox="0 0 ${W} ${height}"></svg>`;
  }
  if (y1 === y0) y1 = y0 + 1;
  if (t1 === t0) t1 = t0 + 1;
  const pad = (y1 - y0) * 0.04;
  y0 -= pad;
  y1 += pad;
  const x = (t: number) => PAD_L + ((t - t0) / (t1 - t0)) * (W - PAD_L - PAD_R);
  const y = (v: number) => PAD_T + (1 - (v - y0) / (y1 - y0)) * (height - PAD_T - PAD_B);
  const parts: string[] = [
    `<svg viewBox="0 0 ${W} ${height}" role="img" xmlns="http://www.w3.org/2000/svg">`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = y0 + ((y1 - y0) * k) / 4;
    const yy = y(v).toFixed(1);
    parts.push(
      `<line x1="${PAD_L}" x2="${W - PAD_R}" y1="${yy}" y2="${yy}" class="grid"/>`,
      `<text x="${PAD_L - 6}" y="${yy}" class="ylab">${niceNumber(v)}${unit}</text>`,
    );
  }
  for (let k = 0; k <= 5; k++) {
    const t = t0 + ((t1 - t0) * k) / 5;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${height - 6}" class="xlab"${
        k === 0 ? ' style="text-anchor:start"' : k === 5 ? ' style="text-anchor:end"' : ""
      }>${new Date(t).toISOString().slice(0, 10)}</text>`,
    );
  }
  for (const l of lines) {
    const idx = downsample(l.values);
    const pts = idx.filter((i) => Number.isFinite(l.values[i]))
      .map((i) => `${x(l.times[i]).toFixed(1)},${y(l.values[i]).toFixed(1)}`);
    if (!pts.length) continue;
    if (l.area) {
      const base = y(0).toFixed(1);
      const first = pts[0].split(",")[0];
      const last = pts[pts.length - 1].split(",")[0];
      parts.push(
        `<polygon points="${first},${base} ${pts.join(" ")} ${last},${base}" fill="${l.color}" ` +
          `fill-opacity="0.3" stroke="${l.color}" stroke-width="1"><title>${
            esc(l.label)
          }</title></polygon>`,
      );
    } else {
      parts.push(
        `<polyline points="${pts.join(" ")}" fill="none" stroke="${l.color}" stroke-width="1.2">` +
          `<title>${esc(l.label)}</title></polyline>`,
      );
    }
  }
  for (const m of markers) {
    const mx = x(m.time);
    const my = y(m.value);
    const shape = m.shape === "dot"
      ? `<circle cx="${mx.toFixed(1)}" cy="${my.toFixed(1)}" r="3"`
      : `<polygon points="${
        m.shape === "up"
          ? `${mx - 5},${my + 8} ${mx + 5},${my + 8} ${mx},${my}`
          : `${mx - 5},${my - 8} ${mx + 5},${my - 8} ${mx},${my}`
      }"`;
    parts.push(
      `${shape} fill="${m.color}"><title>${esc(m.title)}</title>${
        m.shape === "dot" ? "</circle>" : "</polygon>"
      }`,
    );
  }
  let lx = PAD_L + 8;
  for (const l of lines) {
    parts.push(
      `<rect x="${lx}" y="${PAD_T + 4}" width="10" height="10" fill="${l.color}"/>`,
      `<text x="${lx + 14}" y="${PAD_T + 13}" class="legend">${esc(l.label)}</text>`,
    );
    lx += 24 + l.label.length * 7;
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/**
 * Lays out the signal chart: candles with volume, the Elliott count, the Wyckoff range and events,
 * the trade levels with their tags, axes, title and legend, as a {@link ChartScene} (pixel
 * coordinates, painting order). Pure and deterministic: the same input gives the same scene.
 */

import type { CandleSeries } from "../candles/types.ts";
import type { WavePoint, WyckoffEvent } from "../patterns/types.ts";
import {
  candleExtent,
  type ChartFrame,
  checkPrices,
  chooseFrame,
  indexOfTime,
  latestRange,
  rangeStartRow,
} from "./frame.ts";
import { placeLabel, stackLabels, textWidth } from "./label_layout.ts";
import { decimalsForLevels, decimalsForStep, formatPrice } from "./price_format.ts";
import { type ChartTheme, chartTheme } from "./theme.ts";
import { priceTicks, timeTicks, utcMinute } from "./ticks.ts";
import type {
  Box,
  ChartInput,
  ChartOptions,
  ChartScene,
  PathShape,
  Shape,
  TextShape,
} from "./types.ts";

/** Most candles a chart shows by default (`ChartOptions.maxBars`): callers load no more than this plus the pattern points. */
export const DEFAULT_MAX_BARS = 200;

const TITLE = 14;
const SMALL = 11;
const AXIS = 10;
const TAG = 11;
const TAG_H = 15;

/** Rounds to 2 decimals (keeps the SVG short and deterministic). */
function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Box of a one-line text whose baseline is at `y`. */
function textBox(t: TextShape): Box {
  const w = textWidth(t.text, t.size);
  const x = t.anchor === "start" ? t.x : t.anchor === "end" ? t.x - w : t.x - w / 2;
  return { x, y: t.y - t.size * 0.8, w, h: t.size };
}

/** Shortens `s` with "…" so it fits `width` px at `size`. */
function fit(s: string, width: number, size: number): string {
  const max = Math.floor(width / (size * 0.6));
  return s.length <= max ? s : s.slice(0, Math.max(0, max - 1)) + "…";
}

/** Everything the drawing steps share. */
interface Ctx {
  input: ChartInput;
  c: CandleSeries;
  f: ChartFrame;
  t: ChartTheme;
  W: number;
  H: number;
  /** Price panel: top, bottom. */
  pt: number;
  pb: number;
  /** Volume panel: top, bottom. */
  vt: number;
  vb: number;
  /** Left edge, signal bar centre, tag column left edge, plot right edge (price axis to its right). */
  xL: number;
  xSig: number;
  xTag: number;
  xR: number;
  pitch: number;
  lo: number;
  hi: number;
  /** Decimals of the price axis (enough to tell ticks apart) and of the level tags. */
  axisDecimals: number;
  decimals: number;
  shapes: Shape[];
  labels: Box[];
  /** Candle boxes (high to low): labels avoid covering them when they can. */
  marks: Box[];
  /** What the signal's confidence is (title label). */
  confidence: "probability" | "score";
}

function xOf(k: Ctx, row: number): number {
  return k.xL + (row - k.f.start + 0.5) * k.pitch;
}

function yOf(k: Ctx, price: number): number {
  return k.pt + ((k.hi - price) / (k.hi - k.lo)) * (k.pb - k.pt);
}

function text(k: Ctx, t: Omit<TextShape, "kind">, record = true): void {
  const shape: TextShape = { kind: "text", ...t, x: r2(t.x), y: r2(t.y) };
  k.shapes.push(shape);
  if (record) k.labels.push(textBox(shape));
}

function path(k: Ctx, p: Omit<PathShape, "kind">): void {
  if (p.d) k.shapes.push({ kind: "path", ...p });
}

/** Trade levels with their tag text and style, top to bottom in price order later. */
interface Level {
  name: string;
  price: number;
  color: string;
  dash?: string;
}

function levels(k: Ctx): Level[] {
  const s = k.input.signal;
  const out: Level[] = [
    { name: "TP3", price: s.takeProfits[2], color: k.t.target, dash: "6 3" },
    { name: "TP2", price: s.takeProfits[1], color: k.t.target, dash: "6 3" },
    { name: "TP1", price: s.takeProfits[0], color: k.t.target, dash: "6 3" },
    { name: "Entry", price: s.entry, color: k.t.entry },
    { name: "SL", price: s.stopLoss, color: k.t.stop, dash: "6 3" },
  ];
  const e = s.patterns.elliott;
  if (e) out.push({ name: "Inval", price: e.invalidation, color: k.t.invalidation, dash: "2 3" });
  return out;
}

function setup(input: ChartInput, o: ChartOptions): Ctx {
  const W = Math.max(480, Math.round(o.width ?? 800));
  const H = Math.max(300, Math.round(o.height ?? 450));
  const maxBars = Math.max(10, Math.round(o.maxBars ?? DEFAULT_MAX_BARS));
  const minBars = Math.min(maxBars, Math.max(10, Math.round(o.minBars ?? 120)));
  const f = chooseFrame(input, minBars, maxBars);
  checkPrices(input, f);
  const c = input.candles;
  const s = input.signal;
  const ext = candleExtent(c, f);
  let lo = ext.lo;
  let hi = ext.hi;
  const extra = [s.entry, s.stopLoss, ...s.takeProfits];
  if (s.patterns.elliott) extra.push(s.patterns.elliott.invalidation);
  const ranged = latestRange(s.patterns.wyckoff);
  if (ranged) extra.push(ranged.range.support, ranged.range.resistance);
  for (const p of extra) {
    lo = Math.min(lo, p);
    hi = Math.max(hi, p);
  }
  const pt = 48;
  const pb = H - 104;
  // 30 px above the highest and below the lowest price, room for wave badges and event labels.
  const pad = ((hi - lo) || hi * 0.01) * 30 / (pb - pt - 60);
  lo -= pad;
  hi += pad;
  const vt = pb + 8;
  const vb = H - 42;
  const ticks = priceTicks(lo, hi, Math.max(3, Math.round((pb - pt) / 45)));
  const axisDecimals = decimalsForStep(ticks.step);
  const levelList = levels({ input, t: chartTheme("light") } as Ctx);
  const decimals = decimalsForLevels(levelList.map((l) => l.price));
  const axisChars = Math.max(...ticks.ticks.map((p) => formatPrice(p, axisDecimals).length), 4);
  const xR = W - Math.ceil(textWidth("0".repeat(axisChars), AXIS)) - 14;
  const tagChars = Math.max(
    ...levelList.map((l) => `${l.name.padEnd(5)} ${formatPrice(l.price, decimals)}`.length),
  );
  const xTag = xR - Math.ceil(textWidth("0".repeat(tagChars), TAG)) - 12;
  const xSig = xTag - 40;
  const xL = 10;
  const pitch = (xSig - xL) / (f.bars - 0.5);
  return {
    input,
    c,
    f,
    t: chartTheme(o.theme ?? "light"),
    W,
    H,
    pt,
    pb,
    vt,
    vb,
    xL,
    xSig,
    xTag,
    xR,
    pitch,
    lo,
    hi,
    axisDecimals,
    decimals,
    shapes: [],
    labels: [],
    marks: [],
    confidence: o.confidence ?? "probability",
  };
}

function drawGrid(k: Ctx): void {
  const { ticks } = priceTicks(k.lo, k.hi, Math.max(3, Math.round((k.pb - k.pt) / 45)));
  let grid = "";
  for (const p of ticks) {
    const y = Math.round(yOf(k, p)) + 0.5;
    if (y < k.pt + 6 || y > k.pb - 4) continue;
    grid += `M${k.xL} ${y}H${k.xR}`;
    text(k, {
      x: k.xR + 6,
      y: y + 3.5,
      text: formatPrice(p, k.axisDecimals),
      size: AXIS,
      fill: k.t.muted,
      anchor: "start",
    });
  }
  const times = k.c.openTime.subarray(k.f.start, k.f.end + 1);
  for (const tick of timeTicks(times, k.pitch)) {
    const x = Math.round(xOf(k, k.f.start + tick.index)) + 0.5;
    if (x > k.xSig + 1) continue;
    grid += `M${x} ${k.pt}V${k.vb}`;
    const w = textWidth(tick.text, AXIS);
    const cx = Math.min(Math.max(x, k.xL + w / 2), k.xR - w / 2);
    text(k, {
      x: cx,
      y: k.vb + 14,
      text: tick.text,
      size: AXIS,
      fill: k.t.muted,
      anchor: "middle",
    });
  }
  path(k, { d: grid, stroke: k.t.grid, strokeWidth: 1, crisp: true });
  // Panel borders: price panel bottom and the axis line.
  path(k, {
    d: `M${k.xL} ${k.vt - 4.5}H${k.xR}M${k.xR + 0.5} ${k.pt}V${k.vb}`,
    stroke: k.t.grid,
    strokeWidth: 1,
    crisp: true,
  });
}

function drawCandles(k: Ctx): void {
  const { c, f, t } = k;
  const body = Math.max(1, 2 * Math.floor(k.pitch * 0.36) + 1);
  let maxVol = 0;
  for (let i = f.start; i <= f.end; i++) maxVol = Math.max(maxVol, c.volume[i]);
  const parts = { upBody: "", downBody: "", upWick: "", downWick: "", upVol: "", downVol: "" };
  for (let i = f.start; i <= f.end; i++) {
    const up = c.close[i] >= c.open[i];
    const left = Math.round(xOf(k, i) - body / 2);
    const wx = left + Math.floor(body / 2) + 0.5;
    const yH = yOf(k, c.high[i]);
    const yL = yOf(k, c.low[i]);
    const yO = yOf(k, c.open[i]);
    const yC = yOf(k, c.close[i]);
    const top = Math.round(Math.min(yO, yC));
    const h = Math.max(1, Math.round(Math.max(yO, yC)) - top);
    const wick = `M${wx} ${Math.round(yH)}V${Math.max(Math.round(yL), Math.round(yH) + 1)}`;
    k.marks.push({ x: left, y: yH, w: body, h: Math.max(1, yL - yH) });
    const rect = `M${left} ${top}h${body}v${h}h${-body}z`;
    const vh = maxVol > 0
      ? Math.max(c.volume[i] > 0 ? 1 : 0, (c.volume[i] / maxVol) * (k.vb - k.vt))
      : 0;
    const vol = vh > 0 ? `M${left} ${Math.round(k.vb - vh)}h${body}V${k.vb}h${-body}z` : "";
    if (up) {
      parts.upBody += rect;
      parts.upWick += wick;
      parts.upVol += vol;
    } else {
      parts.downBody += rect;
      parts.downWick += wick;
      parts.downVol += vol;
    }
  }
  path(k, { d: parts.upVol, fill: t.up, opacity: t.volumeOpacity, crisp: true });
  path(k, { d: parts.downVol, fill: t.down, opacity: t.volumeOpacity, crisp: true });
  text(k, {
    x: k.xL + 2,
    y: k.vt + 9,
    text: "volume",
    size: AXIS,
    fill: k.t.muted,
    anchor: "start",
  });
  path(k, { d: parts.upWick, stroke: t.up, strokeWidth: 1, crisp: true });
  path(k, { d: parts.downWick, stroke: t.down, strokeWidth: 1, crisp: true });
  path(k, { d: parts.upBody, fill: t.up, crisp: true });
  path(k, { d: parts.downBody, fill: t.down, crisp: true });
}

function drawRange(k: Ctx): void {
  const ranged = latestRange(k.input.signal.patterns.wyckoff);
  if (!ranged) return;
  const row = rangeStartRow(k.c, ranged);
  if (row === null) return;
  const x0 = Math.max(k.xL, xOf(k, Math.max(row, k.f.start)) - k.pitch / 2);
  const x1 = k.xSig + k.pitch / 2;
  const yTop = yOf(k, ranged.range.resistance);
  const yBot = yOf(k, ranged.range.support);
  path(k, {
    d: `M${r2(x0)} ${r2(yTop)}H${r2(x1)}V${r2(yBot)}H${r2(x0)}z`,
    fill: k.t.range,
    opacity: 0.12,
  });
  path(k, {
    d: `M${r2(x0)} ${r2(yTop)}H${r2(x1)}M${r2(x0)} ${r2(yBot)}H${r2(x1)}`,
    stroke: k.t.range,
    strokeWidth: 1,
    dash: "5 3",
  });
}

/** Label for the range, placed once candles and waves are down (it yields to them). */
function labelRange(k: Ctx): void {
  const ranged = latestRange(k.input.signal.patterns.wyckoff);
  if (!ranged) return;
  const row = rangeStartRow(k.c, ranged);
  if (row === null) return;
  const s = "Wyckoff range";
  const w = textWidth(s, AXIS);
  const x0 = Math.max(k.xL, xOf(k, Math.max(row, k.f.start)) - k.pitch / 2) + 3;
  const yTop = yOf(k, ranged.range.resistance);
  const yBot = yOf(k, ranged.range.support);
  const box = placeLabel(
    [yTop - AXIS - 3, yBot + 3, yTop + 3, yBot - AXIS - 3].flatMap((y) =>
      [0, 40, 80, 120].map((dx) => ({ x: x0 + dx, y }))
    ),
    w,
    AXIS,
    { x: k.xL, y: k.pt, w: k.xTag - k.xL, h: k.pb - k.pt },
    k.labels,
    k.marks,
  );
  text(k, {
    x: box.x,
    y: box.y + AXIS * 0.8,
    text: s,
    size: AXIS,
    fill: k.t.muted,
    anchor: "start",
    halo: k.t.background,
  }, false);
}

/** True when wave point `k` of `waves` is a swing high (above its neighbours). */
function isHigh(waves: readonly WavePoint[], i: number): boolean {
  const p = waves[i].price;
  const nb = waves[i === 0 ? 1 : i - 1]?.price ?? p;
  return p > nb;
}

function drawWaves(k: Ctx): void {
  const e = k.input.signal.patterns.elliott;
  if (!e) return;
  const pts: { x: number; y: number; w: WavePoint; high: boolean }[] = [];
  e.waves.forEach((w, i) => {
    const row = indexOfTime(k.c, w.time);
    if (row < k.f.start || row > k.f.end) return;
    pts.push({ x: xOf(k, row), y: yOf(k, w.price), w, high: isHigh(e.waves, i) });
  });
  if (pts.length < 2) return;
  path(k, {
    d: pts.map((p, i) => `${i ? "L" : "M"}${r2(p.x)} ${r2(p.y)}`).join(""),
    stroke: k.t.wave,
    strokeWidth: 1.5,
    opacity: 0.85,
  });
  const R = 7.5;
  const bounds = { x: k.xL, y: k.pt, w: k.xTag - k.xL, h: k.pb - k.pt };
  for (const p of pts) {
    if (p.w.label === "0") continue;
    const dir = p.high ? -1 : 1;
    const cands = [6, 18, 30, 42].map((off) => ({
      x: p.x - R,
      y: p.y + dir * (off + R) - R,
    }));
    for (const side of [-1, 1]) cands.push({ x: p.x + side * (R + 8) - R, y: p.y - R });
    cands.push({ x: p.x - R, y: p.y - dir * (6 + R) - R });
    const box = placeLabel(cands, 2 * R, 2 * R, bounds, k.labels, k.marks);
    const cx = r2(box.x + R);
    const cy = r2(box.y + R);
    k.shapes.push({
      kind: "circle",
      cx,
      cy,
      r: R,
      fill: k.t.background,
      stroke: k.t.wave,
      strokeWidth: 1.5,
    });
    text(k, {
      x: cx,
      y: cy + 3.5,
      text: p.w.label,
      size: AXIS,
      fill: k.t.text,
      anchor: "middle",
      bold: true,
    }, false);
  }
}

const EVENT_NAMES: Record<WyckoffEvent["kind"], string> = {
  spring: "Spring",
  upthrust: "Upthrust",
  sos: "SOS",
  sow: "SOW",
};

/** Where an event's marker sits: the triangle tip and base y and the bar's x. */
function eventMarker(
  k: Ctx,
  e: WyckoffEvent,
): { x: number; tip: number; base: number; row: number } | null {
  const row = indexOfTime(k.c, e.time);
  if (row < k.f.start || row > k.f.end) return null;
  const long = e.direction === "long";
  const tip = long ? yOf(k, k.c.low[row]) + 4 : yOf(k, k.c.high[row]) - 4;
  return { x: xOf(k, row), tip, base: tip + (long ? 8 : -8), row };
}

/** Triangles under (long) or over (short) each Wyckoff event's bar, before any label is placed. */
function drawEventMarkers(k: Ctx): void {
  for (const e of k.input.signal.patterns.wyckoff) {
    const m = eventMarker(k, e);
    if (!m) continue;
    const { x, tip, base } = m;
    path(k, {
      d: `M${r2(x)} ${r2(tip)}L${r2(x - 5)} ${r2(base)}L${r2(x + 5)} ${r2(base)}z`,
      fill: e.direction === "long" ? k.t.up : k.t.down,
    });
    k.labels.push({ x: x - 5, y: Math.min(tip, base), w: 10, h: 8 });
  }
}

/** Each event's name and volume ratio, next to its marker where no other label is. */
function drawEventLabels(k: Ctx): void {
  const bounds = { x: k.xL, y: k.pt, w: k.xTag - k.xL, h: k.pb - k.pt };
  for (const e of k.input.signal.patterns.wyckoff) {
    const m = eventMarker(k, e);
    if (!m) continue;
    const { x, tip, base, row } = m;
    const long = e.direction === "long";
    const color = long ? k.t.up : k.t.down;
    const label = `${EVENT_NAMES[e.kind]} ${e.volumeRatio.toFixed(1)}× vol`;
    const w = textWidth(label, SMALL);
    const cands: { x: number; y: number }[] = [];
    for (const off of [2, 16, 30, 44, 58]) {
      const y = long ? base + off : base - off - SMALL;
      cands.push({ x: x - w / 2, y }, { x: x - w + 6, y }, { x: x - 6, y });
    }
    // Beside the bar, then on the other side of it.
    const mid = (tip + base) / 2 - SMALL / 2;
    cands.push({ x: x - w - 8, y: mid }, { x: x + 8, y: mid });
    const far = long ? yOf(k, k.c.high[row]) - 6 - SMALL : yOf(k, k.c.low[row]) + 6;
    cands.push({ x: x - w / 2, y: far }, { x: x - w + 6, y: far });
    const box = placeLabel(cands, w, SMALL, bounds, k.labels, k.marks);
    text(k, {
      x: box.x,
      y: box.y + SMALL * 0.8,
      text: label,
      size: SMALL,
      fill: color,
      anchor: "start",
      bold: true,
      halo: k.t.background,
    }, false);
  }
}

function drawSignalBar(k: Ctx): void {
  const x = Math.round(k.xSig) + 0.5;
  path(k, {
    d: `M${x} ${k.pt}V${k.pb}`,
    stroke: k.t.muted,
    strokeWidth: 1,
    dash: "2 3",
    crisp: true,
  });
}

function drawLevels(k: Ctx): void {
  const s = k.input.signal;
  const ls = levels(k);
  const x0 = k.xSig;
  const x1 = k.xTag - 4;
  const yE = yOf(k, s.entry);
  const yS = yOf(k, s.stopLoss);
  const yT = yOf(k, s.takeProfits[2]);
  path(k, {
    d: `M${r2(x0)} ${r2(yE)}H${r2(x1)}V${r2(yT)}H${r2(x0)}z`,
    fill: k.t.target,
    opacity: 0.1,
  });
  path(k, {
    d: `M${r2(x0)} ${r2(yE)}H${r2(x1)}V${r2(yS)}H${r2(x0)}z`,
    fill: k.t.stop,
    opacity: 0.12,
  });
  const ys = ls.map((l) => yOf(k, l.price));
  const placed = stackLabels(ys, TAG_H, 2, k.pt, k.pb);
  ls.forEach((l, i) => {
    const y = r2(ys[i]);
    path(k, {
      d: `M${r2(x0)} ${y}H${r2(x1)}`,
      stroke: l.color,
      strokeWidth: l.name === "Entry" ? 1.5 : 1.2,
      dash: l.dash,
    });
    const ty = r2(placed[i]);
    if (Math.abs(ty - y) > 0.5) {
      path(k, { d: `M${r2(x1)} ${y}L${k.xTag} ${ty}`, stroke: l.color, strokeWidth: 1 });
    }
    const label = `${l.name.padEnd(5)} ${formatPrice(l.price, k.decimals)}`;
    const box = { x: k.xTag, y: ty - TAG_H / 2, w: k.xR - 2 - k.xTag, h: TAG_H };
    path(k, {
      d: `M${r2(box.x)} ${r2(box.y)}h${r2(box.w)}v${box.h}h${-r2(box.w)}z`,
      fill: l.color,
    });
    k.labels.push(box);
    text(k, {
      x: k.xTag + 5,
      y: ty + 4,
      text: label,
      size: TAG,
      fill: k.t.onTag,
      anchor: "start",
      bold: l.name === "Entry",
    }, false);
  });
}

function riskReward(k: Ctx): string {
  const s = k.input.signal;
  const risk = Math.abs(s.entry - s.stopLoss);
  if (!(risk > 0)) return "";
  return "TP1-3 at " +
    s.takeProfits.map((tp) => (Math.abs(tp - s.entry) / risk).toFixed(1)).join(" / ") + " R";
}

function summary(k: Ctx): string {
  const p = k.input.signal.patterns;
  const parts: string[] = [];
  const e = p.elliott;
  if (e) {
    const what = e.kind === "impulse" ? "impulse 1-5" : "ABC correction";
    parts.push(`Elliott ${what} ${e.trend} (score ${e.score.toFixed(2)})`);
  }
  for (const w of p.wyckoff) {
    parts.push(`Wyckoff ${EVENT_NAMES[w.kind]} on ${w.volumeRatio.toFixed(1)}× volume`);
  }
  if (p.phase !== "undetermined") parts.push(`phase ${p.phase}`);
  return parts.join(" · ");
}

function drawHeader(k: Ctx): void {
  const s = k.input.signal;
  const title = `${k.input.symbol} · ${k.input.interval} · ${utcMinute(s.time)}`;
  text(k, {
    x: k.xL,
    y: 20,
    text: title,
    size: TITLE,
    fill: k.t.text,
    anchor: "start",
    bold: true,
  });
  const dir = s.direction.toUpperCase();
  const pct = `${Math.round(s.confidence * 100)}%`;
  const label = k.confidence === "score" ? `score ${pct}` : `TP1 chance ${pct}`;
  const conf = `${label}  ·  ${riskReward(k)}`;
  text(k, { x: k.W - 10, y: 20, text: conf, size: SMALL, fill: k.t.muted, anchor: "end" });
  const confW = textWidth(conf, SMALL);
  text(k, {
    x: k.W - 10 - confW - 10,
    y: 20,
    text: dir,
    size: TITLE,
    fill: s.direction === "long" ? k.t.up : k.t.down,
    anchor: "end",
    bold: true,
  });
  text(k, {
    x: k.xL,
    y: 38,
    text: fit(summary(k), k.W - 20, SMALL),
    size: SMALL,
    fill: k.t.muted,
    anchor: "start",
  });
}

function drawLegend(k: Ctx): void {
  const y = k.H - 10;
  let x = k.xL;
  const swatch = (color: string, label: string, kind: "box" | "line" | "vline", dash?: string) => {
    const sx = x + (kind === "box" ? 11 : kind === "vline" ? 7 : 19);
    if (sx + textWidth(label, AXIS) > k.W - 10) return; // a narrow image drops the last items
    if (kind === "box") {
      path(k, { d: `M${x} ${y - 8}h8v8h-8z`, fill: color, crisp: true });
    } else if (kind === "vline") {
      path(k, { d: `M${x + 1.5} ${y - 10}v12`, stroke: color, strokeWidth: 1, dash, crisp: true });
    } else {
      path(k, { d: `M${x} ${y - 3.5}h16`, stroke: color, strokeWidth: 2, dash });
    }
    text(k, { x: sx, y, text: label, size: AXIS, fill: k.t.muted, anchor: "start" });
    x = sx + textWidth(label, AXIS) + 12;
  };
  swatch(k.t.up, "rising", "box");
  swatch(k.t.down, "falling", "box");
  swatch(k.t.muted, "signal bar", "vline", "2 3");
  swatch(k.t.entry, "entry", "line");
  swatch(k.t.stop, "stop", "line", "6 3");
  swatch(k.t.target, "targets", "line", "6 3");
  if (k.input.signal.patterns.elliott) {
    swatch(k.t.invalidation, "invalidation", "line", "2 3");
    swatch(k.t.wave, "Elliott waves", "line");
  }
  if (latestRange(k.input.signal.patterns.wyckoff)) {
    swatch(k.t.range, "Wyckoff range", "line", "5 3");
  }
}

/**
 * Lays out the chart of `input.signal` at its bar: about `minBars` candles up to the signal bar
 * (more, up to `maxBars`, when the Elliott count or the Wyckoff range starts earlier), volume below,
 * the count's wave labels at their pivots, the range and each Wyckoff event at its bar, entry, stop,
 * TP1–TP3 and the count's invalidation as tagged lines right of the signal bar, price and time axes,
 * a title (symbol, interval, bar open time in UTC, direction, confidence, R multiples of the
 * targets) and a legend. Only candles up to the signal bar are read.
 *
 * @throws {ChartError} when the signal bar is not among the candles or a price is not finite and > 0.
 * @example
 * const scene = layoutSignalChart({ symbol: "BTCUSDT", interval: "1h", candles, signal }, { theme: "dark" });
 * const svg = sceneToSvg(scene);
 */
export function layoutSignalChart(input: ChartInput, options: ChartOptions = {}): ChartScene {
  const k = setup(input, options);
  drawHeader(k);
  drawGrid(k);
  drawRange(k);
  drawCandles(k);
  drawSignalBar(k);
  drawLevels(k);
  drawEventMarkers(k);
  drawWaves(k);
  drawEventLabels(k);
  labelRange(k);
  drawLegend(k);
  return {
    width: k.W,
    height: k.H,
    background: k.t.background,
    shapes: k.shapes,
    labels: k.labels,
  };
}

/** Axis ticks: "nice" price steps and calendar-aligned time labels. Pure. */

/**
 * Price ticks for [lo, hi] with about `count` intervals, each step 1, 2, 2.5 or 5 × 10^k (Heckbert,
 * "Nice numbers for graph labels", Graphics Gems, 1990; 2.5 added as most charting tools do).
 * Returns the step and the ticks inside [lo, hi], ascending.
 */
export function priceTicks(
  lo: number,
  hi: number,
  count: number,
): { step: number; ticks: number[] } {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span) || count < 1) return { step: 0, ticks: [] };
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  const step = nice * mag;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) {
    // k × step (not repeated addition) keeps 0.1 + 0.2 errors out of the labels.
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return { step, ticks };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Label steps tried in order (ms); months are handled separately. */
const TIME_STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** "Mar 05" */
export function dayLabel(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())}`;
}

/** "2024-03-05 14:00 UTC" */
export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** A time-axis label at candle position `index`. */
export interface TimeTick {
  index: number;
  text: string;
}

/**
 * Labels for candles with open times `times` (ascending) when candles are `barWidth` px apart:
 * the smallest calendar step (UTC) that leaves at least `minGap` px between labels, placed on the
 * first candle of each step. Day starts read "Mar 05", other times "14:00"; steps of a month or
 * more read "Mar 2024".
 */
export function timeTicks(times: ArrayLike<number>, barWidth: number, minGap = 90): TimeTick[] {
  const n = times.length;
  if (n < 2 || !(barWidth > 0)) return [];
  const spanMs = times[n - 1] - times[0];
  const msPerPx = spanMs / ((n - 1) * barWidth);
  const step = TIME_STEPS.find((s) => s / msPerPx >= minGap);
  const out: TimeTick[] = [];
  let lastBucket = NaN;
  let lastIndex = -Infinity;
  const minBars = minGap / barWidth;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    const d = new Date(t);
    const bucket = step === undefined
      ? d.getUTCFullYear() * 12 + d.getUTCMonth()
      : Math.floor(t / step);
    if (bucket === lastBucket) continue;
    const first = Number.isNaN(lastBucket);
    lastBucket = bucket;
    if (first && i === 0 && (step === undefined ? d.getUTCDate() !== 1 : t % step !== 0)) continue;
    if (i - lastIndex < minBars) continue;
    lastIndex = i;
    let text: string;
    if (step === undefined) text = `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    else if (step >= DAY || t % DAY === 0) text = dayLabel(t);
    else text = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
    out.push({ index: i, text });
  }
  return out;
}

import type { TrainingPoint } from '../../../../common/contract';

/** Pure geometry for the loss chart, kept apart from React so it can be reasoned about alone. */

export interface XY {
  x: number;
  y: number;
}

/** One drawn point standing for a bucket of raw points: their mean, and their range as a band. */
export interface Drawn extends XY {
  min: number;
  max: number;
}

/** Round tick values covering [lo, hi], about `count` of them, on steps of 1, 2, 2.5 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count: number, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  let step = niceStep(hi - lo, Math.max(1, count));
  // Whole steps only: 0.5 becomes 1, and 2.5 becomes 5 rather than an uneven 3.
  if (integer && !Number.isInteger(step)) step = step > 1 ? 5 : 1;
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let t = first; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * The loss axis: every value shown with a little room, never below 0, ending on round ticks that
 * share one step (so the top and bottom lines are labelled too).
 */
export function lossAxis(values: number[]): { lo: number; hi: number; ticks: number[] } {
  if (values.length === 0) return { lo: 0, hi: 1, ticks: [0, 0.5, 1] };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-6) {
    const pad = Math.max(Math.abs(hi) * 0.1, 0.05);
    lo -= pad;
    hi += pad;
  } else {
    const pad = (hi - lo) * 0.06;
    lo -= pad;
    hi += pad;
  }
  lo = Math.max(0, lo);
  const step = niceStep(hi - lo, 5);
  const first = Math.max(0, Math.floor(lo / step + 1e-9));
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { lo: ticks[0]!, hi: ticks.at(-1)!, ticks };
}

/** 1, 2, 2.5 or 5 × 10^k, the smallest at least span/count (with room for floating-point error). */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power - 1e-9;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10) * power;
}

/**
 * At most `limit` points to draw: consecutive points grouped into equal buckets, each drawn at its
 * mean with its min–max kept for a band. Below the limit every point is drawn as it is.
 */
export function downsample(points: XY[], limit: number): Drawn[] {
  if (points.length <= limit) return points.map((p) => ({ ...p, min: p.y, max: p.y }));
  const out: Drawn[] = [];
  const size = points.length / limit;
  for (let b = 0; b < limit; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let sx = 0;
    let sy = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = start; i < end; i++) {
      const p = points[i]!;
      sx += p.x;
      sy += p.y;
      if (p.y < min) min = p.y;
      if (p.y > max) max = p.y;
    }
    const n = end - start;
    out.push({ x: sx / n, y: sy / n, min, max });
  }
  return out;
}

/** Train and eval series of a run, in step order, each point with a value. */
export function series(points: readonly TrainingPoint[]): { train: XY[]; evaluation: XY[] } {
  const sorted = [...points].sort((a, b) => a.step - b.step);
  const train: XY[] = [];
  const evaluation: XY[] = [];
  for (const p of sorted) {
    if (p.loss !== null && Number.isFinite(p.loss)) train.push({ x: p.step, y: p.loss });
    if (p.evalLoss !== null && Number.isFinite(p.evalLoss)) evaluation.push({ x: p.step, y: p.evalLoss });
  }
  return { train, evaluation };
}

/** The point nearest to step `x` in a series sorted by step, or null when it is empty. */
export function nearest(points: readonly XY[], x: number): XY | null {
  if (points.length === 0) return null;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.x < x) lo = mid + 1;
    else hi = mid;
  }
  const after = points[lo]!;
  const before = points[lo - 1];
  return before && Math.abs(before.x - x) <= Math.abs(after.x - x) ? before : after;
}

/** A polyline path through points already in pixels. */
export function linePath(points: readonly XY[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('');
}

/** A closed band from each point's max down its min, in pixels. */
export function bandPath(upper: readonly XY[], lower: readonly XY[]): string {
  if (upper.length === 0) return '';
  return `${linePath(upper)}${[...lower]
    .reverse()
    .map((p) => `L${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join('')}Z`;
}

/** A tick label: steps as 1,200 or 12k; losses with three significant digits. */
export function formatStep(step: number): string {
  if (step >= 10_000) return `${Math.round(step / 1000)}k`;
  return Math.round(step).toLocaleString('en-US');
}

export function formatLoss(loss: number): string {
  if (loss === 0) return '0';
  if (Math.abs(loss) >= 100) return Math.round(loss).toString();
  return Number(loss.toPrecision(3)).toString();
}

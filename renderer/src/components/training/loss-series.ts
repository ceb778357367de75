import type { TrainingPoint } from '../../../../common/contract';

/**
 * The loss chart's data, kept apart from React: a run's points as train and eval series, thinned
 * to what a chart can draw, and the labels of losses and steps.
 */

export interface XY {
  x: number;
  y: number;
}

/** One drawn point standing for a bucket of raw points: their mean, and their range as a band. */
export interface Drawn extends XY {
  min: number;
  max: number;
}

/**
 * The loss axis: every value shown with a little room (a flat line gets ±5% or ±0.05), never below
 * 0, ending on round ticks that share one step, labelled with the decimals that step needs so no
 * two labels read the same (6.2125 and 6.215, not 6.21 twice).
 */
export function lossAxis(values: readonly number[]): {
  lo: number;
  hi: number;
  ticks: number[];
  label: (t: number) => string;
} {
  if (values.length === 0) return { lo: 0, hi: 1, ticks: [0, 0.5, 1], label: (t) => t.toFixed(1) };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const pad = hi - lo < 1e-6 ? Math.max(Math.abs(hi) * 0.05, 0.05) : (hi - lo) * 0.06;
  lo = Math.max(0, lo - pad);
  hi += pad;
  const step = niceStep(hi - lo, 5);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  let decimals = 0;
  while (decimals < 12 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++;
  return { lo: ticks[0]!, hi: ticks.at(-1)!, ticks, label: (t) => t.toFixed(decimals) };
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

/** One row of the chart's data: a step with the train mean (and its range when thinned) and/or the eval loss. */
export interface LossRow {
  step: number;
  loss?: number;
  /** [min, max] of the train points this row stands for. */
  band?: [number, number];
  evalLoss?: number;
}

/** Train and eval points merged into rows in step order (a step with both is one row). */
export function lossRows(train: readonly Drawn[], evaluation: readonly XY[]): LossRow[] {
  const rows = new Map<number, LossRow>();
  for (const p of train) rows.set(p.x, { step: p.x, loss: p.y, band: [p.min, p.max] });
  for (const p of evaluation) rows.set(p.x, { ...(rows.get(p.x) ?? { step: p.x }), evalLoss: p.y });
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

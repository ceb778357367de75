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

import type { Histogram, HistogramBin } from '../../../common/contract';

/**
 * Values grouped in SQL at a fine resolution: `from` is the group's lower bound in the histogram's
 * unit (a multiple of the resolution), `count` how many values fell in it, `sum` and `max` their
 * exact total and largest value.
 */
export interface Group {
  from: number;
  count: number;
  sum: number;
  max: number;
}

/** Bars a histogram aims for at most, besides the open-ended one that gathers the tail. */
export const MAX_BINS = 20;
/**
 * Values above the 99th percentile, or far out (beyond the third quartile plus three interquartile
 * ranges, Tukey's "far out"), go to the open-ended last bar: one 10,000-turn scene must not
 * flatten the other bars, however few scenes there are.
 */
const TAIL_QUANTILE = 0.99;
const FAR_OUT = 3;

/**
 * Re-bins SQL groups (sorted by `from`) into at most MAX_BINS bars of a round width (1, 2 or 5 ×
 * 10^k resolutions) covering the values up to the tail (see TAIL_QUANTILE), with one open-ended
 * bar for the rest. Mean and max are exact; the median is exact to the resolution.
 */
export function histogram(groups: readonly Group[], resolution: number, unit: string): Histogram {
  const count = groups.reduce((n, g) => n + g.count, 0);
  if (count === 0) return { unit, bins: [], count: 0, mean: 0, median: null, max: null };
  const sum = groups.reduce((n, g) => n + g.sum, 0);
  const max = Math.max(...groups.map((g) => g.max));
  const median = quantile(groups, 0.5);
  const lo = groups[0]!.from;
  const [q1, q3] = [quantile(groups, 0.25), quantile(groups, 0.75)];
  const fence = q3 + FAR_OUT * (q3 - q1 + resolution);
  // The largest value within both limits; the bars end with the one holding it.
  const tail = Math.max(
    lo,
    ...groups.map((g) => g.from).filter((v) => v <= Math.min(quantile(groups, TAIL_QUANTILE), fence)),
  );
  const width = roundWidth((tail + resolution - lo) / MAX_BINS, resolution);
  const start = Math.floor(lo / width) * width;
  // Bars up to the one holding the 99th percentile; everything above goes to the open bar.
  const closed = Math.floor((tail - start) / width) + 1;
  const bins: HistogramBin[] = Array.from({ length: closed }, (_, i) => ({
    from: start + i * width,
    to: start + (i + 1) * width,
    count: 0,
  }));
  const open: HistogramBin = { from: start + closed * width, to: null, count: 0 };
  for (const g of groups) {
    const index = Math.floor((g.from - start) / width);
    if (index < closed) bins[index]!.count += g.count;
    else open.count += g.count;
  }
  if (open.count > 0) bins.push(open);
  return { unit, bins, count, mean: sum / count, median, max };
}

/** Histogram bars from fixed lower edges (words per turn, bucketed on write): bucket 0 is below the first edge. */
export function fixedHistogram(
  buckets: readonly { bucket: number; count: number }[],
  edges: readonly number[],
  unit: string,
  mean: number,
): Histogram {
  const present = buckets.filter((b) => b.count > 0);
  const count = present.reduce((n, b) => n + b.count, 0);
  if (present.length === 0) return { unit, bins: [], count: 0, mean: 0, median: null, max: null };
  const first = Math.min(...present.map((b) => b.bucket));
  const last = Math.max(...present.map((b) => b.bucket));
  const bins: HistogramBin[] = [];
  // Every bucket between the first and last used, so gaps show as empty bars.
  for (let bucket = first; bucket <= last; bucket++)
    bins.push({
      from: bucket === 0 ? 0 : edges[bucket - 1]!,
      to: bucket < edges.length ? edges[bucket]! : null,
      count: buckets.find((b) => b.bucket === bucket)?.count ?? 0,
    });
  return { unit, bins, count, mean, median: null, max: null };
}

/** The smallest value whose cumulative share reaches `q`, at the groups' resolution. */
function quantile(groups: readonly Group[], q: number): number {
  const total = groups.reduce((n, g) => n + g.count, 0);
  let seen = 0;
  for (const g of groups) {
    seen += g.count;
    if (seen >= total * q) return g.from;
  }
  return groups.at(-1)!.from;
}

/** The smallest multiple of `resolution` of the form 1, 2 or 5 × 10^k at least `raw`. */
function roundWidth(raw: number, resolution: number): number {
  const units = Math.max(1, raw / resolution);
  const power = 10 ** Math.floor(Math.log10(units));
  const step = units / power <= 1 ? 1 : units / power <= 2 ? 2 : units / power <= 5 ? 5 : 10;
  return step * power * resolution;
}

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../main/core/pipeline/planner';
import { bootstrapInterval, quantile, summarize } from '../../../main/core/eval/stats';

// The percentile bootstrap of a mean against closed forms: a constant sample has a zero-width
// interval; a Bernoulli and a two-point sample of size n have intervals within the normal
// approximation mean ± 1.96·sd/√n (the bootstrap's sd is the plug-in one, so the check uses it).

function normalBounds(values: number[]): { low: number; high: number } {
  const n = values.length;
  const m = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / n);
  return { low: m - 1.959964 * (sd / Math.sqrt(n)), high: m + 1.959964 * (sd / Math.sqrt(n)) };
}

describe('bootstrap interval of the mean', () => {
  it('is the point itself for a constant sample', () => {
    expect(bootstrapInterval(Array(50).fill(5))).toEqual({ low: 5, high: 5 });
    expect(bootstrapInterval([3])).toEqual({ low: 3, high: 3 });
  });

  it('matches the normal bounds of a Bernoulli proportion', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i < 120 ? 1 : 0)); // p = 0.3
    const expected = normalBounds(values); // 0.3 ± 0.0449
    const got = bootstrapInterval(values, { resamples: 4000, seed: 7 })!;
    expect(got.low).toBeCloseTo(expected.low, 2);
    expect(got.high).toBeCloseTo(expected.high, 2);
    expect(Math.abs(got.low - expected.low)).toBeLessThan(0.008);
    expect(Math.abs(got.high - expected.high)).toBeLessThan(0.008);
  });

  it('matches the normal bounds of a two-point sample on the 1–7 scale', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 2 ? 7 : 1)); // mean 4, sd 3
    const expected = normalBounds(values); // 4 ± 0.416
    const got = bootstrapInterval(values)!;
    expect(Math.abs(got.low - expected.low)).toBeLessThan(0.05);
    expect(Math.abs(got.high - expected.high)).toBeLessThan(0.05);
    expect(got.low).toBeLessThan(4);
    expect(got.high).toBeGreaterThan(4);
  });

  it('is the same under the same seed and moves with another', () => {
    const values = Array.from({ length: 37 }, (_, i) => 1 + ((i * 5) % 7) + i / 100);
    expect(bootstrapInterval(values, { seed: 3 })).toEqual(bootstrapInterval(values, { seed: 3 }));
    expect(bootstrapInterval(values, { seed: 3 })).not.toEqual(bootstrapInterval(values, { seed: 4 }));
  });

  it('depends on the scores, not on the order they were read in', () => {
    const values = Array.from({ length: 50 }, (_, i) => 1 + ((i * 3) % 7));
    const reversed = [...values].reverse();
    const interleaved = values.filter((_, i) => i % 2 === 0).concat(values.filter((_, i) => i % 2 === 1));
    const interval = bootstrapInterval(values, { seed: 7 });
    expect(bootstrapInterval(reversed, { seed: 7 })).toEqual(interval);
    expect(bootstrapInterval(interleaved, { seed: 7 })).toEqual(interval);
  });

  it('reads quantiles as numpy does (linear between order statistics)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0.025)).toBeCloseTo(10.25);
  });
});

describe('summarize', () => {
  it('leaves unscored judgments out of the mean and counts them apart', () => {
    const s = summarize([4, null, 6, null, 5], { key: 'sft/values' });
    expect(s).toMatchObject({ count: 3, unscored: 2, mean: 5 });
    expect(s.interval!.low).toBeGreaterThanOrEqual(4);
    expect(s.interval!.high).toBeLessThanOrEqual(6);
  });

  it('is empty, not zero, when nothing was scored', () => {
    expect(summarize([])).toEqual({ count: 0, unscored: 0, mean: null, interval: null });
    expect(summarize([null, null])).toEqual({ count: 0, unscored: 2, mean: null, interval: null });
  });

  it('draws each cell its own stream, reproducibly', () => {
    const values = [1, 3, 5, 7, 2, 4, 6];
    expect(summarize(values, { key: 'a' })).toEqual(summarize(values, { key: 'a' }));
    expect(summarize(values, { key: 'a' }).interval).not.toEqual(summarize(values, { key: 'b' }).interval);
  });
});

describe('the inlined generator', () => {
  it('draws exactly what planner.ts’s seededRandom draws', () => {
    const values = Array.from({ length: 9 }, (_, i) => i);
    const random = seededRandom(11);
    const means = Array.from({ length: 5 }, () => {
      let sum = 0;
      for (let i = 0; i < 9; i++) sum += values[Math.floor(random() * 9)]!;
      return sum / 9;
    }).sort((x, y) => x - y);
    const got = bootstrapInterval(values, { resamples: 5, seed: 11, level: 0.5 })!;
    expect(got.low).toBeCloseTo(quantile(means, 0.25), 12);
    expect(got.high).toBeCloseTo(quantile(means, 0.75), 12);
  });
});

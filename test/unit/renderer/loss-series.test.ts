import { describe, expect, it } from 'vitest';
import type { TrainingPoint } from '../../../common/contract';
import { downsample, lossAxis, lossRows, nearest, series } from '../../../renderer/src/components/training/loss-series';

// The loss chart's data (what recharts draws): train and eval series from a run's points, thinned
// to what a chart can draw with each mean's range kept, and merged into one row per step.

const points: TrainingPoint[] = [
  { step: 3, loss: 1.5, evalLoss: null },
  { step: 1, loss: 2, evalLoss: null },
  { step: 2, loss: Number.NaN, evalLoss: 1.9 },
  { step: 4, loss: 1.25, evalLoss: 1.4 },
];

describe('loss series', () => {
  it('keeps finite values in step order and merges a step with both losses into one row', () => {
    const { train, evaluation } = series(points);
    expect(train).toEqual([
      { x: 1, y: 2 },
      { x: 3, y: 1.5 },
      { x: 4, y: 1.25 },
    ]);
    expect(evaluation).toEqual([
      { x: 2, y: 1.9 },
      { x: 4, y: 1.4 },
    ]);
    expect(lossRows(downsample(train, 10), evaluation)).toEqual([
      { step: 1, loss: 2, band: [2, 2] },
      { step: 2, evalLoss: 1.9 },
      { step: 3, loss: 1.5, band: [1.5, 1.5] },
      { step: 4, loss: 1.25, band: [1.25, 1.25], evalLoss: 1.4 },
    ]);
    expect(nearest(train, 3.4)).toEqual({ x: 3, y: 1.5 });
  });

  it('thins thousands of steps to means with their range', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ x: i + 1, y: i % 2 ? 1 : 3 }));
    const drawn = downsample(many, 100);
    expect(drawn).toHaveLength(100);
    expect(drawn[0]).toEqual({ x: 5.5, y: 2, min: 1, max: 3 });
    expect(lossRows(drawn, [])[0]).toEqual({ step: 5.5, loss: 2, band: [1, 3] });
  });

  it('labels a narrow loss axis with distinct round ticks, and a flat one with room around it', () => {
    const narrow = lossAxis([6.2131, 6.2268]);
    const labels = narrow.ticks.map(narrow.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toEqual(['6.210', '6.215', '6.220', '6.225', '6.230']);
    const flat = lossAxis([2, 2, 2]);
    expect(flat.lo).toBeLessThan(2);
    expect(flat.hi).toBeGreaterThan(2);
    expect(lossAxis([0.001, 0.5]).lo).toBe(0);
  });
});

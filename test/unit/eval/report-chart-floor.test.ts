import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../../common/contract';
import { barChartSvg } from '../../../main/core/eval/report-html';

// A mean score of 1, the floor of the judge's scale, drawn as a bar in the exported HTML: the bar
// rose from 1, so it had no height, and the system looked as if it had no scores.

const report: EvalReport = {
  characterId: 'c' as EvalReport['characterId'],
  characterName: 'Ludwig van Beethoven',
  generatedAt: 0,
  systems: [{ id: 's', name: 'sft (paper)', kind: 'imported', answers: { single: 3, multi: 0 }, nonstop: 0 }],
  dimensions: { single: ['memorization', 'values'], multi: [] },
  cells: [
    {
      systemId: 's',
      mode: 'single',
      dimension: 'memorization',
      judge: 'judge-a',
      count: 3,
      unscored: 0,
      unjudged: 0,
      mean: 1,
      low: 1,
      high: 1,
    },
    {
      systemId: 's',
      mode: 'single',
      dimension: 'values',
      judge: 'judge-a',
      count: 3,
      unscored: 0,
      unjudged: 0,
      mean: 4,
      low: 3,
      high: 5,
    },
  ],
  topics: [],
  judges: ['judge-a'],
  pairwise: [],
  settings: { modes: ['single'], topics: null, judge: null, resamples: 2000, level: 0.95, seed: 42 },
  durationMs: 1,
};

describe('the exported chart', () => {
  it('draws a mean of 1 as a bar with a height', () => {
    const svg = barChartSvg(report, 'single', 'judge-a');
    const heights = [
      ...svg.matchAll(/<g class="bar" [^>]*data-dimension="(\w+)"[^>]*>.*?<rect [^>]*height="([\d.]+)"/g),
    ].map((m) => [m[1], Number(m[2])] as const);
    expect(heights.map(([d]) => d)).toEqual(['memorization', 'values']);
    for (const [, height] of heights) expect(height).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { runSliced, runSync } from '../../../main/core/time-slices';
import { jsonSteps } from '../../../main/server/json-steps';
import { turnsDuring } from '../../support/turns';

/** The web door writes answers in steps (issue 9, point 3): the same text as JSON.stringify, with turns between. */
describe('JSON in steps', () => {
  it('writes exactly what JSON.stringify writes', () => {
    const values: unknown[] = [
      null,
      0,
      'text with "quotes", \\ and\nlines 😀',
      [],
      {},
      [1, undefined, () => 1, Symbol('s'), null, Number.NaN, Infinity, -0],
      { a: undefined, b: () => 1, c: Symbol('c'), d: [{ e: { f: { g: { h: [1, 2, { i: 3 }] } } } }] },
      { when: new Date(0), nested: { when: new Date(1) } },
      Object.assign(Object.create(null) as object, { bare: true, list: [1, 2] }),
      {
        result: {
          id: 'p1',
          chunks: Array.from({ length: 500 }, (_, i) => ({ id: `c${i}`, text: `Day ${i}.`, heading: null })),
        },
      },
      { '': 1, 'key "quoted"': 2, 10: 'numeric keys first', z: [[[[['deep']]]]] },
    ];
    for (const value of values) expect(runSync(jsonSteps(value))).toBe(JSON.stringify(value));
  });

  it('gives the event loop turns while it writes megabytes', async () => {
    const big = { result: { chunks: Array.from({ length: 20_000 }, (_, i) => ({ id: i, text: 'x'.repeat(300) })) } };
    const { result: text, turns } = await turnsDuring(() => runSliced(jsonSteps(big), 1));
    expect(text).toBe(JSON.stringify(big));
    expect(turns).toBeGreaterThan(2);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Z_95, wilson, winRates } from '../../../main/core/eval/win-rate';

describe('wilson', () => {
  it('matches the closed form at p = 1/2: centre 1/2, half-width z·sqrt(1/(4n) + z²/(4n²)) / (1 + z²/n)', () => {
    for (const n of [2, 10, 40, 1000]) {
      const half = (Z_95 * Math.sqrt(1 / (4 * n) + (Z_95 * Z_95) / (4 * n * n))) / (1 + (Z_95 * Z_95) / n);
      const { low, high } = wilson(n / 2, n);
      expect(low).toBeCloseTo(0.5 - half, 12);
      expect(high).toBeCloseTo(0.5 + half, 12);
    }
  });

  it('matches the closed form at 0 successes: [0, z²/(n + z²)]', () => {
    for (const n of [1, 5, 82]) {
      const { low, high } = wilson(0, n);
      expect(low).toBe(0);
      expect(high).toBeCloseTo((Z_95 * Z_95) / (n + Z_95 * Z_95), 12);
      expect(wilson(n, n).low).toBeCloseTo(n / (n + Z_95 * Z_95), 12);
    }
  });

  it('matches published values (5 of 10: 0.2366–0.7634; 81 of 263: 0.2553–0.3662)', () => {
    expect(wilson(5, 10).low).toBeCloseTo(0.2366, 4);
    expect(wilson(5, 10).high).toBeCloseTo(0.7634, 4);
    expect(wilson(81, 263).low).toBeCloseTo(0.2553, 4);
    expect(wilson(81, 263).high).toBeCloseTo(0.3662, 4);
  });

  it('always holds the observed rate inside [0, 1], and refuses impossible counts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.round(f * n);
        const { low, high } = wilson(k, n);
        expect(low).toBeGreaterThanOrEqual(0);
        expect(high).toBeLessThanOrEqual(1);
        expect(low).toBeLessThanOrEqual(k / n + 1e-12);
        expect(high).toBeGreaterThanOrEqual(k / n - 1e-12);
      }),
    );
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
  });
});

describe('winRates', () => {
  it('counts every decided pair in the denominator, split pairs as ties, and unscored pairs apart', () => {
    const r = winRates(['a', 'a', 'a', 'b', 'tie', 'inconsistent', null, null]);
    expect(r.pairs).toBe(6);
    expect(r.unscored).toBe(2);
    expect(r.aWins).toMatchObject({ count: 3, rate: 0.5, ...wilson(3, 6) });
    expect(r.bWins.count).toBe(1);
    // PAIRWISE_RULE: a pair whose orders disagree is a tie, and counted apart as inconsistent too.
    expect(r.ties).toMatchObject({ count: 2, ...wilson(2, 6) });
    expect(r.inconsistent.rate).toBeCloseTo(1 / 6, 12);
  });

  it('an empty comparison has no rate and the widest interval', () => {
    expect(winRates([]).aWins).toEqual({ rate: 0, count: 0, low: 0, high: 1 });
  });
});

import type { Interval, PairOutcome, Rate, WinRates } from '../../../common/contract';
import { countPairs } from '../../../common/pairwise-rule';

/**
 * Win rates of a pairwise comparison of systems A and B, with 95% intervals, for reports.
 *
 * Interval: the Wilson score interval for a binomial proportion (z = 1.959964, two-sided 95%). We
 * use it rather than a bootstrap because each rate is one proportion of independent pairs, for which
 * Wilson has a closed form, is exact to compute (the same numbers every time), stays inside [0, 1]
 * and keeps sensible coverage at the small counts and the 0% / 100% rates a pairwise run often has,
 * where the normal approximation collapses to a zero-width interval.
 *
 * Denominator: every pair with a result (`a`, `b`, `tie`, `inconsistent`); unscored pairs (an order
 * the judge never answered readably) are counted apart and left out, as unscored scores are.
 */

export const Z_95 = 1.959964;

/** Wilson score interval of `successes` out of `n` at `z`; [0, 1] when n is 0 (nothing is known). */
export function wilson(successes: number, n: number, z = Z_95): Interval {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || n < 0 || successes > n)
    throw new RangeError(`wilson: need whole counts with 0 ≤ successes ≤ n (got ${successes} of ${n})`);
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Exact ends: no rounding noise below 0 or above 1, and 0/n starts at 0, n/n ends at 1.
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
  };
}

function rate(count: number, n: number): Rate {
  return { rate: n === 0 ? 0 : count / n, count, ...wilson(count, n) };
}

/** Win rates over the outcomes of many pairs (null: unscored), counted by PAIRWISE_RULE: ties hold the inconsistent pairs. */
export function winRates(outcomes: readonly (PairOutcome | null)[]): WinRates {
  const c = countPairs(outcomes);
  return {
    pairs: c.pairs,
    unscored: c.unscored,
    aWins: rate(c.aWins, c.pairs),
    bWins: rate(c.bWins, c.pairs),
    ties: rate(c.ties, c.pairs),
    inconsistent: rate(c.inconsistent, c.pairs),
  };
}

import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../common/duration';
import { formatDuration as onScreens } from '../../../renderer/src/lib/format';

// One wording of a duration for the screens (estimates, "about … left") and the CLI (estimates,
// ETA, conversions): the CLI printed "1.3 h" and "75 s" where the screens said "1 h 18 min" and "1 min".

describe('formatDuration', () => {
  it('says seconds, minutes, hours with minutes, then days, as a person would', () => {
    expect([0.2, 45, 59.4, 60, 75, 89, 720, 3_599].map(formatDuration)).toEqual([
      '1 s',
      '45 s',
      '59 s',
      '1 min',
      '1 min',
      '1 min',
      '12 min',
      '1 h',
    ]);
    expect([4_680, 7_200, 7_500, 47 * 3_600 + 59 * 60, 48 * 3_600, 10 * 86_400].map(formatDuration)).toEqual([
      '1 h 18 min',
      '2 h',
      '2 h 5 min',
      '47 h 59 min',
      '2 days',
      '10 days',
    ]);
  });

  it('writes a time that is not one as a dash, not as a number', () => {
    expect([-1, Number.NaN, Number.POSITIVE_INFINITY].map(formatDuration)).toEqual(['—', '—', '—']);
  });

  it('is the one the screens use', () => {
    expect(onScreens).toBe(formatDuration);
  });
});

/**
 * The studio's ids (`timeOrderedId`): UUIDs that sort, as text, in the order they were made, so
 * rows keyed by them are appended to their indexes instead of landing on a page each.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeOrderedId } from '../../../main/core/ids';
import { call, makeStudio } from '../../support/studio';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedId', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes version 7 UUIDs, each new, in the order they were made, with the time they were made', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, () => timeOrderedId());
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const made = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(made(ids[0]!)).toBeGreaterThanOrEqual(before);
    // 20,000 ids may borrow up to 4 ms ahead (4,096 a millisecond), no more.
    expect(made(ids.at(-1)!)).toBeLessThanOrEqual(after + Math.ceil(ids.length / 4096));
  });

  // The clock cannot be set back for real here: Date.now is the one thing stood in for.
  it('keeps the order over a clock that steps back and over more than 4,096 ids in one millisecond', () => {
    const first = timeOrderedId();
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000);
    const held = Array.from({ length: 10_000 }, () => timeOrderedId());
    now.mockRestore();
    const ids = [first, ...held, timeOrderedId()];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is what the studio names what it stores with, unless told otherwise', async () => {
    const env = makeStudio();
    try {
      const character = (fullName: string) =>
        call(env.studio, 'characters/create', { fullName, shortName: fullName, era: '', notes: '' });
      const { id: first } = await character('Clara Schumann');
      const { id: second } = await character('Fanny Mendelssohn');
      expect(first).toMatch(UUID_V7);
      expect(first < second).toBe(true);
    } finally {
      await env.studio.shutdown();
      env.cleanup();
    }
  });
});

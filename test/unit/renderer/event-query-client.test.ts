import { QueryObserver } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Character } from '../../../common/contract';
import { EventQueryClient } from '../../../renderer/src/lib/event-query-client';
import { call, makeStudio } from '../../support/studio';

// A window opens while another door (the CLI, a second window) creates a character: the list's
// first read reaches the studio before the character exists, its answer is still on its way when
// `characters/changed` arrives, and the window must still end up showing the character. React
// Query alone keeps that first answer (it dedupes the refetch into the fetch in flight).

let env: ReturnType<typeof makeStudio>;
let client: EventQueryClient;
let reads: number;
let releaseFirst: () => void;
let offEvents: () => void;

const KEY = ['characters/list', {}];

function observeList(): QueryObserver<Character[]> {
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  const observer = new QueryObserver<Character[]>(client, {
    queryKey: KEY,
    queryFn: async () => {
      const list = await call(env.studio, 'characters/list', {});
      reads += 1;
      // The first answer is read from the studio, then held on its way to the window.
      if (reads === 1) await firstHeld;
      return list;
    },
  });
  observer.subscribe(() => {});
  return observer;
}

const createBeethoven = () =>
  call(env.studio, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '',
    notes: '',
  });

beforeEach(() => {
  env = makeStudio();
  client = new EventQueryClient();
  reads = 0;
  // The window's event handler, as subscribeToStudioEvents has it.
  offEvents = env.studio.events.subscribe((name) => {
    if (name === 'characters/changed') void client.invalidateQueries({ queryKey: ['characters/list'] });
  });
});
afterEach(async () => {
  offEvents();
  client.clear();
  await env.studio.shutdown();
  env.cleanup();
});

describe('a change that arrives during a query’s first fetch', () => {
  it('is read once that fetch ends: the character created meanwhile shows', async () => {
    const observer = observeList();
    await expect.poll(() => reads).toBe(1);
    await createBeethoven();
    releaseFirst();
    await expect.poll(() => observer.getCurrentResult().data?.map((c) => c.fullName)).toEqual(['Ludwig van Beethoven']);
    expect(reads).toBe(2);
  });

  it('costs no extra read when the query already had data (React Query refetches it itself)', async () => {
    const observer = observeList();
    await expect.poll(() => reads).toBe(1);
    releaseFirst();
    await expect.poll(() => observer.getCurrentResult().data).toEqual([]);
    await createBeethoven();
    await expect.poll(() => observer.getCurrentResult().data?.length).toBe(1);
    expect(reads).toBe(2);
  });
});

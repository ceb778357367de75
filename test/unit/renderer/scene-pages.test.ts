import { QueryClient, type InfiniteData } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, CommandArg, CommandResult, SceneFilter, SceneId, SceneSort } from '../../../common/contract';
import { type DatasetRepo } from '../../../main/store/dataset-repo';
import { refreshScenePages } from '../../../renderer/src/lib/scene-pages';
import { beethovenWithJob, insertLesson } from '../../support/scenes';
import { call, makeStudio } from '../../support/studio';

// `dataset/changed` with the scenes it names (renderer/src/lib/scene-pages.ts), against a real
// studio: a loaded list reads again only the pages holding them, over the same ranges, so the
// rest stays as it was; the list still holds exactly what reading it from the start would.

type Page = CommandResult<'scenes/list'>;
const PAGE = 5;

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let client: QueryClient;
let fetched: CommandArg<'scenes/list'>[];
let dataset: DatasetRepo;
let made = 0;

const fetchPage = (arg: CommandArg<'scenes/list'>) => {
  fetched.push(arg);
  return call(env.studio, 'scenes/list', arg);
};

const addScene = (): SceneId => insertLesson(dataset, characterId, `s-${made++}` as SceneId, {}, 1_000 + made);

beforeEach(async () => {
  env = makeStudio();
  ({ characterId, dataset } = await beethovenWithJob(env.studio));
  made = 0;
  for (let i = 0; i < 23; i++) addScene();
  client = new QueryClient();
  fetched = [];
});
afterEach(async () => {
  client.clear();
  await env.studio.shutdown();
  env.cleanup();
});

/** A list as the browser holds it after scrolling `pages` pages (or to its end). */
async function load(sort: SceneSort, filter: SceneFilter, pages = 100) {
  const key = ['scenes/list', { characterId, filter, sort }] as const;
  const data: InfiniteData<Page, string | null> = { pages: [], pageParams: [] };
  let after: string | null = null;
  for (let i = 0; i < pages; i++) {
    const page: Page = await call(env.studio, 'scenes/list', {
      characterId,
      limit: PAGE,
      sort,
      ...filter,
      ...(after !== null && { after }),
    });
    data.pages.push(page);
    data.pageParams.push(after);
    if (page.next === null) break;
    after = page.next;
  }
  client.setQueryData(key, data);
  return {
    ids: () => client.getQueryData<typeof data>(key)!.pages.flatMap((p) => p.scenes.map((s) => s.id)),
    pages: () => client.getQueryData<typeof data>(key)!.pages,
    invalidated: () => client.getQueryCache().find({ queryKey: key, exact: true })!.state.isInvalidated,
  };
}

/** What reading the list from the start gives now. */
async function fresh(sort: SceneSort, filter: SceneFilter): Promise<string[]> {
  const { scenes } = await call(env.studio, 'scenes/list', { characterId, limit: 500, sort, ...filter });
  return scenes.map((s) => s.id);
}

describe('refreshing a loaded list after dataset/changed', () => {
  it('reads again only the page holding a changed scene, and leaves the others as they were', async () => {
    const list = await load('oldest', {});
    const before = list.pages();
    await call(env.studio, 'review/set', { characterId, ids: ['s-7' as SceneId], status: 'accepted' });
    await refreshScenePages(client, characterId, ['s-7' as SceneId], fetchPage, PAGE);
    expect(fetched).toHaveLength(1);
    const after = list.pages();
    expect(after.filter((p, i) => p !== before[i])).toHaveLength(1);
    expect(after[1]!.scenes.find((s) => s.id === 's-7')!.review.status).toBe('accepted');
    expect(list.ids()).toEqual(await fresh('oldest', {}));
    expect(list.invalidated()).toBe(false);
  });

  it('keeps a filtered list whole when scenes leave it, and shows a new scene at the end or the top', async () => {
    const unreviewed = await load('oldest', { status: 'unreviewed' });
    const ids = ['s-6', 's-8', 's-16'] as SceneId[];
    await call(env.studio, 'review/set', { characterId, ids, status: 'rejected' });
    await refreshScenePages(client, characterId, ids, fetchPage, PAGE);
    expect(fetched).toHaveLength(2); // pages 2 and 4
    expect(unreviewed.ids()).toEqual(await fresh('oldest', { status: 'unreviewed' }));

    const newest = await load('newest', {}, 2); // the first two pages only
    fetched = [];
    const added = addScene();
    await refreshScenePages(client, characterId, [added], fetchPage, PAGE);
    expect(newest.ids()[0]).toBe(added);
    expect(unreviewed.ids().at(-1)).toBe(added);
    expect(fetched).toHaveLength(2); // the top of newest, the end of oldest
    expect(unreviewed.ids()).toEqual(await fresh('oldest', { status: 'unreviewed' }));
  });

  it('reads a list again whole when a changed scene may have moved in an order by rating', async () => {
    // Unrated, the first two pages are s-22 … s-13; rated 5, s-14 leaves the second for the top.
    const byRating = await load('rating', {}, 2);
    await call(env.studio, 'review/set', { characterId, ids: ['s-14' as SceneId], rating: 5 });
    await refreshScenePages(client, characterId, ['s-14' as SceneId], fetchPage, PAGE);
    expect(byRating.invalidated()).toBe(true);
    // Rated again where it is (the top), it stays on its page: that page alone is read.
    const again = await load('rating', {}, 2);
    fetched = [];
    await call(env.studio, 'review/set', { characterId, ids: ['s-14' as SceneId], rating: 4 });
    await refreshScenePages(client, characterId, ['s-14' as SceneId], fetchPage, PAGE);
    expect(fetched).toHaveLength(1);
    expect(again.invalidated()).toBe(false);
    expect(again.ids()).toEqual((await fresh('rating', {})).slice(0, 10));
  });

  it('is told which scenes changed: a review of named scenes, an undo, a save, a delete; none for a filter', async () => {
    const told: (SceneId[] | undefined)[] = [];
    const off = env.studio.events.subscribe((name, payload) => {
      if (name === 'dataset/changed') told.push((payload as { sceneIds?: SceneId[] }).sceneIds);
    });
    try {
      await call(env.studio, 'review/set', { characterId, ids: ['s-1', 's-2'] as SceneId[], status: 'accepted' });
      await call(env.studio, 'review/undo', { characterId });
      await call(env.studio, 'review/set', { characterId, filter: { status: 'unreviewed' }, rating: 2 });
      const opened = await call(env.studio, 'scenes/open', { id: 's-3' as SceneId });
      await call(env.studio, 'scenes/save', {
        id: 's-3' as SceneId,
        baseRevision: opened.revision,
        doc: { ...opened.doc, time: '1784' },
      });
      await call(env.studio, 'scenes/delete', { characterId, ids: ['s-4' as SceneId] });
    } finally {
      off();
    }
    expect(told.map((ids) => ids && [...ids].sort())).toEqual([
      ['s-1', 's-2'],
      ['s-1', 's-2'],
      undefined,
      ['s-3'],
      ['s-4'],
    ]);
  });
});

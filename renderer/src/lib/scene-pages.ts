import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { CharacterId, CommandArg, CommandResult, SceneFilter, SceneId, SceneSort } from '../../../common/contract';

/** One loaded page of the browser's list, and the arguments that list is read with. */
type Page = CommandResult<'scenes/list'>;
type ListKey = readonly ['scenes/list', { characterId: CharacterId; filter: SceneFilter; sort: SceneSort }];

/** Orders whose keys never change: a changed scene stays where it was, or leaves the list. */
const FIXED_ORDERS: readonly SceneSort[] = ['oldest', 'newest'];

/**
 * After `dataset/changed` named `ids`: every loaded list of the character refetches only the pages
 * holding one of them, each over exactly its old range (`after` … `through`), so the rows around
 * stay where they are and the reader's scroll with them. New scenes land at the end of oldest
 * first (the last page, when it is loaded) and at the top of newest first (the first page). A list
 * refetches whole (as without ids) when that cannot be exact: a scene not loaded may have moved
 * into the loaded rows of an order by turns, words, rating or chunk; a changed scene left its page
 * in such an order (it may have moved to another); a range came back larger than a page may be.
 */
export async function refreshScenePages(
  client: QueryClient,
  characterId: CharacterId,
  ids: readonly SceneId[],
  fetchPage: (arg: CommandArg<'scenes/list'>) => Promise<Page>,
  pageSize: number,
): Promise<void> {
  const changed = new Set(ids);
  const lists = client.getQueryCache().findAll({ queryKey: ['scenes/list', { characterId }] });
  await Promise.all(
    lists.map(async (query) => {
      const key = query.queryKey as unknown as ListKey;
      const data = query.state.data as InfiniteData<Page, string | null> | undefined;
      const whole = () => client.invalidateQueries({ queryKey: key, exact: true });
      if (!data || data.pages.length === 0) return whole();
      const { filter, sort } = key[1];
      const fixed = FIXED_ORDERS.includes(sort);
      const holds = data.pages.map((p) => p.scenes.some((s) => changed.has(s.id)));
      const loaded = new Set(data.pages.flatMap((p) => p.scenes.map((s) => s.id)));
      if (ids.some((id) => !loaded.has(id))) {
        if (!fixed) return whole();
        // Where a new scene goes, if that part of the list is loaded.
        const last = data.pages.length - 1;
        if (sort === 'newest') holds[0] = true;
        else if (data.pages[last]!.next === null) holds[last] = true;
      }
      const pages = [...data.pages];
      for (const [i, page] of data.pages.entries()) {
        if (!holds[i]) continue;
        const after = data.pageParams[i] ?? null;
        const fresh = await fetchPage({
          characterId,
          limit: pageSize * 2,
          sort,
          ...filter,
          ...(after !== null && { after }),
          ...(page.next !== null && { through: page.next }),
        });
        // A range that held more than a page may (rows added in the middle of it) or, in an order
        // whose keys move, a changed scene gone from its page: the list is read again whole.
        const moved = !fixed && page.scenes.some((s) => changed.has(s.id) && !fresh.scenes.some((f) => f.id === s.id));
        if ((page.next !== null && fresh.next !== null) || moved) return whole();
        // The last page keeps the cursor its rows end on, so the list goes on from there.
        pages[i] = page.next === null ? fresh : { ...fresh, next: page.next };
      }
      // The reader scrolled on meanwhile (another page loaded): the list is read again whole.
      if (client.getQueryData(key) !== data) return whole();
      client.setQueryData<InfiniteData<Page, string | null>>(key, { pages, pageParams: data.pageParams });
    }),
  );
}

import {
  QueryClient,
  type InvalidateOptions,
  type QueryClientConfig,
  type InvalidateQueryFilters,
  type Query,
} from '@tanstack/react-query';

/**
 * A query client whose invalidations are never lost to a first fetch still on its way.
 *
 * React Query dedupes a refetch into a fetch already in flight unless the query has data: it then
 * cancels that fetch and starts another, but a query's *first* fetch is kept and its answer
 * stands. When a change event (another window, the CLI) arrives while that first answer is on its
 * way, the answer may predate the change: a character created by another door just as the window
 * opened stayed missing from the list until the next change. Each query invalidated during its
 * first fetch is fetched once more when that fetch ends.
 */
export class EventQueryClient extends QueryClient {
  #fetchAgain = new WeakSet<Query>();

  constructor(config?: QueryClientConfig) {
    super(config);
    this.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated') return;
      const query = event.query as Query;
      const { action } = event;
      if ((action.type !== 'success' && action.type !== 'error') || !this.#fetchAgain.has(query)) return;
      this.#fetchAgain.delete(query);
      // Outside the cache's notification of this answer.
      const queryKey: readonly unknown[] = query.queryKey;
      queueMicrotask(() => void this.invalidateQueries({ queryKey, exact: true }));
    });
  }

  override invalidateQueries(filters?: InvalidateQueryFilters, options?: InvalidateOptions): Promise<void> {
    for (const query of this.getQueryCache().findAll(filters)) {
      if (query.state.fetchStatus === 'fetching' && query.state.data === undefined) this.#fetchAgain.add(query);
    }
    return super.invalidateQueries(filters, options);
  }
}

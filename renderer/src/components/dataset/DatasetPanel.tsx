import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type Dispatch,
  type ReactNode,
  type SetStateAction,
} from 'react';
import type { Character, CharacterId, SceneFilter, SceneId, SceneSort } from '../../../../common/contract';
import { useDatasetStats, useLastReview, useReviewCounts, useSceneFacets, useSceneList } from '../../lib/queries';
import { applyReview } from '../../lib/review';
import { useUi } from '../../state/ui';
import { SEARCH_MAX_CHARS } from '../../../../common/search-query';
import { useDebounced } from '../form-fields';
import { DatasetHead } from './DatasetHead';
import { SceneDetail } from './SceneDetail';
import { SceneEditorPanel, type EditorTarget } from './SceneEditorPanel';
import { ReviewActions, ReviewFilters, WaitingScenes, type ReviewFilter } from './ReviewBar';
import { MoreFilters, SORT_LABELS, type MoreFilter } from './BrowserFilters';
import { SceneBrowserList } from './SceneBrowserList';
import { useListKeys } from './list-keys';
import { useSceneDeletion, type CopiedFrom } from './scene-actions';
import '../../generation.css';
import '../../browser.css';
import '../../interop.css';

type Filter = 'all' | 'normal' | 'protective' | 'hand' | 'chat_correction' | 'problems' | 'waiting';

const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  normal: 'Normal',
  protective: 'Protective',
  hand: 'By hand',
  chat_correction: 'Chat corrections',
  problems: 'Problems',
  waiting: 'Waiting',
};

function filterArg(filter: Filter): SceneFilter {
  if (filter === 'all') return {};
  if (filter === 'problems') return { problems: true };
  if (filter === 'waiting') return { waiting: true };
  return { kind: filter };
}

/**
 * The browser's view of each character (search, filters, sort, the scene open), kept while the
 * window lives: the panel is unmounted when Statistics or another tab is shown, and coming back
 * found an empty search and nothing selected.
 */
const keptViews = new Map<string, unknown>();

function useKept<T>(characterId: CharacterId, name: string, initial: T): [T, Dispatch<SetStateAction<T>>] {
  const key = `${characterId}\u0000${name}`;
  const [value, setValue] = useState<T>(() => (keptViews.has(key) ? (keptViews.get(key) as T) : initial));
  useEffect(() => {
    keptViews.set(key, value);
  }, [key, value]);
  return [value, setValue];
}

/**
 * The Dataset tab: totals, the scenes as one virtualized list over keyset pages (search, filters
 * with counts, sort, keyboard), and one scene read as a transcript with the search's words marked.
 */
export function DatasetPanel({
  character,
  views,
}: {
  character: Character;
  /** The Scenes/Statistics switch, set at the top of the side beside the list. */
  views?: ReactNode;
}) {
  const stats = useDatasetStats(character.id);
  const setTab = useUi((s) => s.setCharacterTab);
  const openDialog = useUi((s) => s.open);
  const [filter, setFilter] = useKept<Filter>(character.id, 'filter', 'all');
  const [selected, setSelected] = useKept<SceneId | null>(character.id, 'selected', null);
  const [review, setReview] = useKept<ReviewFilter>(character.id, 'review', {});
  const [more, setMore] = useKept<MoreFilter>(character.id, 'more', {});
  const [sort, setSort] = useKept<SceneSort>(character.id, 'sort', 'oldest');
  const [query, setQuery] = useKept(character.id, 'query', '');
  // One request once the typing pauses, not one per key.
  const search = useDebounced(query.trim(), 150);
  // Scenes ticked for a review action, and the row a shift-click extends the range from.
  const [ticked, setTicked] = useState<ReadonlySet<SceneId>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const sceneFilter: SceneFilter = useMemo(
    () => ({ ...filterArg(filter), ...review, ...more, ...(search !== '' && { search }) }),
    [filter, review, more, search],
  );
  const scenes = useSceneList(character.id, sceneFilter, sort);
  const rows = useMemo(() => scenes.data?.pages.flatMap((p) => p.scenes) ?? [], [scenes.data]);
  const counts = useReviewCounts(character.id, sceneFilter);
  const facets = useSceneFacets(character.id, sceneFilter);
  const last = useLastReview(character.id);
  // The handlers the list and the bars get stay the same between renders (they read the latest
  // state from here), so a page arriving while the reader scrolls renders only what changed.
  const latest = useRef({ rows, ticked, anchor });
  latest.current = { rows, ticked, anchor };
  const clearTicks = useCallback(() => {
    setTicked(new Set());
    setAnchor(null);
  }, []);
  /** Ticks or unticks row `index`; with shift, every row from the last one clicked takes its state. */
  const tick = useCallback((index: number, id: SceneId, range: boolean) => {
    const { rows, ticked, anchor } = latest.current;
    const next = new Set(ticked);
    const on = !ticked.has(id);
    const [from, to] = range && anchor !== null ? [Math.min(anchor, index), Math.max(anchor, index)] : [index, index];
    for (const row of rows.slice(from, to + 1)) {
      if (on) next.add(row.id);
      else next.delete(row.id);
    }
    setTicked(next);
    setAnchor(index);
  }, []);
  const tickedIds = useMemo(() => [...ticked], [ticked]);
  // The filters and the review bar fold away so the list keeps its height at 1024×700 (about two
  // rows were left); the toggle says how many filters are on. The review bar shows with the
  // filters (to act on every result), while scenes are ticked, and after an action (for Undo).
  const [filtersOpen, setFiltersOpen] = useKept(character.id, 'filtersOpen', false);
  const [reviewed, setReviewed] = useState(false);
  const filtersOn =
    (filter === 'all' ? 0 : 1) +
    Object.values(review).filter((v) => v !== undefined).length +
    Object.values(more).filter((v) => v !== undefined).length;
  const reviewDone = useCallback(() => {
    clearTicks();
    setReviewed(true);
  }, [clearTicks]);
  const [editing, setEditing] = useState<EditorTarget | null>(null);
  const pane = useRef<HTMLElement>(null);
  // A new scene is read from its top: the pane scrolls back, and into the window when a narrow
  // window puts it below the list.
  useEffect(() => {
    const element = pane.current;
    if (!selected || !element) return;
    element.scrollTop = 0;
    const top = element.getBoundingClientRect().top;
    // Side by side (wider than 860 px) the pane is already beside the list: scrolling the page to it
    // would push the sticky columns past the grid's end and cut their tops.
    const stacked = window.matchMedia?.('(max-width: 860px)').matches ?? false;
    if (top < 0 || (stacked && top > window.innerHeight / 2)) element.scrollIntoView?.({ block: 'start' });
  }, [selected]);
  const total = counts.data?.total ?? 0;
  // A deleted scene's place goes to the scene after it (before it, for the last one), as in a mail
  // reader: a curator deleting scene after scene keeps reading on.
  const afterDeleted = useCallback(
    (id: SceneId) => {
      const { rows } = latest.current;
      const at = rows.findIndex((r) => r.id === id);
      const next = at === -1 ? null : (rows[at + 1] ?? rows[at - 1] ?? null);
      setSelected((current) => (current === id || current === null ? (next?.id ?? null) : current));
      setEditing(null);
      setTicked((ticks) => {
        if (!ticks.has(id)) return ticks;
        const left = new Set(ticks);
        left.delete(id);
        return left;
      });
    },
    [setSelected],
  );
  const deletion = useSceneDeletion(character, afterDeleted);
  const openCopy = useCallback(
    (id: SceneId, copiedFrom: CopiedFrom) => {
      setSelected(id);
      setEditing({ kind: 'edit', id, copiedFrom });
    },
    [setSelected],
  );
  const { fetchNextPage, hasNextPage, isFetchingNextPage } = scenes;
  const needMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const open = useCallback(
    (id: SceneId) => setEditing({ kind: 'edit', id, ...(search !== '' && { search }) }),
    [search],
  );
  useListKeys({
    enabled: editing === null,
    rows,
    selected,
    onSelect: setSelected,
    onOpen: open,
    onDelete: (row) => deletion.ask({ ...row, unsaved: false }),
    onReview: (row, change) =>
      void applyReview(character, { ids: [row.id] }, change).then((action) => action && setReviewed(true)),
    onNeedMore: hasNextPage ? needMore : undefined,
  });
  const changeFilter = (apply: () => void) => {
    apply();
    clearTicks();
  };
  const changeReview = useCallback(
    (next: ReviewFilter) => {
      setReview(next);
      clearTicks();
    },
    [clearTicks],
  );
  const changeMore = useCallback(
    (next: MoreFilter) => {
      setMore(next);
      clearTicks();
    },
    [clearTicks],
  );

  const editor = editing && (
    <SceneEditorPanel
      key={editing.kind === 'edit' ? editing.id : 'new'}
      target={editing}
      character={character}
      onClose={() => setEditing(null)}
      onCreated={(id) => setSelected(id)}
      onDelete={deletion.ask}
      onDuplicated={openCopy}
    />
  );

  if (stats.data && stats.data.scenes === 0) {
    return (
      <>
        {views}
        <div className="empty small">
          <h3>No scenes yet</h3>
          <p>Scenes and experiences appear here as a run makes them, each with the LLM call it came from.</p>
          <button className="primary" onClick={() => setTab('generate')}>
            Go to Generate
          </button>{' '}
          <button onClick={() => setEditing({ kind: 'new' })}>Write a scene by hand</button>{' '}
          <button onClick={() => openDialog({ kind: 'import-dataset', characterId: character.id })}>
            Import a dataset…
          </button>
          {editor}
          {deletion.dialog}
        </div>
      </>
    );
  }

  return (
    <div className="dataset">
      <div className="dataset-grid">
        <section className="scene-column" aria-label="Scenes">
          <div className="browser-search">
            <input
              type="search"
              aria-label="Search scenes"
              placeholder="Search scenes and turns…"
              maxLength={SEARCH_MAX_CHARS}
              value={query}
              onChange={(e) => changeFilter(() => setQuery(e.target.value))}
              onKeyDown={(e) => {
                if (e.key === 'Escape') changeFilter(() => setQuery(''));
              }}
            />
          </div>
          <div className="browser-count">
            <span className="muted" data-testid="scene-count">
              {total.toLocaleString('en-US')} scene{total === 1 ? '' : 's'}
            </span>
            <button
              className={filtersOn > 0 ? 'small filters-toggle on' : 'small filters-toggle'}
              aria-expanded={filtersOpen}
              aria-controls={`${character.id}-filters`}
              onClick={() => setFiltersOpen(!filtersOpen)}
              title="Kind, review status, rating, tag, speaker and more; with them, review actions on every result"
            >
              Filters{filtersOn > 0 ? ` · ${filtersOn}` : ''} <span aria-hidden="true">{filtersOpen ? '▴' : '▾'}</span>
            </button>
            <select aria-label="Sort" value={sort} onChange={(e) => setSort(e.target.value as SceneSort)}>
              {(Object.keys(SORT_LABELS) as SceneSort[]).map((s) => (
                <option key={s} value={s}>
                  {SORT_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          {filtersOpen && (
            <div className="scene-toolbar" id={`${character.id}-filters`}>
              <div className="segmented" role="radiogroup" aria-label="Show">
                {(Object.keys(FILTER_LABELS) as Filter[])
                  .filter((f) => f !== 'problems' || (facets.data?.problems ?? 0) > 0 || filter === f)
                  .filter((f) => f !== 'waiting' || (counts.data?.waiting ?? 0) > 0 || filter === f)
                  .filter(
                    (f) =>
                      (f !== 'hand' && f !== 'chat_correction') || (facets.data?.kinds[f] ?? 0) > 0 || filter === f,
                  )
                  .map((f) => (
                    <button
                      key={f}
                      role="radio"
                      aria-checked={filter === f}
                      className={filter === f ? 'selected' : undefined}
                      onClick={() => changeFilter(() => setFilter(f))}
                    >
                      {FILTER_LABELS[f]}
                      {f === 'problems' && <span className="count">{facets.data?.problems ?? 0}</span>}
                    </button>
                  ))}
              </div>
              <ReviewFilters counts={counts.data} value={review} onChange={changeReview} />
              <MoreFilters facets={facets.data} value={more} onChange={changeMore} />
            </div>
          )}
          {(filtersOpen || tickedIds.length > 0 || reviewed) && (
            <ReviewActions
              character={character}
              selected={tickedIds}
              filter={sceneFilter}
              total={total}
              lastSummary={last.data?.summary ?? null}
              onDone={reviewDone}
            />
          )}
          <WaitingScenes
            character={character}
            waiting={counts.data?.waiting ?? 0}
            selected={tickedIds}
            onShow={() => changeFilter(() => setFilter('waiting'))}
            onDeleted={clearTicks}
          />

          {scenes.isError && <p className="form-error">{scenes.error.message}</p>}
          {/* In the list's place: below an empty list of its full height it was out of sight. */}
          {scenes.data && rows.length === 0 ? (
            <p className="muted center browser-empty" role="status">
              {search !== '' ? `No scene has “${search}”.` : 'No scenes of this kind.'}
            </p>
          ) : (
            <SceneBrowserList
              listKey={JSON.stringify([sceneFilter, sort])}
              rows={rows}
              hasMore={hasNextPage}
              loadingMore={isFetchingNextPage}
              onNeedMore={needMore}
              stale={scenes.isPlaceholderData}
              selected={selected}
              ticked={ticked}
              onSelect={setSelected}
              onTick={tick}
              onOpen={open}
            />
          )}
          <p className="list-keys muted">
            <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↑</kbd>/<kbd>↓</kbd> move · <kbd>Enter</kbd> edit · <kbd>a</kbd>/
            <kbd>r</kbd> accept/reject · <kbd>1</kbd>–<kbd>5</kbd> stars · <kbd>Del</kbd> delete
          </p>
        </section>
        <div className="dataset-side">
          <DatasetHead
            character={character}
            views={views}
            stats={stats.data}
            onNewScene={() => setEditing({ kind: 'new' })}
          />
          {stats.isError && <p className="form-error">{stats.error.message}</p>}
          <section className={selected ? 'scene-pane reading' : 'scene-pane'} aria-label="Scene" ref={pane}>
            {selected ? (
              <SceneDetail
                id={selected}
                character={character}
                search={search}
                onEdit={() => open(selected)}
                onDelete={deletion.ask}
                onDuplicated={openCopy}
                onReviewed={() => setReviewed(true)}
              />
            ) : (
              <div className="empty small">
                <p>Pick a scene to read it, with its experience and where it came from.</p>
              </div>
            )}
          </section>
        </div>
      </div>
      {editor}
      {deletion.dialog}
    </div>
  );
}

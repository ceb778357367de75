import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useRef } from 'react';
import type { HighlightPart, SceneId, SceneSummary } from '../../../../common/contract';
import { ProblemBadge } from './FormatProblems';
import { STATUS_LABELS } from './ReviewBar';
import { MORE_ROW_HEIGHT, rowHeight } from './row-height';

/** Rows rendered beyond each edge of the view. */
const OVERSCAN = 6;
/**
 * How close to the end of the loaded rows the next page is asked for: about two screens, so at a
 * fast scroll it has arrived before the reader gets there and no "Loading more" row jumps in.
 */
const PREFETCH_ROWS = 40;

/**
 * The scenes as one virtualized list: only the rows in view (and a few either side) are in the
 * DOM, whatever the dataset's size, and reaching the end of what is loaded asks for the next
 * keyset page (`onNeedMore`). The selected row is kept in view when it changes (keyboard moves).
 * Every row's height is known from its scene (row-height.ts), never measured: scrolling reads no
 * layout and no row moves after it appears.
 */
export function SceneBrowserList({
  listKey,
  rows,
  hasMore,
  loadingMore,
  onNeedMore,
  stale,
  selected,
  ticked,
  onSelect,
  onTick,
  onOpen,
}: {
  /** Changes with the filter and the order: the list goes back to its top. */
  listKey: string;
  rows: readonly SceneSummary[];
  hasMore: boolean;
  loadingMore: boolean;
  onNeedMore: () => void;
  /** The rows are those of the previous filter while the new one loads. */
  stale: boolean;
  selected: SceneId | null;
  ticked: ReadonlySet<SceneId>;
  onSelect: (id: SceneId) => void;
  /** Tick or untick row `index`; `range` extends from the last row ticked (shift). */
  onTick: (index: number, id: SceneId, range: boolean) => void;
  onOpen: (id: SceneId) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  // Stable between renders while the rows stay the same: the virtualizer recomputes every row's
  // position (all of them, loaded) whenever its key or size function changes, and the list renders
  // again at each scroll frame.
  const getItemKey = useCallback((index: number) => rows[index]?.id ?? 'more', [rows]);
  const getScrollElement = useCallback(() => scroller.current, []);
  const estimateSize = useCallback(
    (index: number) => {
      const scene = rows[index];
      return scene ? rowHeight(scene) : MORE_ROW_HEIGHT;
    },
    [rows],
  );
  const virtualizer = useVirtualizer({
    count: rows.length + (hasMore ? 1 : 0),
    getScrollElement,
    estimateSize,
    overscan: OVERSCAN,
    getItemKey,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items[items.length - 1]?.index ?? -1;

  // The last loaded rows are near: fetch the next page before the reader gets there.
  useEffect(() => {
    if (hasMore && !loadingMore && lastShown >= rows.length - PREFETCH_ROWS) onNeedMore();
  }, [hasMore, loadingMore, lastShown, rows.length, onNeedMore]);

  // A new filter or order starts at the top of its list.
  useEffect(() => {
    virtualizer.scrollToOffset(0);
  }, [listKey, virtualizer]);

  // A newly selected row (a click, j/k, the arrows) is brought into view; rows moving under a
  // selection that stays (a refetch, a new order) leave the scroll where the reader put it.
  const shownSelection = useRef<SceneId | null>(null);
  useEffect(() => {
    if (selected === shownSelection.current) return;
    const index = selected === null ? -1 : rows.findIndex((r) => r.id === selected);
    if (index < 0) return;
    shownSelection.current = selected;
    virtualizer.scrollToIndex(index, { align: 'auto' });
    // In a small window the list may reach below the window: the row must show in the part of
    // the list the window shows, so the list scrolls a little more (the page stays put).
    const frame = requestAnimationFrame(() => {
      const list = scroller.current;
      const row = list?.querySelector(`[data-index="${index}"]`);
      if (!list || !row) return;
      const box = list.getBoundingClientRect();
      const at = row.getBoundingClientRect();
      const bottom = Math.min(box.bottom, window.innerHeight);
      const top = Math.max(box.top, 0);
      if (at.bottom > bottom) list.scrollBy(0, at.bottom - bottom + 8);
      else if (at.top < top) list.scrollBy(0, at.top - top - 8);
    });
    return () => cancelAnimationFrame(frame);
  }, [selected, rows, virtualizer]);

  return (
    <div
      ref={scroller}
      className={stale ? 'scene-list stale' : 'scene-list'}
      role="list"
      aria-label="Scenes found"
      data-testid="scene-list"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((item) => {
          const scene = rows[item.index];
          const style = {
            position: 'absolute' as const,
            top: 0,
            left: 0,
            right: 0,
            height: item.size,
            transform: `translateY(${item.start}px)`,
          };
          if (!scene) {
            return (
              <div key={item.key} data-index={item.index} style={style} className="scene-more">
                <span className="muted">Loading more scenes…</span>
              </div>
            );
          }
          return (
            <SceneRow
              key={item.key}
              index={item.index}
              start={item.start}
              height={item.size}
              scene={scene}
              isSelected={scene.id === selected}
              isTicked={ticked.has(scene.id)}
              onSelect={onSelect}
              onTick={onTick}
              onOpen={onOpen}
            />
          );
        })}
      </div>
    </div>
  );
}

/**
 * One row. Memoized: while the list scrolls only its position changes, so rows already on screen
 * are not rendered again each frame (what keeps frames short at 100,000 scenes).
 */
const SceneRow = memo(function SceneRow({
  index,
  start,
  height,
  scene,
  isSelected,
  isTicked,
  onSelect,
  onTick,
  onOpen,
}: {
  index: number;
  start: number;
  /** From rowHeight(scene): the row is exactly this tall. */
  height: number;
  scene: SceneSummary;
  isSelected: boolean;
  isTicked: boolean;
  onSelect: (id: SceneId) => void;
  onTick: (index: number, id: SceneId, range: boolean) => void;
  onOpen: (id: SceneId) => void;
}) {
  return (
    <div
      data-index={index}
      style={{ position: 'absolute', top: 0, left: 0, right: 0, height, transform: `translateY(${start}px)` }}
      role="listitem"
      className={isTicked ? 'scene-row ticked' : 'scene-row'}
    >
      <input
        type="checkbox"
        className="scene-tick"
        aria-label={`Select scene ${index + 1}`}
        checked={isTicked}
        onChange={() => undefined}
        onClick={(e) => onTick(index, scene.id, e.shiftKey)}
      />
      <button
        className={isSelected ? 'scene-item selected' : 'scene-item'}
        aria-current={isSelected ? 'true' : undefined}
        onClick={(e) => {
          // Shift- or Ctrl/Cmd-click selects for review instead of opening the scene.
          if (e.shiftKey || e.metaKey || e.ctrlKey) onTick(index, scene.id, e.shiftKey);
          else onSelect(scene.id);
        }}
        onDoubleClick={() => onOpen(scene.id)}
        title="Double-click or Enter to edit; j/k or ↑/↓ to move; Shift- or Ctrl-click to select for review"
        data-testid="scene-item"
      >
        <span className="scene-number">{index + 1}</span>
        <SceneSummaryText scene={scene} />
        {/* One above the other at the right, so the scene's own lines keep the column's width. */}
        <span className="scene-badges">
          {scene.review.status !== 'unreviewed' && (
            <span className={`badge review ${scene.review.status}`} data-testid="review-badge">
              {STATUS_LABELS[scene.review.status].toLowerCase()}
            </span>
          )}
          {scene.hasExperience && <ProblemBadge counts={scene.problems} />}
          {!scene.hasExperience && (
            <span className="badge" title="The experience has not been written yet">
              pending
            </span>
          )}
        </span>
      </button>
    </div>
  );
});

function SceneSummaryText({ scene }: { scene: SceneSummary }) {
  return (
    <span className="scene-summary">
      <span className="scene-title">
        {scene.protective && <span className="badge protective">protective</span>}
        <span className="scene-type">{scene.type}</span>
      </span>
      <span className="scene-where">
        {scene.location}
        {scene.time ? ` · ${scene.time}` : ''}
      </span>
      {scene.people.length > 0 && <span className="scene-people">{scene.people.join(', ')}</span>}
      {scene.snippet && (
        <span className="scene-snippet" data-testid="scene-snippet">
          <Marked parts={scene.snippet} />
        </span>
      )}
      {(scene.review.rating !== null || scene.review.tags.length > 0) && (
        <span className="scene-review">
          {scene.review.rating !== null && (
            <span className="stars" aria-label={`Rated ${scene.review.rating} of 5`}>
              {'★'.repeat(scene.review.rating)}
            </span>
          )}
          {scene.review.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </span>
      )}
    </span>
  );
}

/** Text with the search's words in <mark>. */
export function Marked({ parts }: { parts: readonly HighlightPart[] }) {
  return <>{parts.map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}</>;
}

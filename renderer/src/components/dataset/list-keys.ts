import { useEffect, useRef } from 'react';
import type { ReviewChange, SceneId, SceneSummary } from '../../../../common/contract';

/** Whether a key press belongs to a field being typed in (never a list move). */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Whether a dialog is open (Provenance, a confirmation, the editor): its keys are its own, and the
 * list behind it must not move under it, wherever focus is.
 */
function dialogOpen(target: EventTarget | null): boolean {
  if (target instanceof Element && target.closest('dialog, [role="dialog"]') !== null) return true;
  return document.querySelector('dialog[open], [role="dialog"]') !== null;
}

/** A control outside the list (a review button, a link) that Enter must press as usual. */
function otherControl(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    target.closest('button, a, summary') !== null &&
    target.closest('[data-testid="scene-list"]') === null
  );
}

/** The review keys: a status, or stars (0 clears them). */
const REVIEW_KEYS: Readonly<Record<string, ReviewChange>> = {
  a: { status: 'accepted' },
  r: { status: 'rejected' },
  u: { status: 'unreviewed' },
  '0': { rating: null },
  ...Object.fromEntries([1, 2, 3, 4, 5].map((n) => [String(n), { rating: n }])),
};

/**
 * The browser's keys, on the whole window while `enabled` (no editor open), no dialog is open
 * and focus is not in a field: ↓ or j selects the next scene, ↑ or k the one before (the first when none is), Enter
 * opens the selected one in the editor, Delete asks to delete it; a accepts it and r rejects it
 * (both then select the next), u makes it unreviewed again, 1–5 give it stars and 0 clears them. Moving past the last loaded row
 * asks for the next page.
 */
export function useListKeys(options: {
  enabled: boolean;
  rows: readonly SceneSummary[];
  selected: SceneId | null;
  onSelect: (id: SceneId) => void;
  onOpen: (id: SceneId) => void;
  onDelete: (row: SceneSummary) => void;
  /** a, r or u set the selected scene's status, 1–5 its stars and 0 clears them. */
  onReview: (row: SceneSummary, change: ReviewChange) => void;
  onNeedMore: (() => void) | undefined;
}): void {
  // The listener is added once per `enabled`; it reads the latest rows and selection from here.
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    if (!options.enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target) || dialogOpen(event.target)) return;
      const { rows, selected, onSelect, onOpen, onDelete, onReview, onNeedMore } = latest.current;
      const at = selected === null ? -1 : rows.findIndex((r) => r.id === selected);
      const by =
        event.key === 'ArrowDown' || event.key === 'j' ? 1 : event.key === 'ArrowUp' || event.key === 'k' ? -1 : 0;
      if (by !== 0) {
        const next = at === -1 ? 0 : Math.min(Math.max(at + by, 0), rows.length - 1);
        const row = rows[next];
        if (row) onSelect(row.id);
        if (next >= rows.length - 2) onNeedMore?.();
        event.preventDefault();
      } else if (event.key === 'Enter' && selected !== null && at !== -1 && !otherControl(event.target)) {
        onOpen(selected);
        event.preventDefault();
      } else if (event.key === 'Delete' && at !== -1) {
        onDelete(rows[at]!);
        event.preventDefault();
      } else if (at !== -1 && REVIEW_KEYS[event.key] !== undefined && !otherControl(event.target)) {
        // Accepting or rejecting moves on, as one reads a dataset through; a rating stays put.
        const change = REVIEW_KEYS[event.key]!;
        const next = change.status === 'accepted' || change.status === 'rejected' ? (rows[at + 1] ?? null) : null;
        onReview(rows[at]!, change);
        if (next) onSelect(next.id);
        if (at + 1 >= rows.length - 2) onNeedMore?.();
        event.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [options.enabled]);
}

import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { SceneEditor } from '../../../../common/scene-doc/editor';
import type { SceneDoc, Turn, TurnKind } from '../../../../common/scene-doc/operations';
import { markTerms, searchTerms } from '../../../../common/search-query';

const KINDS: readonly TurnKind[] = ['speaking', 'thinking', 'action'];

/** Where focus goes after a structural edit: a turn's speaker or text, with the caret at `caret`. */
export interface FocusRequest {
  index: number;
  field: 'speaker' | 'text';
  caret?: number;
}

/**
 * Which speaker a new turn after `index` gets (-1: the first turn). Dialogues alternate between the
 * character (`names[0]` is the speaker label, the others name them too) and the other person: the
 * first of the scene's People, else whoever last spoke to the character. An empty scene starts
 * with the other person when People names one, else with the character.
 */
export function nextSpeaker(doc: SceneDoc, index: number, names: readonly string[]): string {
  const character = names[0] ?? '';
  const isCharacter = (speaker: string) => names.includes(speaker.trim());
  const other =
    doc.people[0] ??
    doc.turns
      .slice(0, index + 1)
      .reverse()
      .find((t) => t.speaker.trim() !== '' && !isCharacter(t.speaker))?.speaker;
  const previous = doc.turns[index]?.speaker;
  if (previous === undefined || previous.trim() === '') return other ?? character;
  return isCharacter(previous) ? (other ?? '') : character;
}

/**
 * The structural moves on a turn, shared by its buttons and its keyboard shortcuts. Each returns
 * where focus should go afterwards.
 */
export function turnMoves(editor: SceneEditor, focus: (request: FocusRequest) => void, names: readonly string[]) {
  const doc = () => editor.snapshot().doc;
  return {
    insertAfter(index: number) {
      const turn: Turn = { speaker: nextSpeaker(doc(), index, names), kind: 'speaking', text: '' };
      editor.apply({ kind: 'insert-turn', index: index + 1, turn });
      focus({ index: index + 1, field: 'text' });
    },
    remove(index: number) {
      editor.apply({ kind: 'delete-turn', index });
      const left = doc().turns.length;
      if (left > 0) focus({ index: Math.min(index, left - 1), field: 'text' });
    },
    move(index: number, by: -1 | 1) {
      const to = index + by;
      if (to < 0 || to >= doc().turns.length) return;
      editor.apply({ kind: 'move-turn', from: index, to });
      focus({ index: to, field: 'text' });
    },
    split(index: number, offset: number) {
      editor.apply({ kind: 'split-turn', index, offset });
      focus({ index: index + 1, field: 'text', caret: 0 });
    },
    merge(index: number) {
      const length = doc().turns[index]?.text.length ?? 0;
      editor.apply({ kind: 'merge-turn', index });
      focus({ index, field: 'text', caret: length });
    },
  };
}

/** Height of a turn before it is measured (px): its head and a two-line text. */
const TURN_ESTIMATE = 96;

/**
 * The experience's turns, each editable in place, with the moves as buttons, keys and drag. The
 * list is virtualized (only the turns in view are in the DOM), so a scene of 10,000 turns edits as
 * smoothly as one of ten; a focus request scrolls its turn into view first, then focuses it.
 * With a search, the turns holding its words are marked and "Next match" walks through them.
 */
export function SceneTurns({
  editor,
  doc,
  focus,
  focusRequest,
  onFocused,
  highlight,
  search = '',
  regenerate,
}: {
  editor: SceneEditor;
  doc: SceneDoc;
  focus: (request: FocusRequest) => void;
  /** Where focus should go after the last structural edit, until `onFocused` says it went. */
  focusRequest?: FocusRequest | null;
  onFocused?: () => void;
  /** Names of the character, to mark their turns; the first is their speaker label, given to new turns. */
  highlight: readonly string[];
  /** The browser's search: turns with its words are marked. */
  search?: string;
  /** Asks for an instruction to rewrite turn `index` through the LLM; absent or null when it cannot now (why, in `title`). */
  regenerate?: { start: (index: number) => void; blocked: string | null };
}) {
  const moves = turnMoves(editor, focus, highlight);
  const [dragged, setDragged] = useState<number | null>(null);
  const list = useRef<HTMLOListElement>(null);
  // The turn holding focus stays in the DOM when it is scrolled out of view, so its field keeps
  // focus (and the caret) while the writer scrolls to read elsewhere.
  const focused = useRef<number | null>(null);
  const rangeExtractor = useCallback((range: Range) => {
    const shown = defaultRangeExtractor(range);
    const keep = focused.current;
    if (keep === null || keep >= range.count || shown.includes(keep)) return shown;
    return [...shown, keep].sort((a, b) => a - b);
  }, []);
  const virtualizer = useVirtualizer({
    rangeExtractor,
    count: doc.turns.length,
    getScrollElement: () => list.current?.closest<HTMLElement>('.editor-turns') ?? null,
    estimateSize: () => TURN_ESTIMATE,
    overscan: 6,
    gap: 8,
  });
  const items = virtualizer.getVirtualItems();
  const terms = useMemo(() => searchTerms(search), [search]);
  const hits = useMemo(
    () =>
      terms.length === 0 ? [] : doc.turns.flatMap((t, i) => (markTerms(t.text, terms).some((p) => p.match) ? [i] : [])),
    [doc.turns, terms],
  );

  // A focus request for a turn not in the DOM scrolls to it; the next render finds and focuses it.
  useLayoutEffect(() => {
    if (!focusRequest) return;
    const turn = list.current?.querySelector(`[data-turn="${focusRequest.index}"]`);
    const field = turn?.querySelector<HTMLInputElement | HTMLTextAreaElement>(
      focusRequest.field === 'text' ? 'textarea' : 'input',
    );
    if (!field) {
      if (focusRequest.index < doc.turns.length) virtualizer.scrollToIndex(focusRequest.index, { align: 'center' });
      else onFocused?.();
      return;
    }
    field.focus({ preventScroll: true });
    const caret = focusRequest.caret ?? field.value.length;
    field.setSelectionRange(caret, caret);
    onFocused?.();
  }, [focusRequest, items, doc.turns.length, virtualizer, onFocused]);

  const onKeyDown = (index: number) => (event: KeyboardEvent<HTMLTextAreaElement>) => {
    const mod = event.ctrlKey || event.metaKey;
    const caret = event.currentTarget.selectionStart;
    const handled = (() => {
      if (mod && !event.shiftKey && event.key === 'Enter') moves.split(index, caret);
      else if (event.altKey && event.key === 'Enter') moves.insertAfter(index);
      else if (mod && event.key.toLowerCase() === 'j') moves.merge(index);
      else if (event.altKey && event.key === 'ArrowUp') moves.move(index, -1);
      else if (event.altKey && event.key === 'ArrowDown') moves.move(index, 1);
      else if (mod && event.shiftKey && event.key === 'Backspace') moves.remove(index);
      else if (event.altKey && event.code === 'KeyR' && regenerate?.blocked === null) regenerate.start(index);
      else return false;
      return true;
    })();
    if (handled) event.preventDefault();
  };

  if (doc.turns.length === 0) {
    return (
      <div className="turns-empty">
        <p className="muted">No turns yet. Write the experience here, turn by turn.</p>
        <button className="small" onClick={() => moves.insertAfter(-1)}>
          + Add a turn
        </button>
      </div>
    );
  }

  const nextHit = () => {
    const focused = Number(document.activeElement?.closest('[data-turn]')?.getAttribute('data-turn') ?? -1);
    const next = hits.find((i) => i > focused) ?? hits[0];
    if (next !== undefined) focus({ index: next, field: 'text', caret: 0 });
  };

  return (
    <>
      {terms.length > 0 && (
        <p className="search-hits muted" role="status">
          {hits.length === 0
            ? `No turn contains “${search}”; the scene matched it elsewhere.`
            : `“${search}” is in ${hits.length.toLocaleString('en-US')} turn${hits.length === 1 ? '' : 's'}`}
          {hits.length > 0 && (
            <button className="small" onClick={nextHit}>
              Next match ↓
            </button>
          )}
        </p>
      )}
      <ol className="edit-turns" aria-label="Turns" ref={list} style={{ height: virtualizer.getTotalSize() }}>
        {items.map(({ index, start }) => {
          const turn = doc.turns[index]!;
          return (
            <li
              key={index}
              ref={virtualizer.measureElement}
              data-index={index}
              style={{ transform: `translateY(${start}px)` }}
              className={`edit-turn ${turn.kind}${highlight.includes(turn.speaker.trim()) ? ' main' : ''}${dragged === index ? ' dragging' : ''}${hits.includes(index) ? ' search-hit' : ''}`}
              data-turn={index}
              onFocus={() => (focused.current = index)}
              onBlur={(event) => {
                if (!event.currentTarget.contains(event.relatedTarget)) focused.current = null;
              }}
              onDragOver={(event) => {
                if (dragged !== null) event.preventDefault();
              }}
              onDrop={(event) => {
                event.preventDefault();
                if (dragged !== null && dragged !== index) {
                  editor.apply({ kind: 'move-turn', from: dragged, to: index });
                  focus({ index, field: 'text' });
                }
                setDragged(null);
              }}
            >
              <div className="turn-head">
                <span
                  className="drag-handle"
                  draggable
                  title="Drag to move this turn"
                  aria-hidden="true"
                  onDragStart={(event) => {
                    event.dataTransfer.effectAllowed = 'move';
                    setDragged(index);
                  }}
                  onDragEnd={() => setDragged(null)}
                >
                  ⋮⋮
                </span>
                <span className="turn-index">{index + 1}</span>
                <input
                  className="turn-speaker"
                  aria-label={`Turn ${index + 1} speaker`}
                  value={turn.speaker}
                  placeholder="Speaker"
                  onChange={(event) =>
                    editor.apply({ kind: 'set-turn', index, patch: { speaker: event.currentTarget.value } })
                  }
                  onBlur={() => editor.seal()}
                />
                <select
                  aria-label={`Turn ${index + 1} kind`}
                  value={turn.kind}
                  onChange={(event) =>
                    editor.apply({ kind: 'set-turn', index, patch: { kind: event.currentTarget.value as TurnKind } })
                  }
                >
                  {KINDS.map((k) => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
                </select>
                <span className="turn-actions">
                  {regenerate && (
                    <button
                      className="icon"
                      title={regenerate.blocked ?? 'Regenerate this turn with an instruction (Alt+R)'}
                      aria-label={`Regenerate turn ${index + 1}`}
                      disabled={regenerate.blocked !== null}
                      onClick={() => regenerate.start(index)}
                    >
                      ↻
                    </button>
                  )}
                  <button
                    className="icon"
                    title="Move up (Alt+↑)"
                    aria-label={`Move turn ${index + 1} up`}
                    disabled={index === 0}
                    onClick={() => moves.move(index, -1)}
                  >
                    ↑
                  </button>
                  <button
                    className="icon"
                    title="Move down (Alt+↓)"
                    aria-label={`Move turn ${index + 1} down`}
                    disabled={index === doc.turns.length - 1}
                    onClick={() => moves.move(index, 1)}
                  >
                    ↓
                  </button>
                  <button
                    className="icon"
                    title="Merge with the next turn (Ctrl+J)"
                    aria-label={`Merge turn ${index + 1} with the next`}
                    disabled={index === doc.turns.length - 1}
                    onClick={() => moves.merge(index)}
                  >
                    ⤓
                  </button>
                  <button
                    className="icon"
                    title="Insert a turn after (Alt+Enter)"
                    aria-label={`Insert a turn after ${index + 1}`}
                    onClick={() => moves.insertAfter(index)}
                  >
                    +
                  </button>
                  <button
                    className="icon danger"
                    title="Delete this turn (Ctrl+Shift+Backspace)"
                    aria-label={`Delete turn ${index + 1}`}
                    onClick={() => moves.remove(index)}
                  >
                    ×
                  </button>
                </span>
              </div>
              <span className="turn-text">
                {hits.includes(index) && (
                  // The search's words marked behind the transparent-backed text, wrapped the same way.
                  <span className="turn-backdrop" aria-hidden="true" data-testid="turn-marks">
                    {markTerms(turn.text, terms).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : p.text))}
                  </span>
                )}
                <textarea
                  aria-label={`Turn ${index + 1} text`}
                  value={turn.text}
                  rows={Math.min(8, Math.max(2, Math.ceil(turn.text.length / 90)))}
                  onChange={(event) =>
                    editor.apply({ kind: 'set-turn', index, patch: { text: event.currentTarget.value } })
                  }
                  onKeyDown={onKeyDown(index)}
                  onBlur={() => editor.seal()}
                  onScroll={(event) => {
                    const backdrop = event.currentTarget.previousElementSibling;
                    if (backdrop) backdrop.scrollTop = event.currentTarget.scrollTop;
                  }}
                />
              </span>
            </li>
          );
        })}
      </ol>
    </>
  );
}

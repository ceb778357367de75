import { useRef, useState } from 'react';
import type { Chunk } from '../../../common/contract';
import { useCommand } from '../lib/queries';

/** One chunk: read, edit in place, split at the cursor, merge with the next, delete. */
export function ChunkCard({ chunk, isLast }: { chunk: Chunk; isLast: boolean }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(chunk.text);
  const [expanded, setExpanded] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const update = useCommand('chunks/update');
  const split = useCommand('chunks/split');
  const merge = useCommand('chunks/merge');
  const remove = useCommand('chunks/delete');
  const body = chunk.heading ? chunk.text.split('\n').slice(chunk.heading.split(' · ').length).join('\n') : chunk.text;
  const long = body.length > 600;

  const startEdit = () => {
    setDraft(chunk.text);
    setEditing(true);
  };

  const save = () => {
    if (draft === chunk.text) return setEditing(false);
    update.mutate({ id: chunk.id, text: draft }, { onSuccess: () => setEditing(false) });
  };

  const splitAtCursor = () => {
    const offset = textarea.current?.selectionStart ?? 0;
    // Unsaved edits are saved first so the split applies to what the user sees.
    const run = () => split.mutate({ id: chunk.id, offset }, { onSuccess: () => setEditing(false) });
    if (draft !== chunk.text) update.mutate({ id: chunk.id, text: draft }, { onSuccess: run });
    else run();
  };

  return (
    <li className={editing ? 'chunk editing' : 'chunk'} data-testid="chunk">
      <div className="chunk-gutter" aria-hidden="true">
        {chunk.position + 1}
      </div>
      <div className="chunk-main">
        {editing ? (
          <>
            <textarea
              ref={textarea}
              className="chunk-editor"
              aria-label={`Chunk ${chunk.position + 1} text`}
              value={draft}
              rows={Math.min(18, Math.max(4, Math.ceil(draft.length / 90)))}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) save();
                if (e.key === 'Escape') setEditing(false);
              }}
            />
            <div className="chunk-actions">
              <button className="primary small" onClick={save} disabled={update.isPending}>
                Save
              </button>
              <button className="small" onClick={splitAtCursor} title="Split this chunk in two where the cursor is">
                Split at cursor
              </button>
              <button className="small" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <span className="muted hint">Ctrl+Enter saves · Esc cancels</span>
            </div>
          </>
        ) : (
          <>
            {chunk.heading && <h4 className="chunk-heading">{chunk.heading}</h4>}
            <p className={long && !expanded ? 'chunk-text clamped' : 'chunk-text'} onDoubleClick={startEdit}>
              {body}
            </p>
            <div className="chunk-actions">
              <span className="muted">{chunk.words} words</span>
              {long && (
                <button className="link small" onClick={() => setExpanded(!expanded)}>
                  {expanded ? 'Show less' : 'Show all'}
                </button>
              )}
              <span className="spacer" />
              <button className="small ghost" onClick={startEdit}>
                Edit
              </button>
              {!isLast && (
                <button
                  className="small ghost"
                  onClick={() => merge.mutate({ id: chunk.id })}
                  title="Merge with the next chunk"
                >
                  Merge ↓
                </button>
              )}
              <button
                className="small ghost danger"
                onClick={() => {
                  if (window.confirm(`Delete chunk ${chunk.position + 1}?`)) remove.mutate({ id: chunk.id });
                }}
              >
                Delete
              </button>
            </div>
          </>
        )}
      </div>
    </li>
  );
}

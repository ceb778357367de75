import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { SavedScene, SceneId, SceneRevision } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { importedFromText } from '../../../../common/provenance';

const AUTHORS: Record<SceneRevision['author'], string> = {
  generated: 'Generated',
  user: 'Edited by hand',
  llm: 'Rewritten by the LLM',
  import: 'Imported',
};

/**
 * A scene's revisions, newest first; picking one shows its word-level diff against the current
 * revision (removed words struck, added ones marked) and offers to restore it as a new revision.
 */
export function RevisionHistory({
  id,
  current,
  dirty,
  onRestored,
}: {
  id: SceneId;
  current: number;
  /** Unsaved edits in the editor: a restore would replace them, so it waits for a save or undo. */
  dirty: boolean;
  onRestored: (saved: SavedScene) => void;
}) {
  const revisions = useQuery({
    queryKey: ['scenes/revisions', { id }, current],
    queryFn: () => invoke('scenes/revisions', { id }),
  });
  const [picked, setPicked] = useState<number | null>(null);
  const list = revisions.data ?? [];
  const shown = picked ?? list.find((r) => r.revision !== current)?.revision ?? current;
  const diff = useQuery({
    queryKey: ['scenes/diff', { id, from: shown, to: current }],
    queryFn: () => invoke('scenes/diff', { id, from: shown, to: 'current' }),
    enabled: list.length > 0,
  });
  const [restoring, setRestoring] = useState<string | null>(null);

  const restore = async () => {
    setRestoring('Restoring…');
    try {
      onRestored(await invoke('scenes/restore', { id, revision: shown, baseRevision: current }));
      setPicked(null);
      setRestoring(null);
    } catch (error) {
      setRestoring(messageOf(error));
    }
  };

  if (revisions.isError) return <p className="form-error">{revisions.error.message}</p>;
  return (
    <section className="revision-history" aria-label="History">
      <ol className="revision-list">
        {[...list].reverse().map((r) => (
          <li key={r.revision}>
            <button
              className={r.revision === shown ? 'revision selected' : 'revision'}
              aria-current={r.revision === shown ? 'true' : undefined}
              onClick={() => setPicked(r.revision)}
            >
              <span className="revision-number">#{r.revision}</span>
              <span>
                {AUTHORS[r.author]}
                {r.restoredFrom !== null && ` (restores #${r.restoredFrom})`}
                {r.importedFrom && <span className="muted"> {importedFromText(r.importedFrom)}</span>}
                {r.revision === current && <span className="badge">current</span>}
              </span>
              <span className="muted">
                {new Date(r.createdAt).toLocaleString()}
                {r.promptVersion ? ` · prompt ${r.promptVersion}` : ''}
              </span>
            </button>
          </li>
        ))}
      </ol>
      <div className="revision-diff" aria-label="Changes">
        {shown === current ? (
          <p className="muted">This is the only revision: edit and save to start the history.</p>
        ) : (
          <>
            <header className="revision-diff-head">
              <span>
                Changes from <strong>#{shown}</strong> to the current <strong>#{current}</strong>
              </span>
              <button
                className="small"
                onClick={() => void restore()}
                disabled={dirty || restoring === 'Restoring…'}
                title={dirty ? 'Save or undo your edits first: a restore would replace them.' : undefined}
              >
                Restore #{shown}
              </button>
            </header>
            {restoring && restoring !== 'Restoring…' && <p className="form-error">{restoring}</p>}
            {diff.isError && <p className="form-error">{diff.error.message}</p>}
            {diff.data?.sections.every((s) => !s.changed) && <p className="muted">No differences.</p>}
            {diff.data?.sections
              .filter((s) => s.changed)
              .map((section) => (
                <div key={section.label} className="diff-section">
                  <h5>{section.label}</h5>
                  <p className="diff-text">
                    {section.parts.map((part, i) =>
                      part.change === 'added' ? (
                        <ins key={i}>{part.text}</ins>
                      ) : part.change === 'removed' ? (
                        <del key={i}>{part.text}</del>
                      ) : (
                        <span key={i}>{part.text}</span>
                      ),
                    )}
                  </p>
                </div>
              ))}
          </>
        )}
      </div>
    </section>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import type { Events, RevisionRef, SavedScene, SceneId, SceneRevision } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke, queryClient, useStudioEvent } from '../../lib/queries';
import { importedFromText } from '../../../../common/provenance';
import { revisionNumbering } from '../../../../common/scene-doc/revision-numbers';
import { DiffSections } from './DiffSections';
import { formatTime } from '../../lib/format';

const AUTHORS: Record<SceneRevision['author'], string> = {
  generated: 'Generated',
  user: 'Edited by hand',
  llm: 'Rewritten by the LLM',
  import: 'Imported',
};

/**
 * A scene's revisions, newest first; picking one shows its word-level diff against the current
 * revision (removed words struck, added ones marked) and offers to restore it as a new revision.
 * Regenerations kept aside (the scene changed while they were out) are listed above as proposals:
 * picking one shows what it would change, and "Use this version" adopts it as a new revision.
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
  const proposals = useQuery({
    queryKey: ['scenes/proposals', { id }, current],
    queryFn: () => invoke('scenes/proposals', { id }),
  });
  const onRegenerated = useCallback(
    (event: Events['scenes/regenerated']) => {
      if (event.sceneId === id) void queryClient.invalidateQueries({ queryKey: ['scenes/proposals', { id }] });
    },
    [id],
  );
  useStudioEvent('scenes/regenerated', onRegenerated);
  const [picked, setPicked] = useState<number | { proposal: string } | null>(null);
  const list = revisions.data ?? [];
  const number = revisionNumbering(list);
  const waiting = (proposals.data ?? []).filter((p) => p.adoptedAs === null);
  const shown: number | { proposal: string } = picked ?? list.find((r) => r.revision !== current)?.revision ?? current;
  const proposal = typeof shown === 'object' ? waiting.find((p) => p.id === shown.proposal) : undefined;
  // A proposal is shown as what it would change in the current text; a revision as what changed since it.
  const [from, to]: [RevisionRef, RevisionRef] = typeof shown === 'object' ? ['current', shown] : [shown, 'current'];
  const diff = useQuery({
    queryKey: ['scenes/diff', { id, from, to: to === 'current' ? current : to }],
    queryFn: () => invoke('scenes/diff', { id, from, to }),
    enabled: list.length > 0,
  });
  const [restoring, setRestoring] = useState<string | null>(null);

  const restore = async () => {
    setRestoring('Restoring…');
    try {
      onRestored(
        typeof shown === 'object'
          ? await invoke('scenes/adopt', { id, proposalId: shown.proposal, baseRevision: current })
          : await invoke('scenes/restore', { id, revision: shown, baseRevision: current }),
      );
      setPicked(null);
      setRestoring(null);
    } catch (error) {
      setRestoring(messageOf(error));
    }
  };

  if (revisions.isError) return <p className="form-error">{revisions.error.message}</p>;
  return (
    <section className="revision-history" aria-label="History">
      {waiting.length > 0 && (
        <ol className="revision-list proposals" aria-label="Proposals">
          {waiting.map((p) => (
            <li key={p.id}>
              <button
                className={proposal?.id === p.id ? 'revision proposal selected' : 'revision proposal'}
                aria-current={proposal?.id === p.id ? 'true' : undefined}
                onClick={() => setPicked({ proposal: p.id })}
              >
                <span className="revision-number">from #{number(p.baseRevision)}</span>
                <span>
                  Proposed by the LLM <span className="badge">not applied</span>
                </span>
                <span className="muted revision-instruction">“{p.instruction}”</span>
                <span className="muted">{formatTime(p.createdAt, { seconds: true })}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
      <ol className="revision-list">
        {[...list].reverse().map((r) => (
          <li key={r.revision}>
            <button
              className={r.revision === shown ? 'revision selected' : 'revision'}
              aria-current={r.revision === shown ? 'true' : undefined}
              onClick={() => setPicked(r.revision)}
            >
              <span className="revision-number">#{number(r.revision)}</span>
              <span>
                {AUTHORS[r.author]}
                {r.restoredFrom !== null && ` (restores #${number(r.restoredFrom)})`}
                {r.importedFrom && <span className="muted"> {importedFromText(r.importedFrom)}</span>}
                {r.revision === current && <span className="badge">current</span>}
              </span>
              {r.instruction && <span className="muted revision-instruction">“{r.instruction}”</span>}
              <span className="muted">
                {formatTime(r.createdAt, { seconds: true })}
                {r.promptVersion ? ` · prompt ${r.promptVersion}` : ''}
              </span>
            </button>
          </li>
        ))}
      </ol>
      <div className="revision-diff" aria-label="Changes">
        {shown === current ? (
          <p className="muted">
            {list.length > 1
              ? 'This is the current revision: pick an earlier one to see what changed since.'
              : 'This is the only revision: edit and save to start the history.'}
          </p>
        ) : (
          <>
            <header className="revision-diff-head">
              <span>
                {typeof shown === 'object' ? (
                  <>
                    What the proposal would change in the current <strong>#{number(current)}</strong>
                  </>
                ) : (
                  <>
                    Changes from <strong>#{number(shown)}</strong> to the current <strong>#{number(current)}</strong>
                  </>
                )}
              </span>
              <button
                className="small"
                onClick={() => void restore()}
                disabled={dirty || restoring === 'Restoring…'}
                title={dirty ? 'Save or undo your edits first: this would replace them.' : undefined}
              >
                {typeof shown === 'object' ? 'Use this version' : `Restore #${number(shown)}`}
              </button>
            </header>
            {restoring && restoring !== 'Restoring…' && <p className="form-error">{restoring}</p>}
            {diff.isError && <p className="form-error">{diff.error.message}</p>}
            {diff.data && <DiffSections sections={diff.data.sections} />}
          </>
        )}
      </div>
    </section>
  );
}

import { useEffect, useState } from 'react';
import type { RevisionAuthor, SceneDiff, SceneDoc, SceneId } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { DiffSections } from './DiffSections';

/** The scene as another window, a job or the command line left it, when the editor's save was refused. */
export interface Theirs {
  doc: SceneDoc;
  revision: number;
  /** Who stored that revision; null: a generation run wrote the experience (no revision of its own yet). */
  author: RevisionAuthor | null;
  /** When, when known (ms). */
  at: number | null;
}

const BY: Record<RevisionAuthor, string> = {
  user: 'by hand, in another window or at the command line',
  llm: 'by the LLM (a regeneration)',
  generated: 'by a generation run',
  import: 'by an import',
};

/** Reads the stored scene and who made its current revision, after a save was refused as a conflict. */
export async function readTheirs(id: SceneId): Promise<Theirs> {
  const [opened, revisions] = await Promise.all([invoke('scenes/open', { id }), invoke('scenes/revisions', { id })]);
  const made = revisions.find((r) => r.revision === opened.revision);
  return { doc: opened.doc, revision: opened.revision, author: made?.author ?? null, at: made?.createdAt ?? null };
}

type Side = 'theirs' | 'mine';

/**
 * What a refused save offers: the scene changed elsewhere since the editor opened it, and nothing
 * was overwritten. Compare shows what their revision changed in the text the editor opened, or
 * what keeping mine would change in theirs; Keep mine saves over their revision (it stays in the
 * history); Take theirs shows their revision as one undoable step (Ctrl+Z brings the edits back).
 */
export function EditorConflict({
  sceneId,
  theirs,
  opened,
  mine,
  shown,
  busy,
  onKeepMine,
  onTakeTheirs,
}: {
  sceneId: SceneId;
  theirs: Theirs;
  /** The document as the editor opened it (or last saved it), at `opened.revision`. */
  opened: { doc: SceneDoc; revision: number };
  /** The editor's text now. */
  mine: SceneDoc;
  /** A stored revision number as History numbers it. */
  shown: (stored: number) => number;
  busy: boolean;
  onKeepMine: () => void;
  onTakeTheirs: () => void;
}) {
  const [side, setSide] = useState<Side | null>(null);
  const [diff, setDiff] = useState<{ side: Side; result: SceneDiff } | { side: Side; error: string } | null>(null);

  // Their side is fixed; mine follows the typing, compared again once it pauses.
  const typed = side === 'mine' ? mine : null;
  useEffect(() => {
    if (side === null) return;
    let live = true;
    const timer = setTimeout(
      () => {
        const theirRef = { doc: theirs.doc, basedOn: theirs.revision };
        const [from, to] =
          side === 'theirs'
            ? [{ doc: opened.doc, basedOn: opened.revision }, theirRef]
            : [theirRef, { doc: typed ?? opened.doc, basedOn: opened.revision }];
        invoke('scenes/diff', { id: sceneId, from, to }).then(
          (result) => live && setDiff({ side, result }),
          (error: unknown) => live && setDiff({ side, error: messageOf(error) }),
        );
      },
      typed ? 300 : 0,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [side, sceneId, theirs, opened, typed]);

  const when = theirs.at === null ? '' : ` at ${new Date(theirs.at).toLocaleTimeString()}`;
  const by = theirs.author === null ? 'by a generation run, which wrote its experience' : BY[theirs.author];
  const number = shown(theirs.revision);
  return (
    <section className="editor-conflict" aria-label="Save conflict">
      <p role="alert">
        <strong>Not saved: this scene changed while you were editing it.</strong> Revision {number} was saved {by}
        {when}. Nothing was overwritten, and your edits are still here: compare, then keep yours or take theirs.
      </p>
      <div className="conflict-actions">
        <span className="muted">Compare:</span>
        <div className="segmented" role="radiogroup" aria-label="Compare">
          {(
            [
              ['theirs', 'Their changes'],
              ['mine', 'Yours against theirs'],
            ] as const
          ).map(([id, label]) => (
            <button
              key={id}
              role="radio"
              aria-checked={side === id}
              className={side === id ? 'selected' : undefined}
              onClick={() => setSide(side === id ? null : id)}
              title={
                id === 'theirs'
                  ? `What revision ${number} changed in the text you opened`
                  : `What keeping yours would change in revision ${number}`
              }
            >
              {label}
            </button>
          ))}
        </div>
        <button
          className="primary small"
          disabled={busy}
          onClick={onKeepMine}
          title={`Save your text as the next revision; revision ${number} stays in History, to compare or restore`}
        >
          {busy ? 'Saving…' : 'Keep mine'}
        </button>
        <button
          className="small"
          disabled={busy}
          onClick={onTakeTheirs}
          title="Show their text in place of yours; Ctrl+Z brings your edits back"
        >
          Take theirs
        </button>
      </div>
      {side !== null && (
        <div className="conflict-diff revision-diff" aria-label="Changes">
          <p className="muted">
            {side === 'theirs'
              ? `What revision ${number} changed in the text you opened (revision ${shown(opened.revision)}):`
              : `What keeping yours would change in revision ${number}:`}
          </p>
          {diff?.side !== side ? (
            <p className="muted">Comparing…</p>
          ) : 'error' in diff ? (
            <p className="form-error">{diff.error}</p>
          ) : (
            <DiffSections sections={diff.result.sections} />
          )}
        </div>
      )}
    </section>
  );
}

import { useState } from 'react';
import type { Character, SavedScene, SceneDoc, SceneId } from '../../../../common/contract';
import type { SceneEditor } from '../../../../common/scene-doc/editor';
import { sameDoc } from '../../../../common/scene-doc/operations';
import { CommandError, messageOf } from '../../lib/bridge-error';
import { invoke, queryClient } from '../../lib/queries';
import { EditorConflict, readTheirs, type Theirs } from './EditorConflict';
import type { FocusRequest } from './SceneTurns';

/**
 * Where the editor's saving stands. `conflict`: a save was refused because the scene changed
 * elsewhere since `opened` (the text the editor started from); `gone`: it was deleted elsewhere.
 * Both keep the editor's text; `busy` marks a Keep mine on its way.
 */
export type SaveStatus =
  | { kind: 'idle' }
  | { kind: 'saving' }
  | { kind: 'saved'; revision: number; over?: number; asNew?: boolean }
  | { kind: 'took'; revision: number }
  | { kind: 'same'; revision: number }
  | { kind: 'error'; message: string }
  | { kind: 'conflict'; theirs: Theirs; opened: { doc: SceneDoc; revision: number }; busy: boolean }
  | { kind: 'gone' };

/**
 * Saving the editor's document: a new scene is created, a stored one saved against the revision
 * the editor opened. A refusal never drops what was typed: a conflict offers Keep mine (saved
 * against their revision, which stays in the history) and Take theirs (their text as one undoable
 * step); a scene deleted elsewhere can be saved as a new one. `sceneId` is the stored scene the
 * editor writes to (null until a new one is first saved).
 */
export function useSceneSave({
  editor,
  initialId,
  character,
  onCreated,
  onBlank,
}: {
  editor: SceneEditor | null;
  initialId: SceneId | null;
  character: Character;
  onCreated: (id: SceneId) => void;
  /** Puts the cursor in the turn field a save is refused for (a blank speaker or text). */
  onBlank: (request: FocusRequest) => void;
}) {
  const [sceneId, setSceneId] = useState(initialId);
  const [status, setStatus] = useState<SaveStatus>({ kind: 'idle' });

  const afterSave = (saved: SavedScene, id: SceneId, over?: number) => {
    if (!editor) return;
    if (sameDoc(saved.doc, editor.snapshot().doc)) editor.markSaved(saved.doc, saved.revision);
    else editor.load(saved.doc, saved.revision); // the studio trimmed what was typed: show what is stored
    setStatus({ kind: 'saved', revision: saved.revision, ...(over !== undefined && { over }) });
    void queryClient.invalidateQueries({ queryKey: ['scenes/get', { id }] });
  };

  /** The save was refused as a conflict: what is stored now, and what the editor started from. */
  const refused = async (id: SceneId, editing: SceneEditor) => {
    try {
      const theirs = await readTheirs(id);
      if (sameDoc(theirs.doc, editing.snapshot().doc)) {
        editing.markSaved(theirs.doc, theirs.revision);
        setStatus({ kind: 'same', revision: theirs.revision });
        return;
      }
      const opened = { doc: editing.stored(), revision: editing.snapshot().baseRevision };
      setStatus({ kind: 'conflict', theirs, opened, busy: false });
      // An open History lists their revision too.
      void queryClient.invalidateQueries({ queryKey: ['scenes/revisions', { id }] });
    } catch (error) {
      setStatus(gone(error) ? { kind: 'gone' } : { kind: 'error', message: messageOf(error) });
    }
  };

  /**
   * Stores the editor's text: as a new scene (`asNew`, or while it has none), else as the revision
   * after `baseRevision` (`over`: their revision a Keep mine saves over). Resolves to whether it was
   * stored; a refusal is in `status`.
   */
  const store = async (baseRevision: number, options: { over?: number; asNew?: boolean } = {}): Promise<boolean> => {
    if (!editor || status.kind === 'saving' || (status.kind === 'conflict' && status.busy)) return false;
    editor.seal();
    const { doc } = editor.snapshot();
    // The studio refuses a turn without a speaker or text (training needs both); say so here and
    // put the cursor in that field, instead of a message naming a turn that may be scrolled away.
    const blank = doc.turns.findIndex((t) => t.speaker.trim() === '' || t.text.trim() === '');
    if (blank >= 0) {
      const missing = doc.turns[blank]!.speaker.trim() === '' ? 'speaker' : 'text';
      const message = `Turn ${blank + 1} has no ${missing}: fill it in or delete the turn, then save again. Nothing was saved yet.`;
      setStatus({ kind: 'error', message });
      onBlank({ index: blank, field: missing });
      return false;
    }
    setStatus((now) => (now.kind === 'conflict' ? { ...now, busy: true } : { kind: 'saving' }));
    try {
      if (sceneId === null || options.asNew) {
        const created = await invoke('scenes/create', { characterId: character.id, doc });
        setSceneId(created.id);
        editor.markSaved(doc, created.revision);
        setStatus({ kind: 'saved', revision: created.revision, asNew: options.asNew ?? false });
        onCreated(created.id);
        return true;
      }
      afterSave(await invoke('scenes/save', { id: sceneId, baseRevision, doc }), sceneId, options.over);
      return true;
    } catch (error) {
      if (error instanceof CommandError && error.code === 'conflict') await refused(sceneId!, editor);
      else if (gone(error)) setStatus({ kind: 'gone' });
      else setStatus({ kind: 'error', message: messageOf(error) });
      return false;
    }
  };

  return {
    sceneId,
    status,
    setStatus,
    afterSave,
    save: () => (editor ? store(editor.snapshot().baseRevision) : Promise.resolve(false)),
    keepMine: () =>
      status.kind === 'conflict'
        ? store(status.theirs.revision, { over: status.theirs.revision })
        : Promise.resolve(false),
    takeTheirs: () => {
      if (!editor || status.kind !== 'conflict') return;
      editor.adopt(status.theirs.doc, status.theirs.revision);
      setStatus({ kind: 'took', revision: status.theirs.revision });
    },
    saveAsNew: () => store(0, { asNew: true }),
  };
}

function gone(error: unknown): boolean {
  return error instanceof CommandError && error.code === 'not_found';
}

/**
 * The line under the editor's bar saying how the last save went; a conflict's choices, or the
 * way out of a scene deleted elsewhere.
 */
export function SaveStatusLine({
  save,
  doc,
  dirty,
  shown,
}: {
  save: ReturnType<typeof useSceneSave>;
  /** The editor's text now. */
  doc: SceneDoc;
  dirty: boolean;
  /** A stored revision as History numbers it. */
  shown: (stored: number) => number;
}) {
  const { status, sceneId } = save;
  switch (status.kind) {
    case 'error':
      return (
        <div className="editor-message form-error" role="alert">
          {status.message}
        </div>
      );
    case 'conflict':
      return (
        <EditorConflict
          sceneId={sceneId!}
          theirs={status.theirs}
          opened={status.opened}
          mine={doc}
          shown={shown}
          busy={status.busy}
          onKeepMine={() => void save.keepMine()}
          onTakeTheirs={save.takeTheirs}
        />
      );
    case 'gone':
      return (
        <div className="editor-message form-error" role="alert">
          Not saved: this scene was deleted elsewhere (another window or the command line). Your text is still here.{' '}
          <button className="small" onClick={() => void save.saveAsNew()}>
            Save as a new scene
          </button>
        </div>
      );
    case 'saved':
      if (dirty) return null;
      return (
        <div className="editor-message saved" role="status">
          {status.asNew
            ? 'Saved as a new scene, written by hand.'
            : `Saved as revision ${shown(status.revision)}.${
                status.over === undefined ? '' : ` Theirs stays in History as revision ${shown(status.over)}.`
              }`}
        </div>
      );
    case 'took':
      if (dirty) return null;
      return (
        <div className="editor-message muted" role="status">
          Showing their revision {shown(status.revision)}. Ctrl+Z brings your edits back; Save then keeps them over it.
        </div>
      );
    case 'same':
      if (dirty) return null;
      return (
        <div className="editor-message saved" role="status">
          The same text was saved elsewhere meanwhile, as revision {shown(status.revision)}: nothing left to save.
        </div>
      );
    default:
      return null;
  }
}

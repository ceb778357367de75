import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Character, SceneDoc, SceneId } from '../../../../common/contract';
import { SceneEditor } from '../../../../common/scene-doc/editor';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { SaveStatusLine, useSceneSave } from './editor-save';
import { EditorFields } from './EditorFields';
import { RegenerateDialog } from './RegenerateDialog';
import { useRegeneration } from './use-regeneration';
import { RevisionHistory } from './RevisionHistory';
import { useRevisionNumbering } from './revision-numbers';
import { SceneTurns, type FocusRequest } from './SceneTurns';
import { TrainingPreviewPanel } from './TrainingPreviewPanel';
import { ChoiceDialog } from '../choice-dialog';
import { OverflowMenu } from '../overflow-menu';
import { duplicateScene, sceneName, type CopiedFrom, type DeleteRequest } from './scene-actions';
import '../../scene-editor.css';

/**
 * What the editor opens: a stored scene (with the browser's search, to mark its words; a copy just
 * made says what of), or a new one.
 */
export type EditorTarget = { kind: 'edit'; id: SceneId; search?: string; copiedFrom?: CopiedFrom } | { kind: 'new' };

const EMPTY: SceneDoc = {
  type: '',
  location: '',
  time: '',
  background: '',
  people: [],
  experienceBackground: '',
  turns: [],
};

/**
 * The scene editor: a full-window panel over the Dataset tab. The document and its undo history
 * live in a `SceneEditor` store (common/scene-doc, no React) this component subscribes to; saves
 * name the revision they started from, so another window's or a job's change is never overwritten.
 */
export function SceneEditorPanel({
  target,
  character,
  onClose,
  onCreated,
  onDelete,
  onDuplicated,
}: {
  target: EditorTarget;
  character: Character;
  onClose: () => void;
  onCreated: (id: SceneId) => void;
  /** Asks whether to delete the open scene (the question names it and says if edits are unsaved). */
  onDelete: (request: DeleteRequest) => void;
  /** A copy of the open scene was written: open it in place of this one. */
  onDuplicated: (copy: SceneId, from: CopiedFrom) => void;
}) {
  const [editor, setEditor] = useState<SceneEditor | null>(() =>
    target.kind === 'new' ? new SceneEditor(EMPTY, 0) : null,
  );
  const [loadError, setLoadError] = useState<string | null>(null);
  const [showHistory, setShowHistory] = useState(false);
  const [showPreview, setShowPreview] = useState(false);
  /** Close or Esc was asked for with unsaved edits: the question is open. */
  const [closing, setClosing] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const [focusRequest, setFocusRequest] = useState<FocusRequest | null>(null);
  const saving = useSceneSave({
    editor,
    initialId: target.kind === 'edit' ? target.id : null,
    character,
    onCreated,
    onBlank: setFocusRequest,
  });
  const { sceneId, status, setStatus } = saving;
  const { regeneration, outcome: regenerated, ask, dismiss, started } = useRegeneration(editor, sceneId);
  // The shortcuts are heard on the whole document while the editor is open, not on its root only:
  // a turn scrolled out of the list (or a click on empty space) leaves focus on <body>, and Ctrl+S
  // there must still save, never open the browser's Save page. The latest handler is read from here.
  const shortcuts = useRef<(event: KeyboardEvent) => void>(() => undefined);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => shortcuts.current(event);
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    if (target.kind !== 'edit') return;
    let live = true;
    invoke('scenes/open', { id: target.id }).then(
      (opened) => live && setEditor(new SceneEditor(opened.doc, opened.revision)),
      (error: unknown) => live && setLoadError(messageOf(error)),
    );
    return () => {
      live = false;
    };
  }, [target]);

  const snapshot = useSyncExternalStore(editor?.subscribe ?? noSubscribe, editor?.snapshot ?? (() => null));
  const number = useRevisionNumbering(sceneId, snapshot?.baseRevision ?? 0);
  /** A stored revision as History numbers it (as stored while the list first loads). */
  const shown = number ?? ((stored: number) => stored);

  if (loadError) {
    return (
      <div className="scene-editor" role="dialog" aria-label="Scene editor">
        <p className="form-error">{loadError}</p>
        <button onClick={onClose}>Close</button>
      </div>
    );
  }
  if (!editor || !snapshot) return null;
  const { doc, dirty, canUndo, canRedo, baseRevision, refusal } = snapshot;

  const duplicate = async () => {
    if (sceneId === null || status.kind === 'saving') return;
    editor.seal();
    const current = editor.snapshot();
    setStatus({ kind: 'saving' });
    try {
      const copy = await duplicateScene(character, sceneId, current.doc);
      onDuplicated(copy, { name: sceneName(current.doc), withEdits: current.dirty });
    } catch (error) {
      setStatus({ kind: 'error', message: `The copy was not made: ${messageOf(error)}` });
    }
  };

  // Closing (Close, Esc) never drops edits unasked: with unsaved ones it asks what to do with them.
  const close = () => {
    if (dirty) setClosing(true);
    else onClose();
  };
  const saveAndClose = async () => {
    setClosing(false);
    // A refused save (a blank turn, a conflict) leaves the editor open, saying why. After a
    // conflict, saving means keeping mine over their revision.
    if (await (status.kind === 'conflict' ? saving.keepMine() : saving.save())) onClose();
  };

  shortcuts.current = (event: KeyboardEvent) => {
    if (event.defaultPrevented) return;
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    // A dialog over the editor (Regenerate, a question) keeps its keys: Esc closes it, Ctrl+Z undoes
    // its typing. Only the browser's Save page is held back there.
    if (inDialogOver(event.target, root.current)) {
      if (mod && key === 's') event.preventDefault();
      return;
    }
    if (mod && key === 'z' && !event.shiftKey) editor.undo();
    else if (mod && ((key === 'z' && event.shiftKey) || key === 'y')) editor.redo();
    else if (mod && key === 's') void saving.save();
    // Esc while composing (an input method) cancels the composition, not the editor.
    else if (event.key === 'Escape' && !event.isComposing) close();
    else return;
    event.preventDefault();
  };

  const title = sceneId === null ? 'New scene, written by hand' : doc.type || 'Scene';
  // The rewrite starts from the stored revision: unsaved edits would not be in it.
  const regenerateBlocked =
    regeneration?.kind === 'running'
      ? `Regenerating ${regeneration.what}…`
      : dirty
        ? 'Save your edits first: the rewrite starts from the saved scene.'
        : null;
  return (
    <div className="scene-editor" role="dialog" aria-label="Scene editor" ref={root}>
      <header className="editor-bar">
        <h2>{title}</h2>
        <span className="muted editor-revision">
          {sceneId === null ? 'not saved yet' : number ? `revision ${number(baseRevision)}` : 'revision'}
          {dirty ? ' · unsaved edits' : ''}
        </span>
        <span className="editor-bar-actions">
          <button className="small" onClick={() => editor.undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">
            ↶ Undo
          </button>
          <button className="small" onClick={() => editor.redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
            ↷ Redo
          </button>
          {sceneId !== null && (
            <button
              className="small"
              disabled={regenerateBlocked !== null}
              title={regenerateBlocked ?? 'Rewrite the whole experience with an instruction, through the LLM'}
              onClick={() => ask()}
            >
              {regeneration?.kind === 'running' ? 'Regenerating…' : 'Regenerate experience…'}
            </button>
          )}
          {sceneId !== null && (
            <button className="small" aria-pressed={showHistory} onClick={() => setShowHistory(!showHistory)}>
              History
            </button>
          )}
          {sceneId !== null && (
            <button
              className="small"
              aria-pressed={showPreview}
              onClick={() => setShowPreview(!showPreview)}
              title="The saved scene as training takes it, token by token"
            >
              Training preview
            </button>
          )}
          {sceneId !== null && (
            <OverflowMenu
              label="More actions"
              items={[
                {
                  label: 'Duplicate',
                  title: dirty
                    ? 'A new scene by hand with the text as it is here, your unsaved edits included, opened in the editor; this scene keeps its saved text'
                    : 'A new scene by hand with this text, opened in the editor to make a variant; this scene stays as it is',
                  disabled: status.kind === 'saving',
                  onSelect: () => void duplicate(),
                },
                {
                  label: 'Delete…',
                  title: 'Delete this scene with its experience and history (asks first)',
                  onSelect: () =>
                    onDelete({
                      id: sceneId,
                      type: doc.type,
                      location: doc.location,
                      time: doc.time,
                      turns: doc.turns.length,
                      unsaved: dirty,
                    }),
                },
              ]}
            />
          )}
          <button
            className="primary small"
            onClick={() => void saving.save()}
            disabled={!dirty || status.kind === 'saving'}
            title="Save (Ctrl+S)"
          >
            {status.kind === 'saving' ? 'Saving…' : 'Save'}
          </button>
          <button className="small" onClick={close}>
            Close
          </button>
        </span>
      </header>
      {target.kind === 'edit' && target.copiedFrom && status.kind === 'idle' && !dirty && (
        <div className="editor-message saved" role="status">
          A copy of {target.copiedFrom.name}, written by hand: edit it into a variant.{' '}
          {target.copiedFrom.withEdits
            ? 'Your unsaved edits are in this copy; the original keeps its saved text.'
            : 'The original is unchanged.'}
        </div>
      )}
      <SaveStatusLine save={saving} doc={doc} dirty={dirty} shown={shown} />
      {regeneration?.kind === 'running' && (
        <div className="editor-message muted" role="status">
          Regenerating {regeneration.what} through the LLM… You can keep reading; the new text arrives as a revision.
        </div>
      )}
      {regenerated && regeneration?.kind !== 'running' && (
        <div className={regenerated.failed ? 'editor-message form-error' : 'editor-message saved'} role="status">
          {regenerated.text(shown)}
        </div>
      )}
      {refusal && (
        <div className="editor-message muted" role="status">
          {refusal}
        </div>
      )}
      {showPreview && sceneId !== null && (
        <div className="editor-preview">
          <TrainingPreviewPanel sceneId={sceneId} revision={baseRevision} dirty={dirty} character={character} />
        </div>
      )}
      <div className={showHistory ? 'editor-body with-history' : 'editor-body'} hidden={showPreview}>
        <EditorFields editor={editor} doc={doc} />
        <section className="editor-turns" aria-label="Experience">
          <SceneTurns
            editor={editor}
            doc={doc}
            focus={setFocusRequest}
            focusRequest={focusRequest}
            onFocused={() => setFocusRequest(null)}
            highlight={[character.shortName || character.fullName, character.fullName]}
            search={target.kind === 'edit' ? (target.search ?? '') : ''}
            {...(sceneId !== null && {
              regenerate: { start: ask, blocked: regenerateBlocked },
            })}
          />
        </section>
        {regeneration?.kind === 'asking' && sceneId !== null && (
          <RegenerateDialog
            character={character}
            target={{ ids: [sceneId] }}
            {...(regeneration.turn !== undefined && { turn: regeneration.turn })}
            count={1}
            onClose={dismiss}
            onStarted={started}
          />
        )}
        {showHistory && sceneId !== null && (
          <RevisionHistory
            id={sceneId}
            current={baseRevision}
            dirty={dirty}
            onRestored={(saved) => saving.afterSave(saved, sceneId)}
          />
        )}
      </div>
      {closing && (
        <ChoiceDialog
          title="Close with unsaved edits?"
          cancel={{ label: 'Keep editing', onChoose: () => setClosing(false) }}
          choices={[
            { label: 'Discard edits', tone: 'danger', onChoose: onClose },
            {
              label:
                sceneId === null
                  ? 'Save the scene and close'
                  : status.kind === 'conflict'
                    ? 'Keep mine and close'
                    : 'Save and close',
              tone: 'primary',
              onChoose: () => void saveAndClose(),
            },
          ]}
        >
          <p>
            {sceneId === null
              ? 'This new scene has not been saved yet.'
              : `${sceneName(doc)} has edits you have not saved.`}{' '}
            Discarding them cannot be undone.
          </p>
          {status.kind === 'conflict' && (
            <p>
              Your last save was refused: the scene changed elsewhere. Keep mine saves yours over it (theirs stays in
              History); keep editing to compare the two first.
            </p>
          )}
        </ChoiceDialog>
      )}
    </div>
  );
}

const noSubscribe = () => () => undefined;

/**
 * Whether a dialog other than the editor itself (the editor is one too) has the key: `target` is
 * inside one, or a modal <dialog> is open, wherever focus went (a click on its text leaves it on <body>).
 */
function inDialogOver(target: EventTarget | null, editor: HTMLElement | null): boolean {
  const dialog = target instanceof Element ? target.closest('dialog, [role="dialog"]') : null;
  return (dialog !== null && dialog !== editor) || document.querySelector('dialog[open]') !== null;
}

/**
 * One open scene in the editor: the document, its undo history and the revision it was loaded at.
 * A plain store React subscribes to (`subscribe` + `snapshot`, for useSyncExternalStore); the
 * model never imports the UI. The snapshot object changes identity on every change and only then.
 */

import { SceneHistory } from './history';
import { sameDoc, SceneOpError, type SceneDoc, type SceneOp } from './operations';

export interface EditorSnapshot {
  doc: SceneDoc;
  /** The stored revision the edits are based on: what a save sends as `baseRevision`. */
  baseRevision: number;
  /** Whether the document differs from what was loaded or last saved. */
  dirty: boolean;
  canUndo: boolean;
  canRedo: boolean;
  /** Why the last operation was refused, until the next successful one. */
  refusal: string | null;
}

export class SceneEditor {
  private history = new SceneHistory();
  private saved: SceneDoc;
  private current: EditorSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(
    doc: SceneDoc,
    baseRevision: number,
    private readonly now: () => number = Date.now,
  ) {
    this.saved = doc;
    this.current = this.snapshotOf(doc, baseRevision, null);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): EditorSnapshot => this.current;

  /** The document as stored at `baseRevision` (loaded, saved or adopted): what the edits started from. */
  stored(): SceneDoc {
    return this.saved;
  }

  /** Applies an edit as one undoable step (typing coalesces); a refused edit changes nothing and sets `refusal`. */
  apply(op: SceneOp): void {
    try {
      this.set(this.history.apply(this.current.doc, op, this.now()), this.current.baseRevision, null);
    } catch (error) {
      if (!(error instanceof SceneOpError)) throw error;
      this.set(this.current.doc, this.current.baseRevision, error.message);
    }
  }

  undo(): void {
    this.set(this.history.undo(this.current.doc), this.current.baseRevision, null);
  }

  redo(): void {
    this.set(this.history.redo(this.current.doc), this.current.baseRevision, null);
  }

  /** Ends a typing step (focus left the field). */
  seal(): void {
    this.history.seal();
  }

  /** The document was stored as `revision`: edits go on from there and can still be undone. */
  markSaved(doc: SceneDoc, revision: number): void {
    this.history.seal();
    this.saved = doc;
    this.set(this.current.doc, revision, null);
  }

  /**
   * Takes in a revision stored elsewhere (a regeneration of this scene) as one undoable step: the
   * document becomes `doc` at `revision`, and undo brings back what was here before, unsaved edits
   * included, to be saved on top of it if the writer prefers it.
   */
  adopt(doc: SceneDoc, revision: number): void {
    this.history.seal();
    const next = this.history.apply(this.current.doc, { kind: 'replace-doc', doc }, this.now());
    this.history.seal();
    this.saved = doc;
    this.set(next, revision, null);
  }

  /** Replaces the document with the stored one (after a conflict, or a restore): history starts over. */
  load(doc: SceneDoc, revision: number): void {
    this.history.clear();
    this.saved = doc;
    this.set(doc, revision, null);
  }

  private snapshotOf(doc: SceneDoc, baseRevision: number, refusal: string | null): EditorSnapshot {
    return {
      doc,
      baseRevision,
      dirty: !sameDoc(doc, this.saved),
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
      refusal,
    };
  }

  private set(doc: SceneDoc, baseRevision: number, refusal: string | null): void {
    this.current = this.snapshotOf(doc, baseRevision, refusal);
    for (const listener of this.listeners) listener();
  }
}

/** Editing scenes: the editable document, its revisions and their diffs. Types only. */

import type { CallId, CharacterId, SceneId } from './base';
import type { Scene, Turn, TurnKind } from './dataset';
import type { ImportProvenance } from './interop';

export type { Turn, TurnKind };

/**
 * What a person edits of a scene, and what each revision stores whole: the scene's fields and its
 * experience (background paragraph and turns). A scene without an experience has no turns and an
 * empty `experienceBackground`; saving turns gives it one.
 */
export interface SceneDoc {
  type: string;
  location: string;
  time: string;
  background: string;
  people: string[];
  experienceBackground: string;
  turns: Turn[];
}

/**
 * Who made a revision: `generated` is the scene as the pipeline wrote it (its first revision),
 * `user` a person's save or restore, `llm` a regeneration through the LLM gateway, `import` a file.
 */
export type RevisionAuthor = 'generated' | 'user' | 'llm' | 'import';

export interface SceneRevision {
  sceneId: SceneId;
  /** 1, 2, …: the scene's current state is its highest revision. */
  revision: number;
  author: RevisionAuthor;
  /** The LLM call that wrote it (generated or llm), when there was one. */
  callId: CallId | null;
  promptVersion: string | null;
  /** For a restore: the revision whose document this one brings back. */
  restoredFrom: number | null;
  /** For a regeneration (`llm`): the writer's instruction it followed. */
  instruction: string | null;
  createdAt: number;
  /** For an `import` revision: the file and line it was read from. */
  importedFrom?: ImportProvenance;
}

/** A scene as the editor opens it: the stored scene, its editable document and its current revision. */
export interface EditableScene {
  scene: Scene;
  doc: SceneDoc;
  revision: number;
  /** How the scene came to be: from a generation job, or written by hand. */
  origin: SceneOrigin;
}

export type SceneOrigin = Scene['origin'];

/** A run of words in a diff: kept, added (only in `to`) or removed (only in `from`). */
export interface DiffPart {
  text: string;
  change: 'same' | 'added' | 'removed';
}

/** One part of the document (a field, or the transcript) compared word by word. */
export interface DiffSection {
  label: string;
  changed: boolean;
  parts: DiffPart[];
}

export interface SceneDiff {
  from: number;
  to: number;
  sections: DiffSection[];
}

/** A stored edit: the new current revision and the document as stored (names and text trimmed). */
export interface SavedScene {
  revision: number;
  doc: SceneDoc;
}

/**
 * A revision named in a command: its number, or the generated original, or the current state, or
 * a regeneration kept aside as a proposal (see `SceneProposal`), or a document the caller holds
 * (an editor's text, saved or not) that was based on revision `basedOn` (only `scenes/diff` takes it:
 * after a refused save, what changed on each side).
 */
export type RevisionRef = number | 'original' | 'current' | { proposal: string } | { doc: SceneDoc; basedOn: number };

export interface SceneCommands {
  'scenes/open': (arg: { id: SceneId }) => EditableScene;
  /**
   * Stores `doc` as the scene's next revision. Refused with `conflict` when the scene's revision is
   * no longer `baseRevision` (another window or a job changed it): nothing is overwritten.
   */
  'scenes/save': (arg: { id: SceneId; baseRevision: number; doc: SceneDoc }) => SavedScene;
  /** Every revision of the scene, oldest first (a scene never edited has its generated original only). */
  'scenes/revisions': (arg: { id: SceneId }) => SceneRevision[];
  /**
   * The word differences from one revision to another. A proposal, and a document the caller
   * holds, are numbered in the answer as the revision they were based on.
   */
  'scenes/diff': (arg: { id: SceneId; from: RevisionRef; to: RevisionRef }) => SceneDiff;
  /** Makes an earlier revision's document the current one, as a new revision (history is never rewritten). */
  'scenes/restore': (arg: { id: SceneId; revision: number; baseRevision: number }) => SavedScene;
  /** A scene written by hand, without any LLM: a first-class item of the dataset. */
  'scenes/create': (arg: { characterId: CharacterId; doc: SceneDoc }) => { id: SceneId; revision: number };
  /**
   * A new scene written by hand from scene `id`, to make a variant of it: its text (`doc`, an
   * editor's unsaved text, or the scene as stored), its profile chunk, whether it is protective
   * and about what, and its tags. Its review starts afresh.
   */
  'scenes/duplicate': (arg: { id: SceneId; doc?: SceneDoc }) => { id: SceneId; revision: number };
}

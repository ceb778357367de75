/**
 * The scene editor's document and its typed operations. Plain data, no React, no Node: the editor,
 * the CLI and tests share it. Every operation applies to an immutable document and returns the
 * operation that undoes it (Excalidraw's actions are the model), so undo/redo never snapshots.
 */

import type { SceneDoc, Turn, TurnKind } from '../contract/scenes';

export type { SceneDoc, Turn, TurnKind };

/** The scene's text fields an operation may set (people is a list, set by `set-people`). */
export type SceneTextField = 'type' | 'location' | 'time' | 'background' | 'experienceBackground';

export type SceneOp =
  | { kind: 'set-field'; field: SceneTextField; value: string }
  | { kind: 'set-people'; people: readonly string[] }
  | { kind: 'insert-turn'; index: number; turn: Turn }
  | { kind: 'delete-turn'; index: number }
  /** Moves the turn at `from` so that it ends at index `to` (both in the list before the move). */
  | { kind: 'move-turn'; from: number; to: number }
  | { kind: 'set-turn'; index: number; patch: Partial<Turn> }
  /** Cuts a turn's text at `offset` (UTF-16 units); the second part keeps speaker and kind. */
  | { kind: 'split-turn'; index: number; offset: number }
  /** Joins the turn with the next one (the next one's text follows after a space; its speaker and kind are dropped). */
  | { kind: 'merge-turn'; index: number }
  /** Replaces `remove` turns at `index` by `insert`: what split and merge are undone with. */
  | { kind: 'splice-turns'; index: number; remove: number; insert: readonly Turn[] }
  /** Replaces the whole document: a stored revision made elsewhere (a regeneration) taken in as one step. */
  | { kind: 'replace-doc'; doc: SceneDoc };

/** An operation that does not fit the document (a turn index out of range, a split at an edge). */
export class SceneOpError extends Error {}

export interface Applied {
  doc: SceneDoc;
  /** Applied to `doc`, gives back the document the operation was applied to. */
  inverse: SceneOp;
}

function turnAt(doc: SceneDoc, index: number): Turn {
  const turn = doc.turns[index];
  if (!Number.isInteger(index) || turn === undefined) {
    throw new SceneOpError(`There is no turn ${index + 1} (the scene has ${doc.turns.length}).`);
  }
  return turn;
}

function withTurns(doc: SceneDoc, index: number, remove: number, insert: readonly Turn[]): SceneDoc {
  const turns = doc.turns.slice();
  turns.splice(index, remove, ...insert);
  return { ...doc, turns };
}

/** Applies one operation; throws `SceneOpError` when it does not fit, leaving `doc` untouched. */
export function applyOp(doc: SceneDoc, op: SceneOp): Applied {
  switch (op.kind) {
    case 'set-field':
      return {
        doc: { ...doc, [op.field]: op.value },
        inverse: { kind: 'set-field', field: op.field, value: doc[op.field] },
      };
    case 'set-people':
      return { doc: { ...doc, people: [...op.people] }, inverse: { kind: 'set-people', people: doc.people } };
    case 'insert-turn':
      if (!Number.isInteger(op.index) || op.index < 0 || op.index > doc.turns.length) {
        throw new SceneOpError(`A turn cannot go at position ${op.index + 1} (the scene has ${doc.turns.length}).`);
      }
      return { doc: withTurns(doc, op.index, 0, [{ ...op.turn }]), inverse: { kind: 'delete-turn', index: op.index } };
    case 'delete-turn': {
      const turn = turnAt(doc, op.index);
      return { doc: withTurns(doc, op.index, 1, []), inverse: { kind: 'insert-turn', index: op.index, turn } };
    }
    case 'move-turn': {
      const turn = turnAt(doc, op.from);
      turnAt(doc, op.to);
      const turns = doc.turns.slice();
      turns.splice(op.from, 1);
      turns.splice(op.to, 0, turn);
      return { doc: { ...doc, turns }, inverse: { kind: 'move-turn', from: op.to, to: op.from } };
    }
    case 'set-turn': {
      const turn = turnAt(doc, op.index);
      const before: Partial<Turn> = {};
      for (const key of Object.keys(op.patch) as (keyof Turn)[]) (before as Record<string, unknown>)[key] = turn[key];
      return {
        doc: withTurns(doc, op.index, 1, [{ ...turn, ...op.patch }]),
        inverse: { kind: 'set-turn', index: op.index, patch: before },
      };
    }
    case 'split-turn': {
      const turn = turnAt(doc, op.index);
      if (!Number.isInteger(op.offset) || op.offset <= 0 || op.offset >= turn.text.length) {
        throw new SceneOpError('Put the cursor inside the text to split a turn there.');
      }
      const first = { ...turn, text: turn.text.slice(0, op.offset).trimEnd() };
      const second = { ...turn, text: turn.text.slice(op.offset).trimStart() };
      return {
        doc: withTurns(doc, op.index, 1, [first, second]),
        inverse: { kind: 'splice-turns', index: op.index, remove: 2, insert: [turn] },
      };
    }
    case 'merge-turn': {
      const turn = turnAt(doc, op.index);
      if (op.index + 1 >= doc.turns.length) throw new SceneOpError('The last turn has no next turn to merge with.');
      const next = turnAt(doc, op.index + 1);
      const text = [turn.text, next.text].filter((t) => t !== '').join(' ');
      return {
        doc: withTurns(doc, op.index, 2, [{ ...turn, text }]),
        inverse: { kind: 'splice-turns', index: op.index, remove: 1, insert: [turn, next] },
      };
    }
    case 'replace-doc':
      return { doc: op.doc, inverse: { kind: 'replace-doc', doc } };
    case 'splice-turns': {
      if (!Number.isInteger(op.index) || op.index < 0 || op.remove < 0 || op.index + op.remove > doc.turns.length) {
        throw new SceneOpError(`Turns ${op.index + 1}–${op.index + op.remove} are not all in the scene.`);
      }
      const removed = doc.turns.slice(op.index, op.index + op.remove);
      return {
        doc: withTurns(
          doc,
          op.index,
          op.remove,
          op.insert.map((t) => ({ ...t })),
        ),
        inverse: { kind: 'splice-turns', index: op.index, remove: op.insert.length, insert: removed },
      };
    }
  }
}

/**
 * What an edit touches, for grouping typing into one undo step: successive edits of the same text
 * field or the same turn's text coalesce; anything else is its own step.
 */
export function typingTarget(op: SceneOp): string | null {
  if (op.kind === 'set-field') return `field:${op.field}`;
  if (op.kind === 'set-people') return 'people';
  if (op.kind === 'set-turn' && Object.keys(op.patch).length === 1 && 'text' in op.patch) return `turn:${op.index}`;
  return null;
}

export function sameDoc(a: SceneDoc, b: SceneDoc): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

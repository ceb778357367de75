import { describe, expect, it } from 'vitest';
import { SceneEditor } from '../../../common/scene-doc/editor';
import { SceneHistory } from '../../../common/scene-doc/history';
import { applyOp, SceneOpError, type SceneDoc, type SceneOp, type Turn } from '../../../common/scene-doc/operations';
import { seededRandom } from '../../../main/core/pipeline/planner';

// The editor's document model without React: every operation, its inverse, the undo history
// (typing grouped into one step) and a seeded property test over random sequences.

const turns: Turn[] = [
  { speaker: 'Neefe', kind: 'speaking', text: 'Play the fugue again, slower this time.' },
  { speaker: 'Beethoven', kind: 'thinking', text: 'He hears every dragging note.' },
  { speaker: 'Beethoven', kind: 'speaking', text: 'As you wish, master.' },
];

const doc: SceneDoc = Object.freeze({
  type: 'Lesson',
  location: 'Bonn, the court chapel',
  time: '1783',
  background: 'Neefe teaches the young Beethoven the Well-Tempered Clavier.',
  people: ['Neefe'],
  experienceBackground: 'A cold morning in the chapel.',
  turns,
});

/** Applies `op`, checks the inverse restores `doc` exactly, and returns the result. */
function roundTrip(op: SceneOp): SceneDoc {
  const { doc: after, inverse } = applyOp(doc, op);
  expect(applyOp(after, inverse).doc).toEqual(doc);
  return after;
}

describe('scene operations and their inverses', () => {
  it('sets each text field and the people, and undoes it', () => {
    for (const field of ['type', 'location', 'time', 'background', 'experienceBackground'] as const) {
      expect(roundTrip({ kind: 'set-field', field, value: 'changed' })[field]).toBe('changed');
    }
    expect(roundTrip({ kind: 'set-people', people: ['Neefe', 'Mozart'] }).people).toEqual(['Neefe', 'Mozart']);
    expect(doc.type).toBe('Lesson');
  });

  it('inserts, deletes and moves turns', () => {
    const turn: Turn = { speaker: 'Neefe', kind: 'action', text: 'Neefe taps the beat.' };
    expect(roundTrip({ kind: 'insert-turn', index: 3, turn }).turns.at(-1)).toEqual(turn);
    expect(roundTrip({ kind: 'insert-turn', index: 0, turn }).turns[0]).toEqual(turn);
    expect(roundTrip({ kind: 'delete-turn', index: 1 }).turns.map((t) => t.text)).toEqual([
      turns[0]!.text,
      turns[2]!.text,
    ]);
    expect(roundTrip({ kind: 'move-turn', from: 0, to: 2 }).turns).toEqual([turns[1], turns[2], turns[0]]);
    expect(roundTrip({ kind: 'move-turn', from: 2, to: 0 }).turns).toEqual([turns[2], turns[0], turns[1]]);
  });

  it("changes a turn's speaker, kind and text", () => {
    const after = roundTrip({ kind: 'set-turn', index: 1, patch: { speaker: 'Ludwig', kind: 'speaking' } });
    expect(after.turns[1]).toEqual({ speaker: 'Ludwig', kind: 'speaking', text: turns[1]!.text });
    expect(roundTrip({ kind: 'set-turn', index: 2, patch: { text: 'No.' } }).turns[2]!.text).toBe('No.');
  });

  it('splits a turn at an offset and merges it back', () => {
    const offset = turns[0]!.text.indexOf('slower');
    const split = roundTrip({ kind: 'split-turn', index: 0, offset });
    expect(split.turns.slice(0, 2)).toEqual([
      { speaker: 'Neefe', kind: 'speaking', text: 'Play the fugue again,' },
      { speaker: 'Neefe', kind: 'speaking', text: 'slower this time.' },
    ]);
    const merged = applyOp(split, { kind: 'merge-turn', index: 0 }).doc;
    expect(merged).toEqual(doc);
    // Merging turns of different speakers keeps the first's speaker; undo brings both back.
    expect(roundTrip({ kind: 'merge-turn', index: 1 }).turns[1]).toEqual({
      speaker: 'Beethoven',
      kind: 'thinking',
      text: 'He hears every dragging note. As you wish, master.',
    });
  });

  it('refuses operations that do not fit, saying why, and leaves the document as it was', () => {
    const refused: SceneOp[] = [
      { kind: 'delete-turn', index: 3 },
      { kind: 'insert-turn', index: 5, turn: turns[0]! },
      { kind: 'move-turn', from: 0, to: 3 },
      { kind: 'set-turn', index: -1, patch: { text: 'x' } },
      { kind: 'split-turn', index: 0, offset: 0 },
      { kind: 'split-turn', index: 0, offset: turns[0]!.text.length },
      { kind: 'merge-turn', index: 2 },
      { kind: 'splice-turns', index: 2, remove: 2, insert: [] },
    ];
    for (const op of refused) expect(() => applyOp(doc, op), op.kind).toThrow(SceneOpError);
    expect(doc.turns).toEqual(turns);
  });
});

describe('undo history', () => {
  it('groups typing into one step and starts a new one after a pause or another target', () => {
    const history = new SceneHistory(500, 1000);
    let d = history.apply(doc, { kind: 'set-field', field: 'type', value: 'L' }, 0);
    d = history.apply(d, { kind: 'set-field', field: 'type', value: 'Le' }, 300);
    d = history.apply(d, { kind: 'set-field', field: 'type', value: 'Les' }, 600);
    d = history.apply(d, { kind: 'set-field', field: 'type', value: 'Less' }, 5000);
    d = history.apply(d, { kind: 'set-turn', index: 0, patch: { text: 'Again.' } }, 5100);
    d = history.undo(d);
    expect(d.type).toBe('Less');
    expect(d.turns).toEqual(turns);
    d = history.undo(d);
    expect(d.type).toBe('Les');
    d = history.undo(d);
    expect(d).toEqual(doc);
    expect(history.canUndo).toBe(false);
    d = history.redo(history.redo(d));
    expect(d.type).toBe('Less');
    expect(history.canRedo).toBe(true);
    // A new edit drops what could be redone.
    history.apply(d, { kind: 'delete-turn', index: 0 }, 6000);
    expect(history.canRedo).toBe(false);
  });

  it('keeps at most `limit` steps', () => {
    const history = new SceneHistory(3, 0);
    let d = doc;
    for (let i = 0; i < 5; i++) d = history.apply(d, { kind: 'set-field', field: 'time', value: `${i}` }, i * 10);
    for (let i = 0; i < 5; i++) d = history.undo(d);
    expect(d.time).toBe('1');
  });

  it('the editor store says what changed, refuses bad edits without losing any, and marks saves', () => {
    let clock = 0;
    const editor = new SceneEditor(doc, 4, () => clock);
    const seen: boolean[] = [];
    const stop = editor.subscribe(() => seen.push(editor.snapshot().dirty));
    editor.apply({ kind: 'set-field', field: 'location', value: 'Vienna' });
    clock += 5000;
    editor.apply({ kind: 'merge-turn', index: 2 });
    expect(editor.snapshot().refusal).toMatch(/no next turn/);
    expect(editor.snapshot().doc.location).toBe('Vienna');
    editor.markSaved(editor.snapshot().doc, 5);
    expect(editor.snapshot()).toMatchObject({ dirty: false, baseRevision: 5, canUndo: true });
    editor.undo();
    expect(editor.snapshot()).toMatchObject({ dirty: true, canRedo: true });
    expect(editor.snapshot().doc).toEqual(doc);
    editor.load(doc, 9);
    expect(editor.snapshot()).toMatchObject({ dirty: false, canUndo: false, baseRevision: 9 });
    stop();
    expect(seen).toEqual([true, true, false, true, false]);
  });
});

describe('random sequences', () => {
  /** One random operation that fits `d` (a seeded generator: the same seed gives the same run). */
  function randomOp(d: SceneDoc, random: () => number): SceneOp {
    const pick = (n: number) => Math.floor(random() * n);
    const words = ['the', 'fugue', 'Bonn', 'slower', 'Neefe', 'again', '—', 'ja'];
    const text = () => Array.from({ length: 1 + pick(6) }, () => words[pick(words.length)]).join(' ');
    const n = d.turns.length;
    const kinds = ['speaking', 'thinking', 'action'] as const;
    const choices: (() => SceneOp | null)[] = [
      () => ({ kind: 'set-field', field: 'background', value: text() }),
      () => ({ kind: 'set-people', people: [text(), text()].slice(0, pick(3)) }),
      () => ({
        kind: 'insert-turn',
        index: pick(n + 1),
        turn: { speaker: text(), kind: kinds[pick(3)]!, text: text() },
      }),
      () => (n > 0 ? { kind: 'delete-turn', index: pick(n) } : null),
      () => (n > 0 ? { kind: 'move-turn', from: pick(n), to: pick(n) } : null),
      () => (n > 0 ? { kind: 'set-turn', index: pick(n), patch: { text: text(), kind: kinds[pick(3)]! } } : null),
      () => {
        const i = pick(Math.max(n, 1));
        const len = d.turns[i]?.text.length ?? 0;
        return len > 1 ? { kind: 'split-turn', index: i, offset: 1 + pick(len - 1) } : null;
      },
      () => (n > 1 ? { kind: 'merge-turn', index: pick(n - 1) } : null),
    ];
    for (;;) {
      const op = choices[pick(choices.length)]!();
      if (op) return op;
    }
  }

  it('undoing any sequence of operations returns the original, and redoing it returns the end', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const history = new SceneHistory(1000, 0);
      let d: SceneDoc = doc;
      const length = 1 + Math.floor(random() * 40);
      // A time that always moves on, so nothing groups: each operation is its own step.
      for (let i = 0; i < length; i++) d = history.apply(d, randomOp(d, random), i * 10);
      const end = d;
      while (history.canUndo) d = history.undo(d);
      expect(d, `seed ${seed}`).toEqual(doc);
      while (history.canRedo) d = history.redo(d);
      expect(d, `seed ${seed}`).toEqual(end);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { SceneEditor } from '../../../common/scene-doc/editor';
import { applyOp, type SceneDoc } from '../../../common/scene-doc/operations';

// A regeneration stored while the editor is open comes in as one undoable step (issue 10, point 9:
// "an undo past a regeneration"): undo returns the text from before it, unsaved edits included.

const original: SceneDoc = {
  type: 'lesson',
  location: "Neefe's room in Bonn",
  time: '1782',
  background: 'Young Beethoven plays for Neefe.',
  people: ['Neefe'],
  experienceBackground: 'Sheet music covers the table.',
  turns: [
    { speaker: 'Neefe', kind: 'speaking', text: 'Play the fugue again.' },
    { speaker: 'Beethoven', kind: 'speaking', text: 'Yes, Herr Neefe.' },
  ],
};
const regenerated: SceneDoc = {
  ...original,
  turns: [original.turns[0]!, { speaker: 'Beethoven', kind: 'speaking', text: 'Again? I played it perfectly!' }],
};

describe('taking in a regeneration', () => {
  it('is an operation whose inverse restores the document', () => {
    const { doc, inverse } = applyOp(original, { kind: 'replace-doc', doc: regenerated });
    expect(doc).toEqual(regenerated);
    expect(applyOp(doc, inverse).doc).toEqual(original);
  });

  it('moves the base revision, is clean, and undo returns the previous text to save again', () => {
    let t = 0;
    const editor = new SceneEditor(original, 3, () => (t += 5000));
    editor.adopt(regenerated, 4);
    expect(editor.snapshot()).toMatchObject({ doc: regenerated, baseRevision: 4, dirty: false, canUndo: true });
    editor.undo();
    // The old text is back, based on the regeneration's revision: saving it makes revision 5.
    expect(editor.snapshot()).toMatchObject({ doc: original, baseRevision: 4, dirty: true, canRedo: true });
    editor.redo();
    expect(editor.snapshot()).toMatchObject({ doc: regenerated, dirty: false });
  });

  it('keeps unsaved edits one undo away', () => {
    let t = 0;
    const editor = new SceneEditor(original, 3, () => (t += 5000));
    editor.apply({ kind: 'set-field', field: 'time', value: 'Spring 1782' });
    editor.adopt(regenerated, 4);
    expect(editor.snapshot().doc.time).toBe('1782');
    editor.undo();
    expect(editor.snapshot().doc).toEqual({ ...original, time: 'Spring 1782' });
    editor.undo();
    expect(editor.snapshot().doc).toEqual(original);
  });
});

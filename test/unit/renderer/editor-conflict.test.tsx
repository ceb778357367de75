// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { SceneDoc, SceneId } from '../../../common/contract';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer } from '../../support/render';
import { editorField, openEditorOnLesson } from '../../support/editor-page';
import { call, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A save refused because the scene changed elsewhere (another window, a job, the command line)
// offered only "reload", which threw the editor's text away. Now the editor shows what changed on
// each side, keeps mine over theirs (theirs stays in the history) or takes theirs as one undoable
// step; a scene deleted elsewhere can be saved as a new one. Nothing typed is lost.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
let disconnect: () => void;
let page: { container: HTMLElement; unmount: () => void };
let created: SceneId[];
let id: SceneId;

beforeEach(async () => {
  ({ disconnect } = connectRenderer(env.studio));
  created = [];
  ({ id, page } = await openEditorOnLesson(env.studio, { onCreated: (scene) => created.push(scene) }));
});
afterEach(() => {
  page.unmount();
  disconnect();
});

const text = () => page.container.textContent ?? '';
const input = (label: string) => editorField(page.container, label);
const button = (name: string) =>
  [...page.container.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === name)!;
const conflict = () => page.container.querySelector<HTMLElement>('[aria-label="Save conflict"]');
const stored = async () => (await call(env.studio, 'scenes/open', { id })).doc;

/** Another window saves `change` over the scene as it is stored now. */
async function savedElsewhere(change: (doc: SceneDoc) => SceneDoc): Promise<number> {
  const other = await call(env.studio, 'scenes/open', { id });
  return (await call(env.studio, 'scenes/save', { id, baseRevision: other.revision, doc: change(other.doc) })).revision;
}

/** Types into the editor, another window saves meanwhile, and Save is refused. */
async function conflictingSave(): Promise<number> {
  act(() => typeInto(input('Location')!, 'Bonn, the organ loft'));
  act(() => input('Location')!.blur());
  const theirs = await savedElsewhere((doc) => ({ ...doc, time: 'Winter 1783' }));
  act(() => button('Save').click());
  await settleIn(page.container, () => conflict() !== null, 'the conflict');
  return theirs;
}

it('shows what changed on each side, and keeps mine over theirs, which stays in the history', async () => {
  const theirs = await conflictingSave();
  expect(conflict()!.querySelector('[role="alert"]')!.textContent).toMatch(
    /Not saved: this scene changed while you were editing it\. Revision 2 was saved by hand.*your edits are still here/,
  );
  expect(input('Location')!.value).toBe('Bonn, the organ loft');
  expect((await stored()).time).toBe('Winter 1783');

  act(() => button('Their changes').click());
  await settleIn(page.container, () => conflict()!.querySelector('ins') !== null, 'their changes');
  expect([...conflict()!.querySelectorAll('h5')].map((h) => h.textContent)).toEqual(['Time']);
  expect(conflict()!.querySelector('ins')!.textContent).toContain('Winter');
  act(() => button('Yours against theirs').click());
  await settleIn(
    page.container,
    () => [...conflict()!.querySelectorAll('h5')].map((h) => h.textContent).join() === 'Location,Time',
    'mine against theirs',
  );

  act(() => button('Keep mine').click());
  await settleIn(page.container, () => conflict() === null, 'the save');
  expect(text()).toContain('Saved as revision 3. Theirs stays in History as revision 2.');
  expect(await stored()).toMatchObject({ location: 'Bonn, the organ loft', time: '1783' });
  const history = await call(env.studio, 'scenes/revisions', { id });
  expect(history.map((r) => r.revision)).toContain(theirs);
  const kept = await call(env.studio, 'scenes/diff', { id, from: theirs, to: 'current' });
  expect(kept.sections.filter((s) => s.changed).map((s) => s.label)).toEqual(['Location', 'Time']);
});

it('takes theirs as one step that Ctrl+Z undoes, bringing the edits back to save over it', async () => {
  await conflictingSave();
  act(() => button('Take theirs').click());
  expect(conflict()).toBeNull();
  expect([input('Location')!.value, input('Time')!.value]).toEqual(['Bonn', 'Winter 1783']);
  expect(text()).toContain('Showing their revision 2. Ctrl+Z brings your edits back');

  act(() => {
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true }));
  });
  expect([input('Location')!.value, input('Time')!.value]).toEqual(['Bonn, the organ loft', '1783']);
  act(() => button('Save').click());
  await settleIn(page.container, () => text().includes('Saved as revision 3.'), 'the save over theirs');
  expect(await stored()).toMatchObject({ location: 'Bonn, the organ loft', time: '1783' });
});

it('offers to save the text as a new scene when the scene was deleted elsewhere', async () => {
  act(() => typeInto(input('Location')!, 'Bonn, the organ loft'));
  const { characterId } = (await call(env.studio, 'scenes/open', { id })).scene;
  await call(env.studio, 'scenes/delete', { characterId, ids: [id] });
  act(() => button('Save').click());
  await settleIn(page.container, () => text().includes('this scene was deleted elsewhere'), 'the refusal');
  expect(input('Location')!.value).toBe('Bonn, the organ loft');

  act(() => button('Save as a new scene').click());
  await settleIn(page.container, () => created.length === 1, 'the new scene');
  const copy = await call(env.studio, 'scenes/open', { id: created[0]! });
  expect([copy.origin, copy.doc.location]).toEqual(['hand', 'Bonn, the organ loft']);
  expect(text()).toContain('Saved as a new scene, written by hand.');
  // Saving again goes to the new scene.
  act(() => typeInto(input('Time')!, '1784'));
  act(() => button('Save').click());
  await settleIn(page.container, () => text().includes('Saved as revision 2.'), 'the next save');
  expect((await call(env.studio, 'scenes/open', { id: created[0]! })).doc.time).toBe('1784');
});

it('says there is nothing left to save when the same text was saved elsewhere', async () => {
  act(() => typeInto(input('Location')!, 'Bonn, the organ loft'));
  await savedElsewhere((doc) => ({ ...doc, location: 'Bonn, the organ loft' }));
  act(() => button('Save').click());
  await settleIn(page.container, () => text().includes('nothing left to save'), 'the answer');
  expect(conflict()).toBeNull();
  expect(button('Save').disabled).toBe(true);
});

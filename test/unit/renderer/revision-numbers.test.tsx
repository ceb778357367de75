// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { SceneEditorPanel } from '../../../renderer/src/components/dataset/SceneEditorPanel';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { generatedLessonWithExperience } from '../../support/scenes';
import { call, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A generated scene's save counter also counts its experience arriving (stored revision 2 before
// any edit): the History said "#2 Generated" above "This is the only revision".

const env = makeStudio();
afterEach(() => env.cleanup());

it('numbers a generated scene’s revisions from 1, as the user counts them, and says "only" only of one', async () => {
  const { id, characterId } = await generatedLessonWithExperience(env.studio);
  expect((await call(env.studio, 'scenes/open', { id })).revision).toBe(2);
  const { disconnect } = connectRenderer(env.studio);
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const openEditor = () =>
    renderWithQueries(
      <SceneEditorPanel
        target={{ kind: 'edit', id }}
        character={character}
        onClose={() => undefined}
        onCreated={() => undefined}
        onDelete={() => undefined}
        onDuplicated={() => undefined}
      />,
    );
  const { container, unmount } = openEditor();
  const text = (selector: string) => container.querySelector(selector)?.textContent ?? '';
  const button = (name: string) => [...container.querySelectorAll('button')].find((b) => b.textContent === name);
  const numbers = () => [...container.querySelectorAll('.revision-number')].map((n) => n.textContent);
  await settleIn(container, () => text('.editor-revision') === 'revision 1', 'the editor’s revision');

  // The training preview names the saved revision the same way once there are unsaved edits.
  act(() => button('Training preview')?.click());
  act(() => typeInto(container.querySelector<HTMLInputElement>('input[aria-label="Location"]')!, 'Bonn, the chapel'));
  await settleIn(container, () => text('.preview-note') !== '', 'the preview’s note');
  expect(text('.preview-note')).toBe('Unsaved edits are not in the preview: it shows the saved revision 1.');
  act(() => button('Training preview')?.click());

  act(() => button('History')?.click());
  await settleIn(container, () => numbers().length === 1, 'the history');
  expect(numbers()).toEqual(['#1']);
  expect(text('.revision-diff')).toBe('This is the only revision: edit and save to start the history.');

  await call(env.studio, 'scenes/save', {
    id,
    baseRevision: 2,
    doc: { ...(await call(env.studio, 'scenes/open', { id })).doc, location: 'Bonn, the organ loft' },
  });
  // Opened again after the edit (saved here through the studio).
  unmount();
  const again = openEditor();
  const textIn = (selector: string) => again.container.querySelector(selector)?.textContent ?? '';
  await settleIn(again.container, () => textIn('.editor-revision') === 'revision 2', 'the edited revision');
  act(() => [...again.container.querySelectorAll('button')].find((b) => b.textContent === 'History')?.click());
  const listed = () => [...again.container.querySelectorAll('.revision-number')].map((n) => n.textContent);
  await settleIn(again.container, () => listed().length === 2, 'two revisions');
  expect(listed()).toEqual(['#2', '#1']);
  await settleIn(again.container, () => textIn('.revision-diff-head').includes('#1'), 'the diff');
  expect(textIn('.revision-diff-head')).toMatch(/^Changes from #1 to the current #2Restore #1$/);
  // Picking the current revision in a history of two: not "the only revision".
  act(() => [...again.container.querySelectorAll<HTMLButtonElement>('button.revision')][0]?.click());
  expect(textIn('.revision-diff')).toBe('This is the current revision: pick an earlier one to see what changed since.');
  again.unmount();
  disconnect();
});

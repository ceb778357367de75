// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { App } from '../../../renderer/src/components/App';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio));
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
});
afterEach(() => {
  disconnect();
  env.cleanup();
});

it('saves only the fields changed in the form: a field changed elsewhere meanwhile is not written back over', async () => {
  const id = await createBeethoven(env.studio);
  useUi.getState().select(id);
  const { container, unmount } = renderWithQueries(<App />);
  await settleIn(container, () => container.textContent?.includes('Ludwig van Beethoven') ?? false, 'the character');
  act(() => useUi.getState().open({ kind: 'edit-character', id }));
  const form = () => container.querySelector<HTMLDialogElement>('dialog[aria-label="Edit character"]');
  await settleIn(container, () => form()?.querySelector('textarea') != null, 'the form');
  // While the form is open, the era is changed from the CLI.
  await call(env.studio, 'characters/update', { id, era: '1770–1827 (Bonn, Vienna)' });
  const notes = form()!.querySelector('textarea')!;
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(notes, 'Deaf by 1818.');
    notes.dispatchEvent(new Event('input', { bubbles: true }));
  });
  act(() => form()!.querySelector('form')!.requestSubmit());
  await settleIn(container, () => form() === null, 'the save');
  expect(await call(env.studio, 'characters/get', { id })).toMatchObject({
    era: '1770–1827 (Bonn, Vienna)',
    notes: 'Deaf by 1818.',
    shortName: 'Beethoven',
  });
  unmount();
});

it('reads the characters again when the window comes back to the front, for what another process changed', async () => {
  const id = await createBeethoven(env.studio);
  useUi.getState().select(id);
  const { container, unmount } = renderWithQueries(<App />);
  const sidebar = () => container.querySelector('.character-item .sub')?.textContent ?? '';
  await settleIn(container, () => sidebar().startsWith('1770–1827'), 'the sidebar');
  // As a terminal's `characters update` leaves it: written by another process, no event here.
  env.studio.db.prepare('UPDATE characters SET era = ? WHERE id = ?').run('Bonn and Vienna', id);
  void act(() => window.dispatchEvent(new Event('visibilitychange')));
  await settleIn(container, () => sidebar().startsWith('Bonn and Vienna'), 'the sidebar after focus');
  unmount();
});

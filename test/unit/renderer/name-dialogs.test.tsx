// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ProviderId } from '../../../common/contract';
import { ChatPanel } from '../../../renderer/src/components/chat/ChatPanel';
import { QuestionSetsView } from '../../../renderer/src/components/eval/QuestionSetsView';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

// Naming things in the studio's own dialog. The desktop app runs in Electron, whose window.prompt
// throws ("prompt() is and will not be supported"): here it throws too, as there.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio, { evalEvents: true }));
  window.prompt = () => {
    throw new Error('prompt() is and will not be supported.');
  };
  // jsdom has no <dialog> modality; the component only needs showModal to exist.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
});
afterEach(() => {
  disconnect();
  env.cleanup();
});

/** Names it in the open dialog `title` and submits. */
async function nameIn(container: HTMLElement, title: string, name: string) {
  const dialog = () => container.querySelector<HTMLDialogElement>(`dialog[aria-label="${title}"]`);
  await settleIn(container, () => dialog() !== null, `the dialog “${title}”`);
  act(() => typeInto(dialog()!.querySelector('input')!, name));
  act(() => dialog()!.querySelector('form')!.requestSubmit());
  await settleIn(container, () => dialog() === null, 'the dialog to close');
}

const button = (container: HTMLElement, name: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === name || b.ariaLabel === name)!;

it('names a new question set', async () => {
  const id = await createBeethoven(env.studio);
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<QuestionSetsView character={character} />);
  await settleIn(container, () => container.textContent?.includes('No question sets yet') ?? false, 'the list');
  act(() => button(container, '+ New set').click());
  await nameIn(container, 'New question set', 'Bonn questions');
  expect((await call(env.studio, 'eval/questions/list', { characterId: id })).map((s) => s.name)).toEqual([
    'Bonn questions',
  ]);
  await settleIn(
    container,
    () => container.querySelector('.eval-set-items')?.textContent?.includes('Bonn') ?? false,
    'the set',
  );
  unmount();
});

it('renames a conversation', async () => {
  const id = await createBeethoven(env.studio);
  const providerId: ProviderId = await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  const made = await call(env.studio, 'chat/create', {
    characterId: id,
    target: { kind: 'baseline', providerId, model: 'fake-model' },
    runtime: 'endpoint',
    setting: { location: 'Vienna, 1809', status: 'A visitor at the piano.' },
    title: 'Evening visit',
  });
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<ChatPanel character={character} />);
  await settleIn(container, () => container.textContent?.includes('Evening visit') ?? false, 'the conversation');
  act(() => button(container, 'Actions for Evening visit').click());
  act(() =>
    [...container.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')]
      .find((b) => b.textContent === 'Rename…')!
      .click(),
  );
  await nameIn(container, 'Rename the conversation', 'The Archduke calls');
  expect((await call(env.studio, 'chat/get', { id: made.conversation.id })).conversation.title).toBe(
    'The Archduke calls',
  );
  await settleIn(container, () => container.textContent?.includes('The Archduke calls') ?? false, 'the new title');
  unmount();
});

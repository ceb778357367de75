// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { ChatPanel } from '../../../renderer/src/components/chat/ChatPanel';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

/** Types `value` into a text box as a person does (React listens for the input event). */
function typeText(box: HTMLTextAreaElement | HTMLInputElement, value: string): void {
  const proto = box instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(box, value);
  box.dispatchEvent(new Event('input', { bubbles: true }));
}

it('keeps the open conversation and its draft while the user searches, renames and switches', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const characterId = await createBeethoven(env.studio);
  const providerId = await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  const start = (title: string) =>
    call(env.studio, 'chat/create', {
      characterId,
      target: { kind: 'baseline', providerId, model: 'fake-model' },
      runtime: 'endpoint',
      setting: { location: 'Vienna', status: '' },
      title,
    });
  const older = await start('About the sonatas');
  const newer = await start('About the symphonies');
  const character = await call(env.studio, 'characters/get', { id: characterId });
  act(() => useUi.setState({ chatSelections: {}, chatDrafts: {} }));
  const { container, unmount } = renderWithQueries(<ChatPanel character={character} />);
  const openTitle = () => container.querySelector('.chat-pane h2')?.textContent;
  const composer = () => container.querySelector<HTMLTextAreaElement>('.chat-composer textarea')!;
  await settleIn(container, () => openTitle() === 'About the symphonies', 'the most recent conversation');

  act(() => typeText(composer(), 'Which one do you'));
  // A search whose hits leave the open conversation out (or put another first) leaves it open.
  act(() => typeText(container.querySelector('input[type="search"]')!, 'sonatas'));
  await settleIn(container, () => container.querySelectorAll('.chat-item').length === 1, 'the search hits');
  expect(openTitle()).toBe('About the symphonies');
  expect(composer().value).toBe('Which one do you');
  act(() => typeText(container.querySelector('input[type="search"]')!, ''));
  await settleIn(container, () => container.querySelectorAll('.chat-item').length === 2, 'the whole list');

  // Renaming the other conversation makes it the most recent; the open one stays.
  await call(env.studio, 'chat/update', { id: older.conversation.id, title: 'Sonatas, renamed' });
  await settleIn(container, () => container.textContent?.includes('Sonatas, renamed') ?? false, 'the new title');
  expect(container.querySelector('.chat-item-title')?.textContent).toBe('Sonatas, renamed');
  expect(openTitle()).toBe('About the symphonies');
  expect(composer().value).toBe('Which one do you');

  // Each conversation keeps its own draft.
  const item = (title: string) =>
    [...container.querySelectorAll<HTMLButtonElement>('.chat-item-main')].find((b) => b.textContent?.includes(title))!;
  act(() => item('Sonatas, renamed').click());
  await settleIn(container, () => openTitle() === 'Sonatas, renamed', 'the other conversation');
  expect(composer().value).toBe('');
  act(() => typeText(composer(), 'Play the Pathétique'));
  act(() => item('About the symphonies').click());
  await settleIn(container, () => openTitle() === 'About the symphonies', 'the first conversation again');
  expect(composer().value).toBe('Which one do you');
  expect(useUi.getState().chatSelections[characterId]).toEqual({ kind: 'conversation', id: newer.conversation.id });
  expect(useUi.getState().chatDrafts[older.conversation.id]).toBe('Play the Pathétique');
  unmount();
  disconnect();
});

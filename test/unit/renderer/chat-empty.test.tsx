// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { NewConversation } from '../../../renderer/src/components/chat/NewConversation';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('with no run and no model, the Chat tab says so and leads to the Train tab and to Settings', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const id = await createBeethoven(env.studio);
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(
    <NewConversation character={character} onCreated={() => undefined} />,
  );
  await settleIn(container, () => container.textContent?.includes('Nobody to talk to yet') ?? false, 'the empty state');
  const button = (name: string) => [...container.querySelectorAll('button')].find((b) => b.textContent === name)!;

  act(() => useUi.getState().setCharacterTab('chat'));
  act(() => button('Go to Train').click());
  expect(useUi.getState().characterTab).toBe('train');

  act(() => useUi.getState().openSettings(false));
  act(() => button('Open Settings').click());
  expect(useUi.getState().settingsOpen).toBe(true);
  unmount();
  disconnect();
});

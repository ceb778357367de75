// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { NewConversation } from '../../../renderer/src/components/chat/NewConversation';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('says the one runtime a baseline answers through instead of offering a choice of one', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const id = await createBeethoven(env.studio);
  await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(
    <NewConversation character={character} onCreated={() => undefined} />,
  );
  const only = () => container.querySelector('[data-testid="runtime-only"]');
  await settleIn(container, () => container.querySelector('select') !== null, 'the new-conversation form');
  expect(container.querySelectorAll('input[name="runtime"]')).toHaveLength(0);
  expect(only()?.textContent).toMatch(/^RuntimeEndpoint.+answers through its API\.$/);
  // Nothing to pick, yet the form can start: the one runtime is the chosen one.
  const start = [...container.querySelectorAll('button')].find((b) => /Start/.test(b.textContent ?? ''));
  expect(start?.disabled).toBe(false);
  unmount();
  disconnect();
});

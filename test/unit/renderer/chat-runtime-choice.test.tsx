// @vitest-environment jsdom
import path from 'node:path';
import { act } from 'react';
import { afterEach, expect, it, onTestFinished } from 'vitest';
import { NewConversation } from '../../../renderer/src/components/chat/NewConversation';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addEmbeddedProvider, addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';
import { writeTinyGguf } from '../../support/tiny-gguf';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

/** Chooses `value` in a select as a person does (React reads the change event). */
function pick(select: HTMLSelectElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')!.set!.call(select, value);
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

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

it('says a baseline whose provider runs a GGUF file in the studio is embedded, and names its model a file', async () => {
  const env = makeStudio();
  onTestFinished(() => env.cleanup());
  const { disconnect } = connectRenderer(env.studio);
  const id = await createBeethoven(env.studio);
  const modelPath = writeTinyGguf(path.join(env.dir, 'tiny.gguf'));
  const embedded = await addEmbeddedProvider(env.studio, modelPath);
  await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  expect((await call(env.studio, 'chat/targets', { characterId: id })).baselines).toEqual([
    expect.objectContaining({ name: 'Fake', inStudio: false }),
    { providerId: embedded, name: 'Tiny', model: modelPath, inStudio: true },
  ]);
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(
    <NewConversation character={character} onCreated={() => undefined} />,
  );
  const only = () => container.querySelector('[data-testid="runtime-only"]');
  const modelLabel = () => container.querySelector('.target-row label:nth-child(2) > span')?.textContent;
  await settleIn(container, () => container.querySelector('select') !== null, 'the new-conversation form');
  act(() => pick(container.querySelector('select')!, `base:${embedded}`));
  await settleIn(container, () => /Embedded/.test(only()?.textContent ?? ''), 'the embedded runtime');
  expect(only()?.textContent).toBe(
    'RuntimeEmbedded (in the studio, offline)Tiny runs its GGUF file in the studio, on this computer.',
  );
  expect(modelLabel()).toBe('Model file');
  unmount();
  disconnect();

  // Its replies say so too (Details), and are on record as any call through a provider is.
  const { conversation } = await call(env.studio, 'chat/create', {
    characterId: id,
    target: { kind: 'baseline', providerId: embedded, model: modelPath },
    runtime: 'endpoint',
  });
  const reply = await call(env.studio, 'chat/send', {
    conversationId: conversation.id,
    text: 'Good evening',
    sampling: { maxTokens: 4 },
  });
  expect(reply.producer).toMatchObject({ runtime: 'embedded', model: expect.any(String), adapter: null });
  expect(env.studio.db.prepare('SELECT call_id FROM chat_messages WHERE id = ?').pluck().get(reply.id)).not.toBeNull();
}, 120_000);

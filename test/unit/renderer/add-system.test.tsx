// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InterviewsView } from '../../../renderer/src/components/eval/InterviewsView';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

// A system's sampling chosen when it is added on the Evaluate tab, as `interview add-system
// --temperature --top-p --max-tokens` does (the form had no way to change the paper's 0.2, 0.95,
// 256), and shown in the list of systems.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio, { evalEvents: true }));
});
afterEach(() => {
  disconnect();
  env.cleanup();
});

it('adds a prompted baseline with the temperature typed, the rest the paper’s', async () => {
  const id = await createBeethoven(env.studio);
  await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<InterviewsView character={character} />);
  const add = () => container.querySelector<HTMLFormElement>('form[aria-label="Add a system"]');
  await settleIn(
    container,
    () => [...container.querySelectorAll('button')].some((b) => b.textContent === '+ Add system'),
    'the Systems card',
  );
  act(() => [...container.querySelectorAll('button')].find((b) => b.textContent === '+ Add system')!.click());
  await settleIn(container, () => add()?.querySelector('select option') != null, 'the form with its provider');
  const field = (label: string) =>
    [...add()!.querySelectorAll('label')].find((l) => l.textContent?.startsWith(label))!.querySelector('input')!;
  expect(field('Temperature').placeholder).toBe('0.2');
  act(() => typeInto(field('Temperature'), '0.7'));
  act(() => typeInto(field('Name (optional)'), 'Warm baseline'));
  act(() => add()!.requestSubmit());
  await settleIn(container, () => add() === null, 'the form to close');

  const [system] = await call(env.studio, 'eval/systems/list', { characterId: id });
  expect(system).toMatchObject({ label: 'Warm baseline', sampling: { temperature: 0.7, topP: 0.95, maxTokens: 256 } });
  await settleIn(
    container,
    () =>
      container.querySelector('.eval-system-list')?.textContent?.includes('temperature 0.7, top-p 0.95, 256 tokens') ??
      false,
    'the sampling in the list',
  );
  unmount();
});

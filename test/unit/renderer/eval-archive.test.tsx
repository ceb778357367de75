// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InterviewsView } from '../../../renderer/src/components/eval/InterviewsView';
import { QuestionSetsView } from '../../../renderer/src/components/eval/QuestionSetsView';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

// Archiving from the Evaluate tab, as `questions archive` and `interview archive-system` do: the
// import of the paper's outputs says "Archive it to import again", and a wrong system or set
// otherwise stayed in every list and report for good.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
let asked: string[];
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio, { evalEvents: true }));
  asked = [];
  // The browser's own confirmation, answered yes (jsdom has none).
  window.confirm = (question?: string) => (asked.push(question ?? ''), true);
});
afterEach(() => {
  disconnect();
  env.cleanup();
});

const button = (container: HTMLElement, name: string) =>
  [...container.querySelectorAll('button')].find((b) => b.textContent === name || b.ariaLabel === name);

it('archives a system from the Systems card', async () => {
  const id = await createBeethoven(env.studio);
  const providerId = await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  for (const label of ['Keep me', 'Wrong one'])
    await call(env.studio, 'eval/systems/create', {
      characterId: id,
      kind: 'base',
      answerer: { runtime: 'endpoint', providerId, model: 'fake-model', runId: null },
      label,
    });
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<InterviewsView character={character} />);
  await settleIn(container, () => button(container, 'Archive Wrong one') !== undefined, 'the systems');
  act(() => button(container, 'Archive Wrong one')!.click());
  expect(asked[0]).toMatch(/^Archive “Wrong one”\? It leaves these lists and the report; its 0 interviews/);
  await settleIn(container, () => button(container, 'Archive Wrong one') === undefined, 'the system to go');
  expect((await call(env.studio, 'eval/systems/list', { characterId: id })).map((s) => s.label)).toEqual(['Keep me']);
  unmount();
});

it('archives a question set from its editor', async () => {
  const id = await createBeethoven(env.studio);
  for (const name of ['Paper', 'Draft'])
    await call(env.studio, 'eval/questions/create', {
      characterId: id,
      name,
      questions: [{ topicId: 'topic-1', text: `A question of ${name}?`, mode: 'single' }],
    });
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<QuestionSetsView character={character} />);
  const editor = () => container.querySelector('[aria-label^="Question set "]');
  await settleIn(container, () => editor()?.getAttribute('aria-label') === 'Question set Draft', 'the newest set');
  act(() => button(container, 'Archive set')!.click());
  expect(asked[0]).toBe('Archive “Draft”? It leaves the list; interviews that used it keep its questions.');
  await settleIn(container, () => editor()?.getAttribute('aria-label') === 'Question set Paper', 'the other set');
  expect((await call(env.studio, 'eval/questions/list', { characterId: id })).map((s) => s.name)).toEqual(['Paper']);
  unmount();
});

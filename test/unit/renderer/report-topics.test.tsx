// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import type { Character } from '../../../common/contract';
import { ReportView } from '../../../renderer/src/components/eval/ReportView';
import { queryClient } from '../../../renderer/src/lib/queries';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

/** The report of `character`, drawn from a fresh cache. */
function mountReport(character: Character) {
  queryClient.clear();
  return renderWithQueries(<ReportView character={character} />);
}

it('offers the topic filter only once the character has questions with topics', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const id = await createBeethoven(env.studio);
  const character = await call(env.studio, 'characters/get', { id });
  const topics = (el: HTMLElement) => el.querySelector('[role="group"][aria-label="Topics"]');

  // Nothing to report: the empty state, and no filter whose only choice is "All".
  const empty = mountReport(character);
  await settleIn(empty.container, () => empty.container.textContent?.includes('No systems yet') ?? false, 'the report');
  expect(topics(empty.container)).toBeNull();
  empty.unmount();

  await call(env.studio, 'eval/questions/create', {
    characterId: id,
    name: 'Hand-written',
    questions: [{ topicId: 'topic-3', text: 'What do you value most?', mode: 'single' }],
  });
  const asked = mountReport(character);
  await settleIn(asked.container, () => topics(asked.container) !== null, 'the topic filter');
  expect([...topics(asked.container)!.querySelectorAll('button')].map((b) => b.textContent)).toEqual([
    'All',
    'values and preferences',
  ]);
  // Named, with its id in the tooltip: "topic-3" alone told a user nothing.
  expect(topics(asked.container)!.querySelectorAll('button')[1]!.title).toBe('values and preferences (topic-3)');
  asked.unmount();
  disconnect();
});

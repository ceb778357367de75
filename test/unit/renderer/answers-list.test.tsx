// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InterviewsView } from '../../../renderer/src/components/eval/InterviewsView';
import { settleIn, typeInto } from '../../support/dom';
import { fixture } from '../../support/paths';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, createBeethoven, makeStudio } from '../../support/studio';

// The Interviews view's Answers list with the paper's released Beethoven outputs (214 interviews):
// found by question set (as `interview list --set`) and by words of the question, the paper's
// topics named, and drawn 200 rows at a time instead of every row at once.

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

const rows = (container: HTMLElement) => [
  ...container.querySelectorAll<HTMLTableRowElement>('tr[aria-label^="Open the interview"]'),
];

function choose(select: HTMLSelectElement, label: string) {
  act(() => {
    select.value = [...select.options].find((o) => o.textContent === label)!.value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

it('finds answers by set and words, names the topics, and draws 200 rows at a time', async () => {
  const id = await createBeethoven(env.studio);
  await call(env.studio, 'eval/import-outputs', {
    paths: [
      fixture('interview_single/Beethoven_sft.json'),
      fixture('interview_single/Beethoven_chatgpt.json'),
      fixture('interview_turns/multiturn_Beethoven_sft.jsonl'),
    ],
    map: {},
  });
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<InterviewsView character={character} />);
  const list = () => container.querySelector<HTMLElement>('[aria-label="Interviews"]')!;
  await settleIn(container, () => rows(container).length > 0, 'the answers');
  expect(list().textContent).toContain('214 interviews · the first 200 shown');
  // The Systems card names the files an imported system came from, not their whole paths.
  expect(container.querySelector('.eval-system-list')!.textContent).toContain(
    'imported from Beethoven_sft.json, multiturn_Beethoven_sft.jsonl',
  );
  expect(rows(container)).toHaveLength(200);
  act(() => [...list().querySelectorAll('button')].find((b) => b.textContent === 'Show 14 more')!.click());
  expect(rows(container)).toHaveLength(214);

  // A set no interview asked: nothing; the paper's own set: every answer; its goals: the 50 multi-turn ones.
  await call(env.studio, 'eval/questions/create', {
    characterId: id,
    name: 'Mine',
    questions: [{ topicId: 'topic-1', text: 'Where were you born?', mode: 'single' }],
  });
  const bySet = () => list().querySelector<HTMLSelectElement>('select[aria-label="Filter by question set"]')!;
  await settleIn(container, () => [...bySet().options].some((o) => o.textContent === 'Mine'), 'the new set');
  choose(bySet(), 'Mine');
  await settleIn(container, () => list().textContent.includes('0 interviews'), 'no interview of that set');
  expect(rows(container)).toHaveLength(0);
  choose(bySet(), 'Paper outputs: Beethoven');
  await settleIn(container, () => rows(container).length === 200, 'the paper set’s interviews');
  choose(list().querySelector('select[aria-label="Filter by mode"]')!, 'Multi-turn');
  await settleIn(container, () => rows(container).length === 50, 'the 50 multi-turn interviews');
  choose(list().querySelector('select[aria-label="Filter by mode"]')!, 'Single-turn');
  await settleIn(container, () => rows(container).length === 164, 'the 164 single-turn answers');

  act(() => typeInto(list().querySelector('input[aria-label="Find a question"]')!, 'FATHER'));
  const found = rows(container);
  expect(found.length).toBeGreaterThan(0);
  expect(found.length).toBeLessThan(164);
  for (const row of found) expect(row.cells[2]!.textContent.toLowerCase()).toContain('father');
  expect(list().textContent).toContain(`${found.length} interviews of 164`);
  // "What do you think of your father?" is the paper's topic-2.
  const father = found.find((r) => r.cells[2]!.textContent === 'What do you think of your father?')!;
  expect(father.cells[1]!.textContent).toBe('Relationships');
  expect(father.cells[1]!.title).toBe('Interpersonal relationships (topic-2)');
  unmount();
});

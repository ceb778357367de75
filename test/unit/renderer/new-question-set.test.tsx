// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { QuestionSetsView } from '../../../renderer/src/components/eval/QuestionSetsView';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, createBeethoven, makeStudio } from '../../support/studio';

// "+ New set" writes a set from scratch with its questions typed or pasted one a line, read as
// `questions create --from` reads a file: before, the set was made empty and each question added
// with "+ Add question", one click and one box each.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio, { evalEvents: true }));
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
});
afterEach(() => {
  disconnect();
  env.cleanup();
});

it('creates a set from questions pasted one a line, tagged lines in their own topic and kind', async () => {
  const id = await createBeethoven(env.studio);
  const character = await call(env.studio, 'characters/get', { id });
  const { container, unmount } = renderWithQueries(<QuestionSetsView character={character} />);
  await settleIn(container, () => container.textContent?.includes('No question sets yet') ?? false, 'the list');
  act(() => [...container.querySelectorAll('button')].find((b) => b.textContent === '+ New set')!.click());
  const dialog = () => container.querySelector<HTMLDialogElement>('dialog[aria-label="New question set"]');
  await settleIn(container, () => dialog() !== null, 'the dialog');
  const form = dialog()!.querySelector('form')!;
  const submit = () => form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  expect(submit().textContent).toBe('Create an empty set');

  act(() => typeInto(form.querySelector('input')!, 'Values, typed'));
  act(() =>
    typeInto(
      form.querySelector('textarea')!,
      '1. What do you value most in a friend?\n\n2. Is music above all else?\n[topic-2, goal] find out how he got on with his brothers\n',
    ),
  );
  const [topic, kind] = [...form.querySelectorAll('select')];
  act(() => {
    topic!.value = 'topic-3';
    topic!.dispatchEvent(new Event('change', { bubbles: true }));
  });
  expect(kind!.value).toBe('single');
  expect(submit().textContent).toBe('Create with 2 questions and 1 goal');
  act(() => form.requestSubmit());
  await settleIn(container, () => dialog() === null, 'the dialog to close');

  const [set] = await call(env.studio, 'eval/questions/list', { characterId: id });
  const detail = await call(env.studio, 'eval/questions/get', { setId: set!.id });
  expect(detail.set).toMatchObject({ name: 'Values, typed', origin: 'hand' });
  expect(detail.questions.map((q) => [q.topicId, q.mode, q.text])).toEqual([
    ['topic-3', 'single', 'What do you value most in a friend?'],
    ['topic-3', 'single', 'Is music above all else?'],
    ['topic-2', 'multi', 'find out how he got on with his brothers'],
  ]);
  await settleIn(
    container,
    () => container.querySelector('[aria-label="Question set Values, typed"]') !== null,
    'the new set open in its editor',
  );
  unmount();
});

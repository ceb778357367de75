// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, Job } from '../../../common/contract';
import { InterviewsView } from '../../../renderer/src/components/eval/InterviewsView';
import { JudgeView } from '../../../renderer/src/components/eval/JudgeView';
import { paperSystems } from '../../support/eval-seed';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, beethovenWithProfile, call, makeStudio } from '../../support/studio';

// A spending cap set when interviews or judging start, on the Evaluate tab as with `interview
// --budget` and `judge --budget`: the forms had none, and a job could only be capped once paused.

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let disconnect: () => void;
beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio));
});
afterEach(async () => {
  disconnect();
  await env.studio.shutdown();
  env.cleanup();
});

const button = (form: Element) => form.querySelector<HTMLButtonElement>('button.primary')!;
const labelled = (form: Element, text: string) =>
  [...form.querySelectorAll('label')].find((l) => l.textContent?.startsWith(text))!.querySelector('input')!;

/** The character's job of `kind` once it is stored (the form's start is asynchronous). */
async function jobOf<K extends Job['kind']>(characterId: CharacterId, kind: K): Promise<Extract<Job, { kind: K }>> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const job = (await call(env.studio, 'jobs/list', { characterId })).find((j) => j.kind === kind);
    if (job) return job as Extract<Job, { kind: K }>;
    if (performance.now() > deadline) throw new Error(`no ${kind} job started`);
    await act(() => new Promise((r) => setTimeout(r, 10)));
  }
}

it('starts interviews and judging with the budget typed in their forms', async () => {
  const characterId = await beethovenWithProfile(env.studio);
  // Nothing listens there: the jobs start (what is checked) and then stop on the outage.
  const providerId = await addFakeProvider(env.studio, 'http://127.0.0.1:9/v1');
  await call(env.studio, 'prices/set', { model: 'fake-model', promptPerMillion: 1, completionPerMillion: 2 });
  await paperSystems(env.studio, characterId, ['Beethoven_sft'], 2);
  await call(env.studio, 'eval/systems/create', {
    characterId,
    kind: 'prompted',
    answerer: { runtime: 'endpoint', providerId, model: 'fake-model', runId: null },
    label: 'Prompted',
  });
  const character = await call(env.studio, 'characters/get', { id: characterId });

  const interviews = renderWithQueries(<InterviewsView character={character} />);
  const start = () => interviews.container.querySelector<HTMLFormElement>('form[aria-label="Start interviews"]')!;
  await settleIn(interviews.container, () => start()?.textContent?.includes('Prompted') ?? false, 'the form');
  act(() => labelled(start(), 'Prompted').click());
  act(() => typeInto(labelled(start(), 'Budget ($)'), '-1'));
  expect(button(start()).textContent).toBe('Enter a budget above $0, or none');
  expect(button(start()).disabled).toBe(true);
  act(() => typeInto(labelled(start(), 'Budget ($)'), '2.5'));
  act(() => start().requestSubmit());
  expect((await jobOf(characterId, 'interview')).settings.budgetUsd).toBe(2.5);
  interviews.unmount();

  const judge = renderWithQueries(<JudgeView character={character} />);
  const form = () => judge.container.querySelector<HTMLFormElement>('form[aria-label="Start judging"]')!;
  await settleIn(judge.container, () => form()?.textContent?.includes('Beethoven_sft') ?? false, 'the form');
  act(() => labelled(form(), 'Beethoven_sft').click());
  act(() => typeInto(labelled(form(), 'Budget ($)'), '1'));
  act(() => form().requestSubmit());
  expect((await jobOf(characterId, 'judge')).settings.budgetUsd).toBe(1);
  judge.unmount();
});

// @vitest-environment jsdom
import { act } from 'react';
import type { GenerationSettings } from '../../../common/contract';
import { afterEach, expect, it } from 'vitest';
import { GeneratePanel } from '../../../renderer/src/components/generation/GeneratePanel';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, makeStudio, sampleWithIdleProvider } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('shows the settings of the run just started, from its reply alone, not the older defaults', async () => {
  const { disconnect } = connectRenderer(env.studio);
  const character = await sampleWithIdleProvider(env.studio);
  const characterId = character.id;
  const before = (await call(env.studio, 'generation/defaults', { characterId })).targetScenes;
  const wanted = 40;
  expect(before).not.toBe(wanted);

  const { container, unmount } = renderWithQueries(<GeneratePanel character={character} />);
  const target = () =>
    [...container.querySelectorAll('label')]
      .find((l) => l.textContent?.startsWith('Target scenes'))
      ?.querySelector('input') ?? null;
  const startButton = () =>
    [...container.querySelectorAll('button')].find((b) => b.textContent === 'Start generation') ?? null;
  await settleIn(container, () => target()?.value === String(before), 'the target field');
  act(() => typeInto(target()!, String(wanted)));
  await settleIn(container, () => startButton()?.disabled === false, 'an enabled Start');

  // No events from here: only the reply to Start can tell the form that the run began (the events
  // may come before or after the reply; the form must not depend on which).
  disconnect();
  act(() => startButton()!.click());
  // Once started, the form lets go of what was typed: it then reads the run's settings.
  const typed = () => useUi.getState().generationDrafts[characterId]?.targetScenes;
  await settleIn(container, () => typed() === undefined && startButton()?.disabled === true, 'the run started');
  expect(target()?.value).toBe(String(wanted));
  const jobs = await call(env.studio, 'jobs/list', { characterId });
  expect(jobs[0]?.kind).toBe('generation');
  expect((jobs[0]?.settings as GenerationSettings).targetScenes).toBe(wanted);
  unmount();
});

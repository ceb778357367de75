// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, HostId, RunId } from '../../../common/contract';
import { RunsSection } from '../../../renderer/src/components/training/RunsSection';
import { useTrainingRuns } from '../../../renderer/src/lib/queries';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { insertStoppingRun, UNREACHABLE_HOST } from '../../support/stopping-run';
import { call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A run on an SSH host asked to stop from a terminal that then closed (or before the studio
// restarted): no process here waits for its checkpoint, so the Train tab's card, which showed
// "Stopping" for ever, offers to follow the stop through, as `train stop` does. Its host here is a
// port nothing answers on: the stop cannot be seen through, and the run ends interrupted, saying why.

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

function Runs({ characterId }: { characterId: CharacterId }) {
  const runs = useTrainingRuns(characterId);
  return runs.data ? <RunsSection runs={runs.data} baseModels={[]} /> : null;
}

function insertRun(characterId: CharacterId, id: string, target: HostId | 'local', createdAt: number): RunId {
  return insertStoppingRun(env.studio.db, {
    id,
    characterId,
    target,
    baseModel: 'tiny-llama',
    runDir: `/nowhere/${id}`,
    createdAt,
  });
}

it('offers to follow the stop of a remote run nobody follows, and says why it ended interrupted', async () => {
  const characterId = await createBeethoven(env.studio);
  const host = await call(env.studio, 'hosts/save', UNREACHABLE_HOST);
  const remote = insertRun(characterId, 'remote-run', host.id, 2);
  // A local run stopping in another process of this data folder: that process sees it through.
  insertRun(characterId, 'local-run', 'local', 1);

  const { disconnect } = connectRenderer(env.studio);
  const { container, unmount } = renderWithQueries(<Runs characterId={characterId} />);
  const cards = () => [...container.querySelectorAll<HTMLElement>('[data-testid="run-card"]')];
  const buttons = (card: HTMLElement) => [...card.querySelectorAll('button')].map((b) => b.textContent);
  await settleIn(container, () => cards().length === 2, 'both stopping runs as cards');
  const [remoteCard, localCard] = cards();
  expect(remoteCard!.textContent).toContain('Stopping');
  expect(remoteCard!.querySelector('[data-testid="unfollowed-stop"]')?.textContent).toMatch(
    /not following the stop .*Follow the stop waits here for the run to save its checkpoint/,
  );
  expect(buttons(remoteCard!)).toContain('Follow the stop');
  expect(buttons(localCard!)).not.toContain('Follow the stop');

  const follow = [...remoteCard!.querySelectorAll('button')].find((b) => b.textContent === 'Follow the stop')!;
  act(() => follow.click());
  // The host cannot be reached: the run rests interrupted, with the reason and a Resume.
  const card = () => cards().find((c) => c.textContent?.includes('Could not reach'));
  await settleIn(container, () => card() !== undefined, 'the run interrupted, saying why');
  expect(card()!.textContent).toContain('Interrupted');
  expect(card()!.querySelector('.job-message')?.textContent).toMatch(
    /^Could not reach lab-gpu to see the stop through: .+[^.]\. The run may have stopped .+ resume to re-attach to it/,
  );
  expect(buttons(card()!)).toContain('Resume');
  expect(buttons(card()!)).not.toContain('Follow the stop');
  expect((await call(env.studio, 'training/get', { id: remote })).status).toBe('interrupted');
  unmount();
  disconnect();
});

it('ends the stop of a run whose host is gone from the settings interrupted, saying what to do', async () => {
  const characterId = await createBeethoven(env.studio);
  const id = insertRun(characterId, 'orphan-run', 'deleted-host' as HostId, 1);
  const { disconnect } = connectRenderer(env.studio);
  const { container, unmount } = renderWithQueries(<Runs characterId={characterId} />);
  const follow = () =>
    [...container.querySelectorAll('button')].find((b) => b.textContent === 'Follow the stop') ?? null;
  await settleIn(container, () => follow() !== null, 'the Follow the stop button');
  act(() => follow()!.click());
  await settleIn(container, () => container.textContent?.includes('Interrupted') === true, 'the run interrupted');
  expect(container.querySelector('.job-message')?.textContent).toMatch(
    /^The SSH host of this run was deleted.*Add the host again in Settings → Hosts and resume/,
  );
  expect((await call(env.studio, 'training/get', { id })).status).toBe('interrupted');
  unmount();
  disconnect();
});

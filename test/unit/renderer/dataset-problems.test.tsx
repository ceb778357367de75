// @vitest-environment jsdom
import { QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Character, JobId, SceneId } from '../../../common/contract';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { DatasetPanel } from '../../../renderer/src/components/dataset/DatasetPanel';
import { queryClient } from '../../../renderer/src/lib/queries';
import { fakeLayout, settleIn, mountRoot } from '../../support/dom';
import { connectRenderer } from '../../support/render';
import { call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let root: Root;
let container: HTMLElement;
let unmount: () => void;
let disconnect: () => void;

const settle = (predicate: () => boolean, what: string) => settleIn(container, predicate, what);

function button(name: RegExp): HTMLButtonElement {
  const found = [...container.querySelectorAll('button')].find((b) => name.test(b.textContent?.trim() ?? ''));
  if (!found) throw new Error(`no button ${String(name)}`);
  return found;
}

/** Two scenes written straight to the store: one clean, one with another speaker's thinking turn. */
function seed(character: Character): void {
  const repo = new DatasetRepo(env.studio.db);
  for (const [n, problems] of [
    [1, []],
    [
      2,
      [
        {
          code: 'other_thinking' as const,
          message: 'Neefe has a thinking turn, but only Beethoven may think; it was kept as written and marked',
          turn: 1,
          raw: 'Neefe (thinking): He has not practised.',
        },
      ],
    ],
  ] as const) {
    const id = `scene-${n}` as SceneId;
    repo.insertScene(
      {
        id,
        characterId: character.id,
        jobId: null as unknown as JobId,
        itemId: `item-${n}`,
        ordinal: 0,
        chunkId: null,
        protective: false,
        limit: null,
        type: n === 1 ? 'lesson' : 'quarrel',
        location: `Bonn ${n}`,
        time: '',
        background: `Scene ${n}.`,
        people: ['Neefe'],
        callId: null,
        promptVersion: 'builtin@1',
      },
      n,
    );
    repo.insertExperience(
      id,
      {
        background: `Bonn, scene ${n}.`,
        turns: [
          { speaker: 'Neefe', kind: 'speaking', text: 'Play it again.' },
          ...(n === 2 ? [{ speaker: 'Neefe', kind: 'thinking' as const, text: 'He has not practised.' }] : []),
          { speaker: 'Beethoven', kind: 'speaking', text: 'As you wish.' },
        ],
        problems: [...problems],
        callId: null,
        promptVersion: 'builtin@1',
      },
      n,
    );
  }
}

beforeEach(() => {
  env = makeStudio();
  ({ disconnect } = connectRenderer(env.studio));
  ({ root, container, unmount } = mountRoot());
});
afterEach(() => {
  unmount();
  disconnect();
  env.cleanup();
});

describe('the Dataset tab shows format problems', () => {
  it('counts them, filters to them, badges the scene and marks the turn in the transcript', async () => {
    const id = await createBeethoven(env.studio);
    const character = await call(env.studio, 'characters/get', { id });
    seed(character);
    const undoLayout = fakeLayout();
    onTestFinished(undoLayout);
    act(() =>
      root.render(
        <QueryClientProvider client={queryClient}>
          <DatasetPanel character={character} />
        </QueryClientProvider>,
      ),
    );
    await settle(() => container.querySelectorAll('[data-testid="scene-item"]').length === 2, 'the scene list');
    // The totals come from their own query (summed off the main thread): wait for them too.
    await settle(
      () => container.querySelector('[aria-label="Dataset totals"]')?.textContent?.includes('With problems') === true,
      'the totals',
    );
    const totals = container.querySelector('[aria-label="Dataset totals"]')!;
    expect(totals.textContent).toContain('With problems1');
    expect(totals.querySelector('[title*="1 thinking by another speaker"]')).not.toBeNull();
    const badges = [...container.querySelectorAll('[data-testid="scene-item"] .badge.problem')];
    expect(badges.map((b) => b.textContent)).toEqual(['1 problem']);

    // The kind filter waits under the folded Filters toggle.
    act(() => button(/^Filters/).click());
    act(() => button(/^Problems/).click());
    await settle(() => container.querySelectorAll('[data-testid="scene-item"]').length === 1, 'the filtered list');
    expect(container.querySelector('[data-testid="scene-item"]')!.textContent).toContain('quarrel');

    act(() => (container.querySelector('[data-testid="scene-item"]') as HTMLButtonElement).click());
    await settle(() => container.querySelector('[aria-label="Format problems"]') !== null, 'the problem list');
    const list = container.querySelector('[aria-label="Format problems"]')!;
    expect(list.textContent).toContain('Turn 2:');
    expect(list.textContent).toContain('only Beethoven may think');
    expect(list.textContent).toContain('the training export leaves them out');
    const flagged = container.querySelector('.transcript .turn.flagged')!;
    expect(flagged.textContent).toContain('He has not practised.');
    expect(flagged.getAttribute('title')).toBe('Turn 2: thinking by another speaker');
  });
});

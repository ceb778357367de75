// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { DatasetPanel } from '../../../renderer/src/components/dataset/DatasetPanel';
import { DatasetTab } from '../../../renderer/src/components/dataset/DatasetTab';
import { queryClient } from '../../../renderer/src/lib/queries';
import { fakeLayout, settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { seedScenes, variedScenes } from '../../support/interop';
import { call, callError, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// The Dataset tab's scene browser. A search longer than the studio takes came back as "Invalid
// argument for scenes/list: search: …" in place of the list: the box now stops at the studio's
// limit. Statistics (or another tab) unmounts the browser; coming back found an empty search.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
const cleanups: (() => void)[] = [];
afterEach(() =>
  cleanups
    .splice(0)
    .reverse()
    .forEach((undo) => undo()),
);

it('lets the search box hold as much as the studio searches, and no more', async () => {
  const characterId = await createBeethoven(env.studio);
  // With scenes: an empty dataset shows its first steps, not the search box.
  seedScenes(env.studio, characterId, variedScenes());
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const { disconnect } = connectRenderer(env.studio);
  cleanups.push(disconnect, fakeLayout());
  const { container, unmount } = renderWithQueries(<DatasetPanel character={character} />);
  cleanups.push(unmount);
  const box = () => container.querySelector<HTMLInputElement>('input[aria-label="Search scenes"]');
  // Every query the tab starts has answered before the studio closes behind it.
  await settleIn(container, () => box() !== null && queryClient.isFetching() === 0, 'the tab, loaded');
  const limit = box()!.maxLength;
  expect(limit).toBeGreaterThan(0);

  await call(env.studio, 'scenes/list', { characterId, limit: 10, search: 'a'.repeat(limit) });
  const over = await callError(env.studio, 'scenes/list', { characterId, limit: 10, search: 'a'.repeat(limit + 1) });
  expect(over.code).toBe('invalid_argument');
});

it('keeps the search and filters when Statistics is shown and the scenes come back, and after a remount', async () => {
  const characterId = await createBeethoven(env.studio);
  seedScenes(env.studio, characterId, variedScenes());
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const { disconnect } = connectRenderer(env.studio);
  cleanups.push(disconnect, fakeLayout());
  const first = renderWithQueries(<DatasetTab character={character} />);
  const { container } = first;
  const box = () => container.querySelector<HTMLInputElement>('input[aria-label="Search scenes"]');
  const view = (name: string) =>
    [...container.querySelectorAll<HTMLButtonElement>('[role="radio"]')].find((b) => b.textContent === name)!;
  await settleIn(container, () => box() !== null && queryClient.isFetching() === 0, 'the tab, loaded');
  act(() => typeInto(box()!, 'Neefe piano'));
  act(() => view('Statistics').click());
  await settleIn(container, () => box() === null, 'the statistics');
  act(() => view('Scenes').click());
  await settleIn(container, () => box() !== null, 'the scenes again');
  expect(box()!.value).toBe('Neefe piano');
  // Another tab and back (the panel mounted anew): the same view.
  first.unmount();
  const again = renderWithQueries(<DatasetTab character={character} />);
  cleanups.push(again.unmount);
  await settleIn(
    again.container,
    () => again.container.querySelector<HTMLInputElement>('input[aria-label="Search scenes"]') !== null,
    'the tab again',
  );
  expect(again.container.querySelector<HTMLInputElement>('input[aria-label="Search scenes"]')!.value).toBe(
    'Neefe piano',
  );
  await settleIn(again.container, () => queryClient.isFetching() === 0, 'its queries');
});

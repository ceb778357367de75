// @vitest-environment jsdom
import { afterEach, expect, it } from 'vitest';
import { DatasetPanel } from '../../../renderer/src/components/dataset/DatasetPanel';
import { queryClient } from '../../../renderer/src/lib/queries';
import { fakeLayout, settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { seedScenes, variedScenes } from '../../support/interop';
import { call, callError, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A search longer than the studio takes came back as "Invalid argument for scenes/list: search: …"
// in place of the list: the box now stops at the studio's limit.

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

// @vitest-environment jsdom
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Character, SceneId } from '../../../common/contract';
import { queryClient } from '../../../renderer/src/lib/queries';
import { applyReview, undoReview } from '../../../renderer/src/lib/review';
import { useUi } from '../../../renderer/src/state/ui';
import { seedScenes, variedScenes } from '../../support/interop';
import { connectRenderer } from '../../support/render';
import { call, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

// One way to review scenes (renderer/src/lib/review.ts), used by the list's review bar, the
// reading pane's strip and the list's keys: against a real studio, each review is one action the
// bar's Undo takes back, says what it did, reads again what shows the scenes, and a refusal
// changes nothing and says why.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
let character: Character;
let ids: SceneId[];
let disconnect: () => void;

beforeEach(async () => {
  const characterId = await createBeethoven(env.studio);
  ids = seedScenes(env.studio, characterId, variedScenes());
  character = await call(env.studio, 'characters/get', { id: characterId });
  ({ disconnect } = connectRenderer(env.studio));
  useUi.setState({ toasts: [] });
});
afterEach(() => {
  disconnect();
  queryClient.clear();
});

const lastToast = () => useUi.getState().toasts.at(-1);
const review = async (id: SceneId) => (await call(env.studio, 'scenes/get', { id })).review;
/** A query as a screen would hold it, so a refresh can be seen to mark it stale. */
const held = (key: readonly unknown[]) => {
  queryClient.setQueryData(key, { held: true });
  return () => queryClient.getQueryState(key)!.isInvalidated;
};

it('reviews named scenes as one action that Undo takes back, and reads again what shows them', async () => {
  const [first, second] = ids as [SceneId, SceneId];
  const counts = held(['review/counts', { characterId: character.id }]);
  const last = held(['review/last', { characterId: character.id }]);
  const firstScene = held(['scenes/get', { id: first }]);
  const secondScene = held(['scenes/get', { id: second }]);

  const action = await applyReview(character, { ids: [first] }, { status: 'accepted', rating: 4 });
  expect(action).not.toBeNull();
  expect(action!.scenes).toBe(1);
  expect(await review(first)).toMatchObject({ status: 'accepted', rating: 4 });
  expect(await review(second)).toMatchObject({ status: 'unreviewed', rating: null });
  expect(lastToast()).toMatchObject({ kind: 'info', text: `${action!.summary}.` });
  expect(await call(env.studio, 'review/last', { characterId: character.id })).toMatchObject({ id: action!.id });
  expect([counts(), last(), firstScene()]).toEqual([true, true, true]);
  // Only the scene it changed is read again.
  expect(secondScene()).toBe(false);

  const undone = await undoReview(character);
  expect(undone).toMatchObject({ id: action!.id });
  expect(await review(first)).toMatchObject({ status: 'unreviewed', rating: null });
  expect(lastToast()).toMatchObject({ kind: 'info', text: `Undone: ${action!.summary}.` });
  expect(await call(env.studio, 'review/last', { characterId: character.id })).toBeNull();
});

it('reviews every scene of a filter in one action, and reads every list and reader again', async () => {
  const readers = ids.map((id) => held(['scenes/get', { id }]));
  const action = await applyReview(character, { filter: { status: 'unreviewed' } }, { addTags: ['keeper'] });
  expect(action!.scenes).toBe(ids.length);
  for (const id of ids) expect((await review(id)).tags).toEqual(['keeper']);
  expect(readers.map((stale) => stale())).toEqual(ids.map(() => true));

  await undoReview(character);
  for (const id of ids) expect((await review(id)).tags).toEqual([]);
});

it('says why a review was refused, and changes nothing', async () => {
  const [first] = ids as [SceneId];
  await applyReview(character, { ids: [first] }, { status: 'rejected' });
  const action = await applyReview(character, { ids: [first] }, { rating: 6 });
  expect(action).toBeNull();
  expect(lastToast()!.kind).toBe('error');
  expect(lastToast()!.text).toMatch(/^The review was not saved: .*rating/i);
  expect(await review(first)).toMatchObject({ status: 'rejected', rating: null });
  // Undo still takes back the last review that was saved.
  expect(await call(env.studio, 'review/last', { characterId: character.id })).toMatchObject({ scenes: 1 });
  expect(await undoReview(character)).not.toBeNull();
  expect(await review(first)).toMatchObject({ status: 'unreviewed' });
});

it('says so when there is nothing left to undo', async () => {
  expect(await undoReview(character)).toBeNull();
  expect(lastToast()).toMatchObject({ kind: 'error', text: 'There is no review action left to undo.' });
});

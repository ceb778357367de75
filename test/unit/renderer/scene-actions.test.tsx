// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Character, CharacterId, SceneId } from '../../../common/contract';
import { DatasetPanel } from '../../../renderer/src/components/dataset/DatasetPanel';
import { queryClient } from '../../../renderer/src/lib/queries';
import { fakeLayout, settleIn, typeInto } from '../../support/dom';
import { seedScenes, variedScenes } from '../../support/interop';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, callError, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// Deleting and duplicating the scene that is open, in the reading pane and in the editor: there
// was no way to do either from a scene. A delete asks first, naming the scene, and the list reads
// on at the next one; a duplicate is a scene by hand, opened in the editor for a variant.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
const cleanups: (() => void)[] = [];
let page: { container: HTMLElement; unmount: () => void };
let characterId: CharacterId;
let ids: SceneId[];

beforeEach(async () => {
  // jsdom has no <dialog> modality; the dialogs only need showModal to exist.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  characterId = await createBeethoven(env.studio);
  ids = seedScenes(env.studio, characterId, variedScenes());
  const character: Character = await call(env.studio, 'characters/get', { id: characterId });
  const { disconnect } = connectRenderer(env.studio);
  cleanups.push(disconnect, fakeLayout());
  page = renderWithQueries(<DatasetPanel character={character} />);
  cleanups.push(() => page.unmount());
  await settleIn(page.container, () => rows().length === 4, 'the list');
});
afterEach(async () => {
  // Every query the panel started has answered before the studio closes behind it.
  await settleIn(page.container, () => queryClient.isFetching() === 0, 'the last queries');
  cleanups
    .splice(0)
    .reverse()
    .forEach((undo) => undo());
});

const text = () => page.container.textContent ?? '';
const rows = () => [...page.container.querySelectorAll<HTMLButtonElement>('[data-testid="scene-item"]')];
const pane = () => page.container.querySelector<HTMLElement>('[aria-label="Scene detail"]');
const editor = () => page.container.querySelector<HTMLElement>('[role="dialog"][aria-label="Scene editor"]');
const dialog = () => page.container.querySelector<HTMLDialogElement>('dialog[open]');
const buttonIn = (root: Element | null, name: string) =>
  [...(root?.querySelectorAll('button') ?? [])].find((b) => b.textContent === name) ?? null;
const field = (name: string) => editor()?.querySelector<HTMLInputElement>(`input[aria-label="${name}"]`) ?? null;

/** Picks `name` in the "More actions" menu of `root` (the reading pane or the editor's bar). */
function moreAction(root: Element | null, name: string): void {
  act(() => root!.querySelector<HTMLButtonElement>('button[aria-label="More actions"]')!.click());
  const item = [...root!.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')].find((b) => b.textContent === name);
  expect(item, `the menu entry ${name}`).toBeDefined();
  act(() => item!.click());
}

async function read(index: number, heading: string): Promise<void> {
  act(() => rows()[index]!.click());
  await settleIn(page.container, () => pane()?.textContent?.includes(heading) ?? false, `scene ${index + 1} read`);
}

it('deletes the scene read in the pane after a question naming it, and reads on at the next scene', async () => {
  await read(1, 'Vienna, Heiligenstadt');
  moreAction(pane(), 'Delete…');
  expect(dialog()?.textContent).toContain('“Conversation” (Vienna, Heiligenstadt, 1802)');
  expect(dialog()?.textContent).toContain('its experience (4 turns)');
  // Cancel changes nothing.
  act(() => buttonIn(dialog(), 'Cancel')!.click());
  expect(dialog()).toBeNull();
  expect((await call(env.studio, 'scenes/get', { id: ids[1]! })).location).toBe('Vienna, Heiligenstadt');

  moreAction(pane(), 'Delete…');
  act(() => buttonIn(dialog(), 'Delete scene')!.click());
  await settleIn(page.container, () => dialog() === null, 'the question to close');
  expect((await callError(env.studio, 'scenes/get', { id: ids[1]! })).code).toBe('not_found');
  // The scene after it is read in its place, and the list no longer has it.
  await settleIn(page.container, () => pane()?.textContent?.includes('A room') ?? false, 'the next scene');
  await settleIn(page.container, () => rows().length === 3, 'the list without it');
  expect(rows()[1]!.getAttribute('aria-current')).toBe('true');

  // The list's Delete key asks about the selected scene; the last one deleted leaves the one before.
  await read(2, 'Bonn, the court chapel');
  act(() => {
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Delete', bubbles: true, cancelable: true }));
  });
  expect(dialog()?.textContent).toContain('(Bonn, the court chapel)');
  act(() => buttonIn(dialog(), 'Delete scene')!.click());
  await settleIn(page.container, () => pane()?.textContent?.includes('A room') ?? false, 'the scene before');
  expect((await call(env.studio, 'review/counts', { characterId })).total).toBe(2);
});

it('keeps the question open with the studio’s reason when a delete is refused', async () => {
  await read(0, "Neefe's room in Bonn");
  moreAction(pane(), 'Delete…');
  // Another window deleted it meanwhile.
  await call(env.studio, 'scenes/delete', { characterId, ids: [ids[0]!] });
  act(() => buttonIn(dialog(), 'Delete scene')!.click());
  await settleIn(page.container, () => dialog()?.querySelector('[role="alert"]') != null, 'the refusal');
  expect(dialog()!.querySelector('[role="alert"]')!.textContent).toMatch(/None of those scenes exists/);
  act(() => buttonIn(dialog(), 'Cancel')!.click());
});

it('duplicates the scene read in the pane as a scene by hand, opened in the editor for a variant', async () => {
  await read(0, "Neefe's room in Bonn");
  moreAction(pane(), 'Duplicate');
  await settleIn(page.container, () => field('Location')?.value === "Neefe's room in Bonn", 'the copy in the editor');
  expect(text()).toContain("A copy of “Conversation” (Neefe's room in Bonn), written by hand");
  expect(text()).toContain('The original is unchanged.');
  const copies = await call(env.studio, 'scenes/list', { characterId, limit: 10, kind: 'hand' });
  expect(copies.scenes).toHaveLength(1);
  const copy = await call(env.studio, 'scenes/open', { id: copies.scenes[0]!.id });
  const original = await call(env.studio, 'scenes/open', { id: ids[0]! });
  expect(copy.origin).toBe('hand');
  expect(copy.doc).toEqual(original.doc);
  expect(copy.scene.id).not.toBe(ids[0]);
});

it('duplicates from the editor with the text as it stands, and deletes from it naming unsaved edits', async () => {
  await read(0, "Neefe's room in Bonn");
  act(() => buttonIn(pane(), 'Edit')!.click());
  await settleIn(page.container, () => field('Location') !== null, 'the editor');
  act(() => typeInto(field('Location')!, 'Bonn, the organ loft'));
  moreAction(editor(), 'Duplicate');
  await settleIn(page.container, () => text().includes('A copy of'), 'the copy in the editor');
  expect(field('Location')!.value).toBe('Bonn, the organ loft');
  expect(text()).toContain('Your unsaved edits are in this copy; the original keeps its saved text.');
  expect((await call(env.studio, 'scenes/get', { id: ids[0]! })).location).toBe("Neefe's room in Bonn");
  const [copy] = (await call(env.studio, 'scenes/list', { characterId, limit: 10, kind: 'hand' })).scenes;
  expect(copy!.location).toBe('Bonn, the organ loft');
  // The list behind the editor has the copy, selected.
  await settleIn(page.container, () => rows().length === 5, 'the copy in the list');
  expect(rows()[4]!.getAttribute('aria-current')).toBe('true');

  // The copy, edited and not saved, deleted from its editor: the question says the edits go too.
  act(() => typeInto(field('Time')!, '1783'));
  moreAction(editor(), 'Delete…');
  expect(dialog()?.textContent).toContain('“Conversation” (Bonn, the organ loft, 1783)');
  expect(dialog()?.textContent).toContain('The edits you have not saved in the editor go with it.');
  act(() => buttonIn(dialog(), 'Delete scene')!.click());
  await settleIn(page.container, () => editor() === null, 'the editor to close');
  expect((await callError(env.studio, 'scenes/get', { id: copy!.id })).code).toBe('not_found');
  // The copy was the last row: the one before it is read.
  await settleIn(
    page.container,
    () => pane()?.textContent?.includes('Bonn, the court chapel') ?? false,
    'the scene before',
  );
});

// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { SceneEditorPanel } from '../../../renderer/src/components/dataset/SceneEditorPanel';
import { fakeLayout, settleIn, typeInto } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { call, createBeethoven, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// Writing a scene by hand: new turns alternate between Beethoven and the other person of the scene
// (they used to come blank, or copy the turn before), and a save the studio would refuse puts the
// cursor in the blank field.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
let disconnect: () => void;
let restoreLayout: () => void;
let page: { container: HTMLElement; unmount: () => void };

beforeEach(() => {
  ({ disconnect } = connectRenderer(env.studio));
  // The turns are a virtualized list: it draws rows only into a viewport with a size.
  restoreLayout = fakeLayout();
});
afterEach(() => {
  page.unmount();
  disconnect();
  restoreLayout();
});

async function openNew(): Promise<CharacterId> {
  const character = await call(env.studio, 'characters/get', { id: await createBeethoven(env.studio) });
  expect(character.shortName).toBe('Beethoven');
  page = renderWithQueries(
    <SceneEditorPanel
      target={{ kind: 'new' }}
      character={character}
      onClose={() => undefined}
      onCreated={() => undefined}
      onDelete={() => undefined}
      onDuplicated={() => undefined}
    />,
  );
  await settleIn(page.container, () => button('+ Add a turn') !== undefined, 'the empty editor');
  return character.id;
}

const button = (name: string) => [...page.container.querySelectorAll('button')].find((b) => b.textContent === name);
const field = <T extends Element>(label: string) => page.container.querySelector<T>(`[aria-label="${label}"]`)!;
const speakers = () =>
  [...page.container.querySelectorAll<HTMLInputElement>('input.turn-speaker')].map((input) => input.value);
const click = (label: string) => act(() => field<HTMLButtonElement>(label).click());

it('starts with the character when the scene names nobody else, then alternates with whoever answered', async () => {
  await openNew();
  act(() => button('+ Add a turn')!.click());
  expect(speakers()).toEqual(['Beethoven']);
  click('Insert a turn after 1');
  // Nobody to alternate with yet: left blank for the writer.
  expect(speakers()).toEqual(['Beethoven', '']);
  act(() => typeInto(field<HTMLInputElement>('Turn 2 speaker'), 'Neefe'));
  click('Insert a turn after 2');
  click('Insert a turn after 3');
  expect(speakers()).toEqual(['Beethoven', 'Neefe', 'Beethoven', 'Neefe']);
});

it('starts with the first person in People and alternates them with the character', async () => {
  await openNew();
  act(() => typeInto(field<HTMLInputElement>('People'), 'Neefe, the organ blower'));
  act(() => button('+ Add a turn')!.click());
  click('Insert a turn after 1');
  click('Insert a turn after 2');
  expect(speakers()).toEqual(['Neefe', 'Beethoven', 'Neefe']);
  // Inserted between turn 1 (Neefe) and turn 2: the answer to Neefe is Beethoven's.
  click('Insert a turn after 1');
  expect(speakers()).toEqual(['Neefe', 'Beethoven', 'Beethoven', 'Neefe']);
});

it('puts the cursor in the blank field a save is refused for, saying which turn and what is missing', async () => {
  const characterId = await openNew();
  act(() => typeInto(field<HTMLInputElement>('People'), 'Neefe'));
  act(() => button('+ Add a turn')!.click());
  click('Insert a turn after 1');
  act(() => typeInto(field<HTMLTextAreaElement>('Turn 1 text'), 'Play it again.'));
  act(() => typeInto(field<HTMLInputElement>('Turn 2 speaker'), ' '));
  act(() => (document.activeElement as HTMLElement).blur());

  act(() => button('Save')!.click());
  await settleIn(
    page.container,
    () => document.activeElement === field('Turn 2 speaker'),
    'focus on the blank speaker',
  );
  expect(page.container.querySelector('[role="alert"]')?.textContent).toMatch(/^Turn 2 has no speaker/);

  act(() => typeInto(field<HTMLInputElement>('Turn 2 speaker'), 'Beethoven'));
  act(() => button('Save')!.click());
  await settleIn(page.container, () => document.activeElement === field('Turn 2 text'), 'focus on the blank text');
  expect(page.container.querySelector('[role="alert"]')?.textContent).toMatch(/^Turn 2 has no text/);
  expect((await call(env.studio, 'scenes/list', { characterId, limit: 10 })).scenes).toEqual([]);
});

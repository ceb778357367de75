// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Character, SceneId } from '../../../common/contract';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer } from '../../support/render';
import { openEditorOnLesson } from '../../support/editor-page';
import { call, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
let disconnect: () => void;
let closed: number;
let page: { container: HTMLElement; unmount: () => void };

beforeEach(() => {
  ({ disconnect } = connectRenderer(env.studio));
  // jsdom has no <dialog> modality; the component only needs showModal to exist.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  closed = 0;
});
afterEach(() => {
  page.unmount();
  disconnect();
});

/** Opens the editor on a generated lesson and waits for its fields. */
async function openLesson(): Promise<{ id: SceneId; character: Character }> {
  const opened = await openEditorOnLesson(env.studio, { onClose: () => closed++ });
  page = opened.page;
  return opened;
}

const location = () => page.container.querySelector<HTMLInputElement>('input[aria-label="Location"]');
const button = (name: string) => [...page.container.querySelectorAll('button')].find((b) => b.textContent === name)!;

/** A key pressed on `target` as the browser sends it; returns whether the page took it over. */
function press(target: Element, key: string, modifiers: KeyboardEventInit = {}): boolean {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...modifiers });
  act(() => {
    target.dispatchEvent(event);
  });
  return event.defaultPrevented;
}

it('keeps keys pressed in the Regenerate dialog in that dialog, not on the editor behind it', async () => {
  const { id } = await openLesson();
  act(() => typeInto(location()!, 'Bonn, the chapel'));
  act(() => location()!.blur());
  act(() => button('Save').click());
  await settleIn(page.container, () => (page.container.textContent ?? '').includes('Saved as revision'), 'the save');
  const saved = (await call(env.studio, 'scenes/open', { id })).revision;

  act(() => button('Regenerate experience…').click());
  const instruction = page.container.querySelector<HTMLTextAreaElement>('dialog textarea[aria-label="Instruction"]')!;
  expect(instruction).not.toBeNull();
  act(() => typeInto(instruction, 'Beethoven is angrier'));

  press(instruction, 'z', { ctrlKey: true });
  expect(location()!.value).toBe('Bonn, the chapel');
  press(instruction, 's', { ctrlKey: true });
  press(instruction, 'Escape');
  expect(closed).toBe(0);
  expect(page.container.querySelector('dialog')).not.toBeNull();
  expect(instruction.value).toBe('Beethoven is angrier');
  expect((await call(env.studio, 'scenes/open', { id })).revision).toBe(saved);

  // While the dialog is open, a key reaching the page outside it (focus left on <body>) is not the editor's either.
  press(document.body, 'Escape');
  expect(closed).toBe(0);
  // Once the dialog is closed, the same keys reach the editor again.
  act(() => page.container.querySelector<HTMLButtonElement>('dialog button[aria-label="Close"]')!.click());
  expect(page.container.querySelector('dialog')).toBeNull();
  press(location()!, 'z', { ctrlKey: true });
  expect(location()!.value).toBe('Bonn');
});

it('hears its shortcuts wherever focus is while it is open: Ctrl+S on <body> saves, and never reaches the browser', async () => {
  const { id } = await openLesson();
  act(() => typeInto(location()!, 'Bonn, the chapel'));
  // The field went away (a turn scrolled out of the list, a click on empty space): focus is on <body>.
  act(() => location()!.blur());
  expect(document.activeElement).toBe(document.body);

  expect(press(document.body, 's', { ctrlKey: true })).toBe(true);
  await settleIn(page.container, () => (page.container.textContent ?? '').includes('Saved as revision'), 'the save');
  expect((await call(env.studio, 'scenes/open', { id })).doc.location).toBe('Bonn, the chapel');

  expect(press(document.body, 'z', { metaKey: true })).toBe(true);
  expect(location()!.value).toBe('Bonn');
  expect(press(document.body, 'y', { ctrlKey: true })).toBe(true);
  expect(location()!.value).toBe('Bonn, the chapel');
  expect(press(document.body, 'Escape')).toBe(true);
  expect(closed).toBe(1);
});

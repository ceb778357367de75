// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { SceneId } from '../../../common/contract';
import { settleIn, typeInto } from '../../support/dom';
import { connectRenderer } from '../../support/render';
import { editorField, openEditorOnLesson } from '../../support/editor-page';
import { call, studioForEachTest, type makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// Esc anywhere closed the editor, and Close asked only OK/Cancel: with unsaved edits both now ask
// Save / Discard / Keep editing, and a key meant for a dialog over the editor never closes it.

let env: ReturnType<typeof makeStudio>;
studioForEachTest((opened) => (env = opened));
let disconnect: () => void;
let page: { container: HTMLElement; unmount: () => void };
let closed: number;
let id: SceneId;

beforeEach(async () => {
  ({ disconnect } = connectRenderer(env.studio));
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  closed = 0;
  ({ id, page } = await openEditorOnLesson(env.studio, { onClose: () => closed++ }));
});
afterEach(() => {
  page.unmount();
  disconnect();
});

const input = (label: string) => editorField(page.container, label);
const question = () => page.container.querySelector<HTMLDialogElement>('dialog[open]');
const button = (root: Element | null, name: string) =>
  [...(root?.querySelectorAll<HTMLButtonElement>('button') ?? [])].find((b) => b.textContent === name)!;
const stored = async () => (await call(env.studio, 'scenes/open', { id })).doc;

function press(target: Element, key: string, init: KeyboardEventInit = {}): void {
  act(() => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
  });
}

function edit(): void {
  act(() => typeInto(input('Location')!, 'Bonn, the organ loft'));
}

it('asks before Esc drops unsaved edits; Keep editing, or Esc in the question, keeps them', () => {
  edit();
  press(input('Location')!, 'Escape');
  expect(closed).toBe(0);
  expect(question()?.getAttribute('aria-label')).toBe('Close with unsaved edits?');
  expect(question()!.textContent).toContain('“Lesson” (Bonn, the organ loft, 1783) has edits you have not saved.');
  expect([...question()!.querySelectorAll('.actions button')].map((b) => b.textContent)).toEqual([
    'Keep editing',
    'Discard edits',
    'Save and close',
  ]);

  act(() => button(question(), 'Keep editing').click());
  expect(question()).toBeNull();
  expect([closed, input('Location')!.value]).toEqual([0, 'Bonn, the organ loft']);

  // Esc inside the question belongs to it: the question's own cancel, never the editor's close.
  press(document.body, 'Escape');
  press(button(question(), 'Discard edits'), 'Escape');
  expect(closed).toBe(0);
  act(() => {
    question()!.dispatchEvent(new Event('cancel', { cancelable: true }));
  });
  expect(question()).toBeNull();
  expect([closed, input('Location')!.value]).toEqual([0, 'Bonn, the organ loft']);
  // While composing with an input method, Esc is the composition's.
  press(input('Location')!, 'Escape', { isComposing: true });
  expect(question()).toBeNull();
});

it('discards the edits only when told to, and saves them and closes when told to', async () => {
  edit();
  act(() => button(page.container, 'Close').click());
  act(() => button(question(), 'Discard edits').click());
  expect(closed).toBe(1);
  expect((await stored()).location).toBe('Bonn');
  closed = 0;

  act(() => typeInto(input('Time')!, '1784'));
  act(() => button(page.container, 'Close').click());
  act(() => button(question(), 'Save and close').click());
  await settleIn(page.container, () => closed === 1, 'the save and close');
  expect(await stored()).toMatchObject({ location: 'Bonn, the organ loft', time: '1784' });
});

it('stays open when Save and close is refused, saying why', async () => {
  edit();
  await call(env.studio, 'scenes/save', {
    id,
    baseRevision: (await call(env.studio, 'scenes/open', { id })).revision,
    doc: { ...(await stored()), time: 'Winter 1783' },
  });
  press(document.body, 'Escape');
  act(() => button(question(), 'Save and close').click());
  await settleIn(
    page.container,
    () => page.container.querySelector('[aria-label="Save conflict"]') !== null,
    'the conflict',
  );
  expect(closed).toBe(0);

  // Asked again, with the conflict open: keeping mine over theirs, then closing.
  press(document.body, 'Escape');
  expect(question()!.textContent).toContain('Your last save was refused');
  act(() => button(question(), 'Keep mine and close').click());
  await settleIn(page.container, () => closed === 1, 'the save and close');
  expect(await stored()).toMatchObject({ location: 'Bonn, the organ loft', time: '1783' });
});

it('leaves Esc to a dialog open over it, wherever focus is, and closes at once without edits', () => {
  // No edits: Esc would close at once, but a modal dialog is open (focus left on <body>).
  const other = document.createElement('dialog');
  other.open = true;
  document.body.append(other);
  try {
    press(document.body, 'Escape');
    expect([closed, question()]).toEqual([0, null]);
  } finally {
    other.remove();
  }
  press(document.body, 'Escape');
  expect(closed).toBe(1);
  expect(question()).toBeNull();
});

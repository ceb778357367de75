// @vitest-environment jsdom
import { act, type ReactNode } from 'react';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ReviewChange, SceneId, SceneSummary } from '../../../common/contract';
import { useListKeys } from '../../../renderer/src/components/dataset/list-keys';
import { mountRoot } from '../../support/dom';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// The browser's list keys (↓ ↑ j k Enter) listen on the whole window; a dialog over the list (the
// Provenance dialog, say) keeps them: ↓ there used to move the selection behind it.

const rows = ['scene-1', 'scene-2', 'scene-3'].map((id) => ({ id }) as SceneSummary);
let selected: SceneId[];
let reviewed: [SceneId, ReviewChange][];
let page: ReturnType<typeof mountRoot>;

function List({ children, current = null }: { children?: ReactNode; current?: SceneId | null }) {
  useListKeys({
    enabled: true,
    rows,
    selected: current,
    onSelect: (id) => selected.push(id),
    onOpen: () => undefined,
    onDelete: () => undefined,
    onReview: (row, change) => reviewed.push([row.id, change]),
    onNeedMore: undefined,
  });
  return <>{children}</>;
}

function press(target: Element, key: string): void {
  act(() => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  });
}

beforeEach(() => {
  selected = [];
  reviewed = [];
  page = mountRoot();
});
afterEach(() => page.unmount());

it('moves the selection with ↓ and j while no dialog is open', () => {
  act(() => page.root.render(<List />));
  press(document.body, 'ArrowDown');
  press(document.body, 'j');
  expect(selected).toEqual(['scene-1', 'scene-1']);
});

it('leaves the list alone while a dialog is open, for keys from inside it or from anywhere else', () => {
  act(() =>
    page.root.render(
      <List>
        <dialog open aria-label="Provenance">
          <button>Close</button>
        </dialog>
      </List>,
    ),
  );
  for (const key of ['ArrowDown', 'ArrowUp', 'j', 'k']) {
    press(page.container.querySelector('dialog button')!, key);
    press(document.body, key);
  }
  expect(selected).toEqual([]);
});

it('leaves the list alone for keys from inside an element with role=dialog', () => {
  act(() =>
    page.root.render(
      <List>
        <div role="dialog" aria-label="Scene editor">
          <button>Close</button>
        </div>
      </List>,
    ),
  );
  press(page.container.querySelector('[role="dialog"] button')!, 'ArrowDown');
  expect(selected).toEqual([]);
});

it('reviews the selected scene from the keys: a and r move on to the next, stars stay put', () => {
  act(() => page.root.render(<List current={'scene-2' as SceneId} />));
  press(document.body, 'a');
  press(document.body, '4');
  press(document.body, '0');
  press(document.body, 'u');
  expect(reviewed).toEqual([
    ['scene-2', { status: 'accepted' }],
    ['scene-2', { rating: 4 }],
    ['scene-2', { rating: null }],
    ['scene-2', { status: 'unreviewed' }],
  ]);
  expect(selected).toEqual(['scene-3']);

  // On the last scene there is no next one to move to; a key typed in a field is the field's.
  act(() =>
    page.root.render(
      <List current={'scene-3' as SceneId}>
        <input aria-label="Search" />
      </List>,
    ),
  );
  press(document.body, 'r');
  press(page.container.querySelector('input')!, 'a');
  expect(reviewed.at(-1)).toEqual(['scene-3', { status: 'rejected' }]);
  expect(reviewed).toHaveLength(5);
  expect(selected).toEqual(['scene-3']);
});

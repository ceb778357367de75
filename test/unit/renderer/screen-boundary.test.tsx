// @vitest-environment jsdom
import { act } from 'react';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ScreenBoundary } from '../../../renderer/src/components/ScreenBoundary';
import { mountRoot } from '../../support/dom';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;
let container: HTMLElement;
let unmount: () => void;
let broken = true;

/** A view that cannot draw while `broken` holds, as one fed a value it did not expect. */
function Fragile({ name }: { name: string }) {
  if (broken) throw new TypeError("Cannot read properties of null (reading 'toLocaleString')");
  return <p>{name} drawn</p>;
}

function draw(resetKey: string) {
  act(() =>
    root.render(
      <div>
        <nav>the tabs</nav>
        <ScreenBoundary what="The Generate tab" resetKey={resetKey}>
          <Fragile name={resetKey} />
        </ScreenBoundary>
      </div>,
    ),
  );
}

beforeEach(() => {
  broken = true;
  // React reports each caught error on the console; the boundary adds its own line.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  ({ root, container, unmount } = mountRoot());
});
afterEach(() => {
  unmount();
  vi.restoreAllMocks();
});

describe('ScreenBoundary', () => {
  it('shows the error in place of the view that threw, and keeps the rest of the window', () => {
    draw('generate');
    const alert = container.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain('The Generate tab could not be shown');
    expect(alert?.textContent).toContain("reading 'toLocaleString'");
    expect(container.querySelector('nav')?.textContent).toBe('the tabs');
  });

  it('draws the view again on "Try again" once it can', () => {
    draw('generate');
    broken = false;
    const retry = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Try again');
    act(() => retry?.click());
    expect(container.querySelector('[role="alert"]')).toBeNull();
    expect(container.textContent).toContain('generate drawn');
  });

  it('starts afresh for another tab or character (a new reset key)', () => {
    draw('generate');
    expect(container.querySelector('[role="alert"]')).not.toBeNull();
    broken = false;
    draw('generate');
    // Same key: the error stays until the user asks again.
    expect(container.querySelector('[role="alert"]')).not.toBeNull();
    draw('dataset');
    expect(container.querySelector('[role="alert"]')).toBeNull();
    expect(container.textContent).toContain('dataset drawn');
  });
});

import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';

/** How long `settleIn` waits: a ceiling, not a pace (a state that holds returns at once). */
export const SETTLE_CEILING_MS = 15_000;

/**
 * Waits (inside React's `act`) until `predicate` holds for the rendered page, checking every 10 ms
 * for up to `ceilingMs` of wall time; fails naming `what` and showing the page's text. For jsdom
 * component tests. The ceiling is wall time, not a count of checks: on CI's loaded cores one check
 * (a render, a SQLite read behind the in-process bridge) can take far longer than its 10 ms pause.
 */
export async function settleIn(
  container: HTMLElement,
  predicate: () => boolean,
  what: string,
  ceilingMs = SETTLE_CEILING_MS,
): Promise<void> {
  const deadline = performance.now() + ceilingMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; page: ${container.textContent}`);
    await act(() => new Promise((r) => setTimeout(r, 10)));
  }
}

/** Types `value` into `input` as a person does (React listens for the input event). */
export function typeInto(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  const proto = input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * Gives every element a box of `width` × `height` px while a jsdom test runs (jsdom lays nothing
 * out, so a virtualized list would see a viewport of 0 px and draw no rows). Returns the undo.
 */
export function fakeLayout(width = 1024, height = 700): () => void {
  const proto = HTMLElement.prototype;
  const saved = ['clientWidth', 'clientHeight', 'offsetWidth', 'offsetHeight'].map(
    (key) => [key, Object.getOwnPropertyDescriptor(proto, key)] as const,
  );
  for (const key of ['clientWidth', 'offsetWidth'])
    Object.defineProperty(proto, key, { configurable: true, get: () => width });
  for (const key of ['clientHeight', 'offsetHeight'])
    Object.defineProperty(proto, key, { configurable: true, get: () => height });
  return () => {
    for (const [key, descriptor] of saved)
      if (descriptor) Object.defineProperty(proto, key, descriptor);
      else delete (proto as unknown as Record<string, unknown>)[key];
  };
}

/** A React root on a fresh `<div>` in the document, for a jsdom component test; `unmount` takes both away. */
export function mountRoot(): { root: Root; container: HTMLElement; unmount: () => void } {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  return {
    root,
    container,
    unmount: () => {
      act(() => root.unmount());
      container.remove();
    },
  };
}

import { act } from 'react';

/**
 * Waits (inside React's `act`) until `predicate` holds for the rendered page, checking every 10 ms
 * for up to 2 s; fails naming `what` and showing the page's text. For jsdom component tests.
 */
export async function settleIn(container: HTMLElement, predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await act(() => new Promise((r) => setTimeout(r, 10)));
  }
  throw new Error(`timed out waiting for ${what}; page: ${container.textContent}`);
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

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

// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { settleIn } from '../../support/dom';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function page(text: string): HTMLElement {
  const container = document.createElement('div');
  container.textContent = text;
  return container;
}

describe('settleIn (the component tests’ wait for a rendered state)', () => {
  it('waits by wall time, so a state that comes after 200 quick checks (3 s) is still seen', async () => {
    const container = page('loading');
    const timer = setTimeout(() => (container.textContent = 'ready'), 3_000);
    const started = performance.now();
    await settleIn(container, () => container.textContent === 'ready', 'the page to be ready');
    clearTimeout(timer);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_900);
  });

  it('gives up at its ceiling, naming what it waited for and showing the page', async () => {
    const container = page('still loading');
    await expect(settleIn(container, () => false, 'the list', 200)).rejects.toThrow(
      'timed out waiting for the list; page: still loading',
    );
  });
});

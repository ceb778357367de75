// @vitest-environment jsdom
import { QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import type { Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../../renderer/src/components/App';
import { suggestShortName } from '../../../common/short-name';
import { queryClient } from '../../../renderer/src/lib/queries';
import { settleIn, mountRoot } from '../../support/dom';
import { connectRenderer } from '../../support/render';
import { makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let env: ReturnType<typeof makeStudio>;
let root: Root;
let container: HTMLElement;
let unmount: () => void;
let disconnect: () => void;
let bridge: ReturnType<typeof connectRenderer>['bridge'];

function settle(predicate: () => boolean, what: string): Promise<void> {
  return settleIn(container, predicate, what);
}

function button(name: string): HTMLButtonElement {
  const found = [...container.ownerDocument.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
  if (!found) throw new Error(`no button "${name}"`);
  return found;
}

function type(input: HTMLInputElement | HTMLTextAreaElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input) as object, 'value')!.set!;
  setter.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

beforeEach(() => {
  env = makeStudio();
  ({ bridge, disconnect } = connectRenderer(env.studio));
  // jsdom has no <dialog> modality; the component only needs showModal to exist.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  ({ root, container, unmount } = mountRoot());
});
afterEach(() => {
  unmount();
  disconnect();
  env.cleanup();
  localStorage.clear();
});

describe('renderer components against the real core', () => {
  it('suggests the speaker label from the full name', () => {
    expect(suggestShortName('Ludwig van Beethoven')).toBe('Beethoven');
    expect(suggestShortName('  Ada  ')).toBe('Ada');
    expect(suggestShortName('')).toBe('');
  });

  it('creates a character from the welcome screen and shows it selected', async () => {
    act(() =>
      root.render(
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>,
      ),
    );
    await settle(() => container.textContent?.includes('Create your first character') ?? false, 'the welcome screen');
    act(() => button('Create your first character').click());
    const fullName = container.ownerDocument.querySelector(
      'input[placeholder="Ludwig van Beethoven"]',
    ) as HTMLInputElement;
    act(() => type(fullName, 'Ada Lovelace'));
    const shortName = container.ownerDocument.querySelector('input[placeholder="Beethoven"]') as HTMLInputElement;
    expect(shortName.value).toBe('Lovelace');
    await act(async () => {
      button('Create character').click();
      await Promise.resolve();
    });
    await settle(() => container.querySelector('h1')?.textContent === 'Ada Lovelace', 'the character view');
    await settle(() => container.textContent?.includes('No profile yet') ?? false, 'the empty profile');
    expect((await env.studio.invoke('characters/list', {})).ok).toBe(true);
    expect(bridge.calls).toContain('characters/create');
  });
});

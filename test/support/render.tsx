import { QueryClientProvider } from '@tanstack/react-query';
import { act, type ReactNode } from 'react';
import { queryClient } from '../../renderer/src/lib/queries';
import { mountRoot } from './dom';

/**
 * Renders `ui` into a fresh root inside the renderer's query client, for a jsdom component test
 * whose studio is set with `setStudio`; `unmount` takes the root and its `<div>` away.
 */
export function renderWithQueries(ui: ReactNode): { container: HTMLElement; unmount: () => void } {
  const { root, container, unmount } = mountRoot();
  act(() => root.render(<QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>));
  return { container, unmount };
}

import { QueryClientProvider } from '@tanstack/react-query';
import { act, type ReactNode } from 'react';
import type { Studio } from '../../main/core/studio';
import { subscribeToEvalEvents } from '../../renderer/src/lib/eval-queries';
import { queryClient, subscribeToStudioEvents } from '../../renderer/src/lib/queries';
import { setStudio } from '../../renderer/src/lib/studio';
import { mountRoot } from './dom';
import { inProcessBridge } from './in-process-bridge';

/**
 * Renders `ui` into a fresh root inside the renderer's query client, for a jsdom component test
 * whose studio is set with `setStudio` (or `connectRenderer`); `unmount` takes the root and its
 * `<div>` away.
 */
export function renderWithQueries(ui: ReactNode): { container: HTMLElement; unmount: () => void } {
  const { root, container, unmount } = mountRoot();
  act(() => root.render(<QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>));
  return { container, unmount };
}

/**
 * Points the renderer at `studio` as the app's start-up does: the in-process bridge (real SQLite,
 * the doors' validating dispatcher), an empty query cache, and the studio's events invalidating it
 * (`evalEvents`: the evaluation's too). `disconnect` stops the events; the studio stays open.
 */
export function connectRenderer(
  studio: Studio,
  options: { evalEvents?: boolean } = {},
): { bridge: ReturnType<typeof inProcessBridge>; disconnect: () => void } {
  const bridge = inProcessBridge(studio);
  setStudio(bridge);
  queryClient.clear();
  const unsubscribe = subscribeToStudioEvents();
  const unsubscribeEval = options.evalEvents ? subscribeToEvalEvents() : undefined;
  return {
    bridge,
    disconnect: () => {
      unsubscribe();
      unsubscribeEval?.();
    },
  };
}

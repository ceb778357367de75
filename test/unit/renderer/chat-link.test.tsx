// @vitest-environment jsdom
import { QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, expect, it } from 'vitest';
import type { CharacterId, RunId, TrainingRun } from '../../../common/contract';
import { ServePanel } from '../../../renderer/src/components/training/ServePanel';
import { queryClient } from '../../../renderer/src/lib/queries';
import { setStudio } from '../../../renderer/src/lib/studio';
import { useUi } from '../../../renderer/src/state/ui';
import { inProcessBridge } from '../../support/in-process-bridge';
import { makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it("a finished run's card opens the Chat tab on that run instead of a chat box of its own", () => {
  setStudio(inProcessBridge(env.studio));
  const run = {
    id: 'run-1' as RunId,
    characterId: 'ch-1' as CharacterId,
    status: 'succeeded',
    config: { target: 'local', format: 'character-llm' },
    serving: null,
  } as unknown as TrainingRun;
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  act(() =>
    root.render(
      <QueryClientProvider client={queryClient}>
        <ServePanel run={run} />
      </QueryClientProvider>,
    ),
  );
  expect(container.querySelector('.chat-box')).toBeNull();
  const link = [...container.querySelectorAll('button')].find((b) => b.textContent === 'Chat with this run')!;
  act(() => link.click());
  expect(useUi.getState().characterTab).toBe('chat');
  expect(useUi.getState().chatSelections['ch-1' as CharacterId]).toEqual({ kind: 'new', runId: 'run-1' });
  act(() => root.unmount());
  container.remove();
});

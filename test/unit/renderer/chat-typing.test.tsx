// @vitest-environment jsdom
// Renders are counted through the DevTools hook a setup file puts in place (test/support/devtools-hook.ts).
import { rendersOf, resetRenders } from '../../support/render-count';
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { ChatPanel } from '../../../renderer/src/components/chat/ChatPanel';
import { useReplyStreams } from '../../../renderer/src/state/reply-streams';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { startFakeLlmServer } from '../../support/fake-llm-server';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

it('typing in a long conversation renders the message box, not every message above it', async () => {
  const server = await startFakeLlmServer();
  try {
    const { disconnect } = connectRenderer(env.studio);
    const characterId = await createBeethoven(env.studio);
    const providerId = await addFakeProvider(env.studio, server.baseURL);
    const { conversation } = await call(env.studio, 'chat/create', {
      characterId,
      target: { kind: 'baseline', providerId, model: 'fake-model' },
      runtime: 'endpoint',
      setting: { location: 'Vienna', status: '' },
    });
    for (let i = 0; i < 10; i++)
      await call(env.studio, 'chat/send', { conversationId: conversation.id, text: `Line ${i}` });
    const character = await call(env.studio, 'characters/get', { id: characterId });
    act(() => useUi.setState({ chatSelections: { [characterId]: { kind: 'conversation', id: conversation.id } } }));
    const { container, unmount } = renderWithQueries(<ChatPanel character={character} />);
    await settleIn(container, () => container.querySelectorAll('.bubble-row').length === 20, 'the 20 messages');
    expect(rendersOf('MessageBubble')).toBeGreaterThanOrEqual(20);

    const box = container.querySelector<HTMLTextAreaElement>('.chat-composer textarea')!;
    resetRenders();
    for (const text of ['W', 'We', 'Wel', 'Well']) {
      act(() => {
        Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(box, text);
        box.dispatchEvent(new Event('input', { bubbles: true }));
      });
    }
    expect(box.value).toBe('Well');
    expect(rendersOf('Composer')).toBe(4);
    expect(rendersOf('MessageBubble')).toBe(0);

    // A streamed piece renders the pane (it holds the streams) and only the bubble it belongs to.
    const last = container.querySelectorAll('.bubble-row').length;
    expect(last).toBe(20);
    const view = await call(env.studio, 'chat/get', { id: conversation.id });
    resetRenders();
    act(() => {
      useReplyStreams.getState().delta({
        conversationId: conversation.id,
        messageId: view.path.at(-1)!.message.id,
        text: ' more',
        at: { text: 0, reasoning: 0 },
      });
    });
    expect(rendersOf('ConversationPane')).toBe(1);
    expect(rendersOf('MessageBubble')).toBeLessThanOrEqual(1);
    unmount();
    disconnect();
  } finally {
    await server.close();
  }
});

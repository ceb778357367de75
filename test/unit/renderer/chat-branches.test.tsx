// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { ChatPanel } from '../../../renderer/src/components/chat/ChatPanel';
import { useUi } from '../../../renderer/src/state/ui';
import { settleIn } from '../../support/dom';
import { startFakeLlmServer } from '../../support/fake-llm-server';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

/**
 * Where a conversation branches, on the screen: "‹ 1 / 2 ›" on a message with alternatives, apart
 * from the dimmed actions; and after Branch, a note at the end saying how many messages went on
 * from there, with a button that shows them again.
 */
it('shows where the conversation branches and what a Branch left out, and moves between them', async () => {
  const server = await startFakeLlmServer({ responder: (_req, index) => ({ text: `Reply ${index + 1}` }) });
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
    for (const text of ['Hello', 'Play for me', 'Once more']) {
      await call(env.studio, 'chat/send', { conversationId: conversation.id, text });
    }
    const character = await call(env.studio, 'characters/get', { id: characterId });
    act(() => useUi.setState({ chatSelections: { [characterId]: { kind: 'conversation', id: conversation.id } } }));
    const { container, unmount } = renderWithQueries(<ChatPanel character={character} />);
    const rows = () => [...container.querySelectorAll<HTMLElement>('.bubble-row')];
    const button = (row: HTMLElement, name: string) =>
      [...row.querySelectorAll('button')].find((b) => (b.getAttribute('aria-label') ?? b.textContent) === name)!;
    await settleIn(container, () => rows().length === 6, 'the six messages');
    expect(container.querySelector('.alternatives')).toBeNull();
    expect(container.querySelector('[data-testid="branch-note"]')).toBeNull();

    // Regenerate the second reply: it says which of two it is, at full strength beside the actions.
    act(() => button(rows()[3]!, 'Regenerate').click());
    await settleIn(container, () => rows()[3]?.textContent?.includes('Reply 4') === true, 'the regenerated reply');
    const switcher = rows()[3]!.querySelector('.alternatives')!;
    expect(switcher.getAttribute('aria-label')).toBe('Alternative 2 of 2');
    expect(switcher.textContent).toBe('‹2 / 2▾›');
    expect(switcher.closest('.bubble-actions')).toBeNull();
    // ‹ shows the first one and the conversation that went on from it.
    act(() => button(rows()[3]!, 'Previous alternative').click());
    await settleIn(container, () => rows().length === 6, 'the first branch again');
    expect(rows()[3]!.querySelector('.alternatives')!.textContent).toBe('‹1 / 2▾›');
    expect(rows()[5]!.textContent).toContain('Reply 3');

    // Branch from the first reply: the path ends there, and the note says what came after it (as shown).
    act(() => button(rows()[1]!, 'Branch').click());
    await settleIn(container, () => rows().length === 2, 'the path ending at the first reply');
    const note = container.querySelector<HTMLElement>('[data-testid="branch-note"]')!;
    expect(note.textContent).toContain('The 4 messages that came after this one are kept.');
    act(() => button(note, 'Show them').click());
    await settleIn(container, () => rows().length === 6, 'the messages that came after it');
    // The very branch that was shown, not the newest one.
    expect(rows()[5]!.textContent).toContain('Reply 3');
    expect(container.querySelector('[data-testid="branch-note"]')).toBeNull();
    unmount();
    disconnect();
  } finally {
    await server.close();
  }
});

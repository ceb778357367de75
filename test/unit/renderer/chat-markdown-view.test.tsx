// @vitest-environment jsdom
import { act } from 'react';
import { afterEach, expect, it } from 'vitest';
import { ChatPanel } from '../../../renderer/src/components/chat/ChatPanel';
import { MessageText } from '../../../renderer/src/components/chat/MessageText';
import { useUi } from '../../../renderer/src/state/ui';
import { mountRoot, settleIn } from '../../support/dom';
import { startFakeLlmServer } from '../../support/fake-llm-server';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { addFakeProvider, call, createBeethoven, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const env = makeStudio();
afterEach(() => env.cleanup());

const REPLY = [
  '*He looks up from the piano.* **Sit down**, please. <b>Not bold</b> <img src=x onerror="alert(1)">',
  '',
  'Three things I need:',
  '- quiet',
  '- `ink`',
  '- 5*3 candles',
].join('\n');

it('shows a reply’s Markdown as elements, its HTML as text, and edits the stored text as written', async () => {
  const server = await startFakeLlmServer({
    responder: () => ({ text: REPLY, reasoning: 'Another *visitor*. <script>x</script>' }),
  });
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
    await call(env.studio, 'chat/send', { conversationId: conversation.id, text: 'Hello **maestro**' });
    const character = await call(env.studio, 'characters/get', { id: characterId });
    act(() => useUi.setState({ chatSelections: { [characterId]: { kind: 'conversation', id: conversation.id } } }));
    const { container, unmount } = renderWithQueries(<ChatPanel character={character} />);
    await settleIn(container, () => container.querySelector('[data-testid="message-character"]') !== null, 'the reply');

    const reply = container.querySelector('[data-testid="message-character"] .bubble-text')!;
    expect([...reply.querySelectorAll('em')].map((e) => e.textContent)).toEqual(['He looks up from the piano.']);
    expect(reply.querySelector('strong')?.textContent).toBe('Sit down');
    expect([...reply.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['quiet', 'ink', '5*3 candles']);
    expect(reply.querySelector('li code')?.textContent).toBe('ink');
    // What looks like HTML is shown as written: no element of it reaches the page.
    expect(container.querySelector('b, img, script')).toBeNull();
    expect(reply.textContent).toContain('<b>Not bold</b> <img src=x onerror="alert(1)">');
    const thoughts = container.querySelector('[data-testid="thoughts"]')!;
    expect(thoughts.querySelector('em')?.textContent).toBe('visitor');
    expect(thoughts.textContent).toContain('<script>x</script>');
    // The user's message too.
    expect(container.querySelector('[data-testid="message-user"] strong')?.textContent).toBe('maestro');

    // Stored as written, and Edit shows it so.
    const view = await call(env.studio, 'chat/get', { id: conversation.id });
    expect(view.path.at(-1)!.message.text).toBe(REPLY);
    const edit = [...container.querySelectorAll<HTMLButtonElement>('[data-testid="message-character"] button')].find(
      (b) => b.textContent === 'Edit',
    )!;
    act(() => edit.click());
    expect(container.querySelector<HTMLTextAreaElement>('textarea[aria-label="Edit the message"]')!.value).toBe(REPLY);
    unmount();
    disconnect();
  } finally {
    await server.close();
  }
});

it('ends the last line of a reply being written with its caret, and draws any depth of emphasis', () => {
  const { root, container, unmount } = mountRoot();
  act(() =>
    root.render(
      <MessageText className="bubble-text" text={'First.\n\n- one\n- *two'} tail={<span className="caret" />} />,
    ),
  );
  expect(container.querySelector('li:last-child > p > .caret')).not.toBeNull();
  expect(container.querySelector('li:last-child')!.textContent).toBe('*two');

  // Nested far deeper than a page draws elements: past a depth, the rest is its text.
  const depth = 5_000;
  act(() =>
    root.render(<MessageText className="bubble-text" text={'*a '.repeat(depth) + 'b' + ' c*'.repeat(depth)} />),
  );
  expect(container.textContent).toBe('a '.repeat(depth) + 'b' + ' c'.repeat(depth));
  expect(container.querySelectorAll('em').length).toBeLessThan(20);
  unmount();
});

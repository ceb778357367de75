import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessageId, ConversationId, Events } from '../../../common/contract';
import { useReplyStreams } from '../../../renderer/src/state/reply-streams';

// A window that opens (or reloads) in the middle of a reply starts from the text its view read and
// places each streamed piece by its offsets: nothing shown twice, nothing skipped, whatever the order
// in which the view and the pieces arrive.

const id = 'm1' as ChatMessageId;
const piece = (text: string, at: number, reasoning?: string, reasoningAt = 0): Events['chat/delta'] => ({
  conversationId: 'c1' as ConversationId,
  messageId: id,
  text,
  ...(reasoning !== undefined && { reasoning }),
  at: { text: at, reasoning: reasoningAt },
});
const shown = () => useReplyStreams.getState().streams.get(id);
const { delta, seed } = useReplyStreams.getState();

beforeEach(() => useReplyStreams.getState().forget([id]));

describe('a reply streamed into a window', () => {
  it('from its start: each piece after the last', () => {
    expect(delta(piece('Sit ', 0, 'He is late.'))).toBe(false);
    expect(delta(piece('down.', 4))).toBe(false);
    expect(shown()).toMatchObject({ text: 'Sit down.', reasoning: 'He is late.', held: [] });
  });

  it('opened mid-reply: the view first, then pieces that overlap it', () => {
    // The view read more than had streamed (the server keeps what the runtime said before it is sent).
    seed(id, 'Sit down, my', 'He is late.');
    expect(delta(piece('down, ', 4))).toBe(false);
    expect(delta(piece('my friend.', 10))).toBe(false);
    expect(shown()!.text).toBe('Sit down, my friend.');
  });

  it('opened mid-reply: pieces first, held until the view brings the text before them', () => {
    // The pieces past what this window has wait, and ask for the view again.
    expect(delta(piece('friend.', 13))).toBe(true);
    expect(delta(piece(' Now.', 20))).toBe(true);
    expect(shown()!.text).toBe('');
    seed(id, 'Sit down, my ', '');
    expect(shown()).toMatchObject({ text: 'Sit down, my friend. Now.', held: [] });
    // An older view read again changes nothing.
    seed(id, 'Sit down', '');
    expect(shown()!.text).toBe('Sit down, my friend. Now.');
  });
});

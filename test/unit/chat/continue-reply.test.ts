import { describe, expect, it } from 'vitest';
import type { ChatMessageId, ConversationId, Events } from '../../../common/contract';
import type { Studio } from '../../../main/core/studio';
import type { FakeChatRequest } from '../../support/fake-llm-server';
import { fakeProviderDraft } from '../../support/drafts';
import { call, callError } from '../../support/studio';
import { chatBench } from './chat-fixture';

/**
 * Continue (`chat/continue`) against the fake LLM server as a server that continues a final
 * assistant message (llama.cpp server, Ollama): it answers such a request with the rest of LONG
 * after the text it was sent, as a model writing on from the reply's last word would.
 */
const LONG = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');

function prefillServer(req: FakeChatRequest) {
  const last = req.messages.at(-1)!;
  if (last.role === 'assistant') return { text: LONG.slice(last.content.length) };
  return { text: LONG, reasoning: 'Hm.' };
}

const bench = chatBench({ chunkDelayMs: 5, responder: prefillServer });

/** Every `chat/delta` of `conversationId` from now on. */
function deltasOf(studio: Studio, conversationId: ConversationId): Events['chat/delta'][] {
  const seen: Events['chat/delta'][] = [];
  studio.events.subscribe((name, payload) => {
    const delta = payload as Events['chat/delta'];
    if (name === 'chat/delta' && delta.conversationId === conversationId) seen.push(delta);
  });
  return seen;
}

/** A reply the server dropped after three words: `word0 word1 word2 `, cut off. */
async function cutReply(): Promise<{ conversationId: ConversationId; id: ChatMessageId; text: string }> {
  const { conversation } = await bench.open();
  bench.server.enqueueFaults({ kind: 'drop', afterChunks: 3 });
  const cut = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Talk' });
  expect(cut).toMatchObject({ state: 'cut', text: 'word0 word1 word2 ', reasoning: 'Hm.' });
  return { conversationId: conversation.id, id: cut.id, text: cut.text };
}

describe('Continue a reply that was cut off or stopped', () => {
  it('sends the partial reply last and grows the same message in place, its thoughts kept', async () => {
    const cut = await cutReply();
    const deltas = deltasOf(bench.studio, cut.conversationId);
    const done = await call(bench.studio, 'chat/continue', { conversationId: cut.conversationId, messageId: cut.id });
    expect(done).toMatchObject({ id: cut.id, state: 'complete', text: LONG, reasoning: 'Hm.', error: null });
    // The model was sent the conversation with the unfinished reply as the assistant's last message.
    const sent = bench.server.requests.filter((r) => r.chat).at(-1)!.chat!;
    expect(sent.messages.at(-1)).toMatchObject({ role: 'assistant', content: cut.text });
    expect(sent.messages.at(-2)).toMatchObject({ role: 'user', content: 'Talk' });
    // The pieces stream from the end of the text already there, so a window appends them.
    expect(deltas[0]).toMatchObject({ messageId: cut.id, at: { text: cut.text.length } });
    expect(deltas.map((d) => d.text ?? '').join('')).toBe(LONG.slice(cut.text.length));
    // Still one message: no alternative beside it, and the path ends at it.
    const view = await call(bench.studio, 'chat/get', { id: cut.conversationId });
    expect(view.path.map((s) => s.message.id)).toHaveLength(2);
    expect(view.path.at(-1)).toMatchObject({ siblings: [cut.id], message: done });
    expect(view.replying).toBe(false);
  });

  it('cut off again, it stays cut off with the longer text; stopped, it can go on too', async () => {
    const cut = await cutReply();
    bench.server.enqueueFaults({ kind: 'drop', afterChunks: 2 });
    const again = await call(bench.studio, 'chat/continue', { conversationId: cut.conversationId, messageId: cut.id });
    expect(again).toMatchObject({ id: cut.id, state: 'cut', text: 'word0 word1 word2 word3 word4 ', reasoning: 'Hm.' });
    expect(again.error).toBeTruthy();

    // Stopped mid-way (held by the server until Stop), then continued to the end.
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    bench.server.setResponder((req) => {
      const reply = prefillServer(req);
      return { ...reply, hold: { afterChunks: 2, until: () => (held(), new Promise<void>(() => undefined)) } };
    });
    const going = call(bench.studio, 'chat/continue', { conversationId: cut.conversationId, messageId: cut.id });
    await holding;
    await call(bench.studio, 'chat/stop', { conversationId: cut.conversationId });
    const stopped = await going;
    // What reached the studio before Stop is kept after the text it had.
    expect(stopped).toMatchObject({ id: cut.id, state: 'cancelled' });
    expect(stopped.text.startsWith(again.text) && LONG.startsWith(stopped.text)).toBe(true);
    bench.server.setResponder(prefillServer);
    const done = await call(bench.studio, 'chat/continue', { conversationId: cut.conversationId, messageId: cut.id });
    expect(done).toMatchObject({ id: cut.id, state: 'complete', text: LONG });
  });

  it('refuses what cannot go on, saying what to do instead, and changes nothing', async () => {
    const cut = await cutReply();
    const refused = async (messageId: ChatMessageId, why: RegExp) => {
      const error = await callError(bench.studio, 'chat/continue', { conversationId: cut.conversationId, messageId });
      expect(error.message).toMatch(why);
    };
    // A reply that ended by itself.
    const { conversation } = await bench.open();
    const whole = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Hi' });
    const wholeError = await callError(bench.studio, 'chat/continue', {
      conversationId: conversation.id,
      messageId: whole.id,
    });
    expect(wholeError).toMatchObject({ code: 'invalid_argument' });
    expect(wholeError.message).toMatch(/ended by itself.*Regenerate/);
    // The user's own message, and one of another conversation.
    const view = await call(bench.studio, 'chat/get', { id: cut.conversationId });
    await refused(view.path[0]!.message.id, /character's replies/);
    await refused(whole.id, /not part of this conversation/);
    // OpenAI's API answers a final assistant message with a new one: refused before anything changes.
    const openai = await call(bench.studio, 'providers/create', {
      ...fakeProviderDraft(bench.server.baseURL, 'OpenAI'),
      preset: 'openai',
    });
    await call(bench.studio, 'chat/update', {
      id: cut.conversationId,
      target: { kind: 'baseline', providerId: openai.id, model: 'fake-model' },
    });
    const asked = bench.server.requests.length;
    await refused(cut.id, /OpenAI's API cannot go on.*Retry/);
    expect(bench.server.requests.length).toBe(asked);
    expect((await call(bench.studio, 'chat/get', { id: cut.conversationId })).path.at(-1)!.message).toMatchObject({
      id: cut.id,
      state: 'cut',
      text: cut.text,
    });
    // A conversation that went on after the reply.
    await call(bench.studio, 'chat/update', {
      id: cut.conversationId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
    });
    await call(bench.studio, 'chat/send', { conversationId: cut.conversationId, text: 'And then?' });
    await refused(cut.id, /went on after this reply/);
    // A reply cut before its first word.
    bench.server.enqueueFaults({ kind: 'drop', afterChunks: 0 });
    const { conversation: other } = await bench.open();
    bench.server.setResponder(() => ({ text: LONG }));
    const empty = await call(bench.studio, 'chat/send', { conversationId: other.id, text: 'Talk' });
    expect(empty).toMatchObject({ state: 'cut', text: '' });
    const emptyError = await callError(bench.studio, 'chat/continue', {
      conversationId: other.id,
      messageId: empty.id,
    });
    expect(emptyError.message).toMatch(/before its first word.*Retry/);
  });
});

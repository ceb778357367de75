import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ChatMessageId, ConversationId, Events } from '../../../common/contract';
import type { Studio } from '../../../main/core/studio';
import { call, callError, makeStudio } from '../../support/studio';
import { chatBench } from './chat-fixture';

/**
 * What goes wrong in a reply (issue #11, point 8) against the fake LLM server as an endpoint:
 * Stop mid-stream, a server dying mid-reply, a model that never stops, a studio that died.
 */
const LONG = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
const bench = chatBench({
  chunkDelayMs: 15,
  responder: (req) =>
    req.max_tokens !== undefined && req.max_tokens < 10
      ? { text: 'and on and on', finishReason: 'length' }
      : { text: LONG, reasoning: 'Hm.' },
});

/** Resolves at the first streamed piece of speech of `conversationId`. */
function firstDelta(studio: Studio, conversationId: ConversationId): Promise<ChatMessageId> {
  return new Promise((resolve) => {
    const off = studio.events.subscribe((name, payload) => {
      const delta = payload as Events['chat/delta'];
      if (name === 'chat/delta' && delta.conversationId === conversationId && delta.text) {
        off();
        resolve(delta.messageId);
      }
    });
  });
}

describe('faults in a reply', () => {
  it('Stop keeps what was written, marked cancelled; a second reply meanwhile is refused', async () => {
    const { conversation } = await bench.open();
    const streaming = firstDelta(bench.studio, conversation.id);
    const sending = call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Talk' });
    const messageId = await streaming;
    const busy = await callError(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'More' });
    expect(busy).toMatchObject({ code: 'conflict' });
    expect(busy.message).toMatch(/press Stop/);
    expect((await call(bench.studio, 'chat/get', { id: conversation.id })).replying).toBe(true);
    expect(await call(bench.studio, 'chat/stop', { conversationId: conversation.id })).toEqual({ stopped: true });
    const reply = await sending;
    expect(reply.id).toBe(messageId);
    expect(reply.state).toBe('cancelled');
    expect(reply.text.length).toBeGreaterThan(0);
    expect(LONG.startsWith(reply.text)).toBe(true);
    expect(reply.text.length).toBeLessThan(LONG.length);
    const view = await call(bench.studio, 'chat/get', { id: conversation.id });
    expect(view.replying).toBe(false);
    expect(view.path.at(-1)!.message).toEqual(reply);
    expect(await call(bench.studio, 'chat/stop', { conversationId: conversation.id })).toEqual({ stopped: false });
  });

  it('a server that dies mid-reply leaves the partial reply cut, with the reason; Retry writes a new one', async () => {
    const { conversation } = await bench.open();
    bench.server.enqueueFaults({ kind: 'drop', afterChunks: 3 });
    const cut = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Talk' });
    expect(cut.state).toBe('cut');
    expect(cut.text).toBe('word0 word1 word2 ');
    expect(cut.reasoning).toBe('Hm.');
    expect(cut.error).toMatch(/dropped|reach|connection|terminated/i);
    const retried = await call(bench.studio, 'chat/reply', {
      conversationId: conversation.id,
      parentId: cut.parentId!,
    });
    expect(retried).toMatchObject({ state: 'complete', text: LONG, finish: 'stop' });
    const view = await call(bench.studio, 'chat/get', { id: conversation.id });
    expect(view.path.at(-1)).toMatchObject({ siblings: [cut.id, retried.id], index: 1 });
    // One attempt each: a stream already shown is never replayed behind the user's back.
    expect(bench.server.requests.filter((r) => r.chat)).toHaveLength(2);
  });

  it('a model that never stops is ended by the token limit', async () => {
    const { conversation } = await bench.open();
    const reply = await call(bench.studio, 'chat/send', {
      conversationId: conversation.id,
      text: 'Go on',
      sampling: { maxTokens: 4 },
    });
    expect(reply).toMatchObject({ state: 'complete', finish: 'length', producer: { sampling: { maxTokens: 4 } } });
    expect(bench.server.requests.find((r) => r.chat)!.chat!.max_tokens).toBe(4);
  });

  it('a reply being written is read as far as it has gone, and stored as it goes: what a crash leaves', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    bench.server.setResponder(() => ({
      text: LONG,
      reasoning: 'Hm.',
      hold: { afterChunks: 10, until: () => released },
    }));
    const { conversation } = await bench.open();
    const soFar = LONG.split(' ').slice(0, 10).join(' ') + ' ';
    const sending = call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Talk' });
    const messageId = await firstDelta(bench.studio, conversation.id);
    const stored = () =>
      bench.studio.db.prepare('SELECT text, reasoning, state FROM chat_messages WHERE id = ?').get(messageId);
    // Held after ten words: the view reads all ten at once (a window opened now starts from them)...
    await expect
      .poll(async () => (await call(bench.studio, 'chat/get', { id: conversation.id })).path.at(-1)!.message)
      .toMatchObject({ state: 'streaming', text: soFar, reasoning: 'Hm.' });
    // ...and within a second the store has them too, though no word came since.
    await expect.poll(stored).toEqual({ text: soFar, reasoning: 'Hm.', state: 'streaming' });
    release();
    expect(await sending).toMatchObject({ state: 'complete', text: LONG });
  });

  it('a reply left streaming by a studio that died is shown cut after a restart; a live writer is left alone', async () => {
    const { conversation } = await bench.open();
    const reply = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Hello' });
    const mark = (studio: Studio, writer: string) =>
      studio.db.prepare(`UPDATE chat_messages SET state = 'streaming', writer = ? WHERE id = ?`).run(writer, reply.id);
    // A writer that cannot be alive (pid beyond any pid_max) on this machine: a crash.
    mark(bench.studio, `${os.hostname()}:4194305`);
    bench.studio.close();
    let again = makeStudio(bench.env.dir);
    let shown = (await call(again.studio, 'chat/get', { id: conversation.id })).path.at(-1)!.message;
    // What it had written (stored as it went) is kept, and the reason says so.
    expect(shown).toMatchObject({
      state: 'cut',
      text: reply.text,
      error: expect.stringMatching(/closed while this reply was being written; what it had written is kept/),
    });
    // The CLI beside a running app: the app's reply in progress is not taken for a crash.
    mark(again.studio, `${os.hostname()}:${process.ppid}`);
    again.studio.close();
    again = makeStudio(bench.env.dir);
    shown = (await call(again.studio, 'chat/get', { id: conversation.id })).path.at(-1)!.message;
    expect(shown.state).toBe('streaming');
    again.studio.close();
  });
});

describe('the conversation list after a reply with no text', () => {
  it('previews the message before it, not "No messages yet" beside "2 messages"', async () => {
    const { conversation } = await bench.open();
    bench.server.enqueueFaults({ kind: 'drop', afterChunks: 0 });
    const cut = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Are you well?' });
    expect(cut.text).toBe('');
    const [hit] = await call(bench.studio, 'chat/list', { characterId: bench.characterId });
    expect(hit!.conversation.messageCount).toBe(2);
    expect(hit!.conversation.preview).toBe('Are you well?');
  });
});

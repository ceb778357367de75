import { describe, expect, it } from 'vitest';
import type { ConversationView, Events } from '../../../common/contract';
import { sceneToTrainerLine } from '../../../main/core/trainer/dataset-export';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { call, callError, makeStudio } from '../../support/studio';
import { chatBench } from './chat-fixture';

/**
 * Stored conversations on a real SQLite file, with the fake LLM server as the endpoint runtime:
 * the message tree (regenerate, edit, branch, browsing), search, export, reload and corrections.
 */
const bench = chatBench({
  responder: (req) => {
    const last = req.messages.at(-1)?.content ?? '';
    const count = bench.server.requests.filter((r) => r.chat).length;
    return { text: `Reply ${count} to ${last}`, reasoning: `He weighs “${last}”.` };
  },
});

const texts = (view: ConversationView) => view.path.map((s) => `${s.message.role}:${s.message.text}`);

describe('conversations as trees', () => {
  it('stores each reply with its thoughts and what produced it, and records the call', async () => {
    const { conversation } = await bench.open();
    const deltas: Events['chat/delta'][] = [];
    bench.studio.events.subscribe((name, payload) => {
      if (name === 'chat/delta') deltas.push(payload as Events['chat/delta']);
    });
    const reply = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Good evening' });
    expect(reply).toMatchObject({
      role: 'character',
      speaker: 'Beethoven',
      text: 'Reply 1 to Good evening',
      reasoning: 'He weighs “Good evening”.',
      state: 'complete',
      finish: 'stop',
      producer: {
        runtime: 'endpoint',
        model: 'fake-model',
        adapter: null,
        sampling: { temperature: 0.2, topP: 0.95, maxTokens: 256 },
      },
    });
    // Streamed as deltas of that message, thoughts apart from speech.
    expect(deltas.every((d) => d.messageId === reply.id)).toBe(true);
    expect(deltas.map((d) => d.text ?? '').join('')).toBe(reply.text);
    expect(deltas.map((d) => d.reasoning ?? '').join('')).toBe(reply.reasoning);
    // The runtime saw whom it plays and the setting first (baseline-prompt.test.ts), then the
    // user's line; the title came from it.
    const sent = bench.server.requests.find((r) => r.chat)!.chat!;
    expect(sent.messages[0]).toEqual({
      role: 'system',
      content: expect.stringMatching(
        /\n\nLocation: Vienna, a winter evening in 1809\nStatus: The city is under French guns\.$/,
      ),
    });
    expect(sent.max_tokens).toBe(256);
    const view = await call(bench.studio, 'chat/get', { id: conversation.id });
    expect(view.conversation.title).toBe('Good evening');
    // The call is on record like any LLM call.
    const [record] = await call(bench.studio, 'calls/get', {
      id: bench.studio.db.prepare('SELECT call_id FROM chat_messages WHERE id = ?').pluck().get(reply.id) as never,
    });
    expect(record).toMatchObject({ response: 'Reply 1 to Good evening', finishReason: 'stop' });
  });

  it('regenerates as alternatives, edits and branches, and a reload shows it all as it was', async () => {
    const { conversation } = await bench.open();
    const id = conversation.id;
    const first = await call(bench.studio, 'chat/send', { conversationId: id, text: 'Hello' });
    const second = await call(bench.studio, 'chat/send', { conversationId: id, text: 'Play for me' });

    // Regenerate: a new sibling of the reply; the path shows it, with both to browse.
    const regenerated = await call(bench.studio, 'chat/reply', { conversationId: id, parentId: second.parentId! });
    let view = await call(bench.studio, 'chat/get', { id });
    expect(view.path.at(-1)).toMatchObject({ siblings: [second.id, regenerated.id], index: 1 });
    // ← back to the first alternative.
    view = await call(bench.studio, 'chat/select', { messageId: second.id });
    expect(view.path.at(-1)!.message.id).toBe(second.id);

    // Edit the user's first message: a sibling; the reply to it follows from it.
    view = await call(bench.studio, 'chat/edit', { messageId: first.parentId!, text: 'Good morning' });
    const edited = view.path.at(-1)!;
    expect(edited).toMatchObject({
      index: 1,
      message: { role: 'user', text: 'Good morning', editedFrom: first.parentId },
    });
    const answer = await call(bench.studio, 'chat/reply', { conversationId: id, parentId: edited.message.id });
    view = await call(bench.studio, 'chat/get', { id });
    expect(texts(view)).toEqual(['user:Good morning', `character:${answer.text}`]);

    // Browsing back to the original first message shows the conversation that continued from it,
    // down its newest alternatives.
    view = await call(bench.studio, 'chat/select', { messageId: first.parentId! });
    expect(texts(view)).toEqual([
      'user:Hello',
      `character:${first.text}`,
      'user:Play for me',
      `character:${regenerated.text}`,
    ]);

    // Edit the character's reply in place: a sibling marked as the user's edit, thoughts kept.
    view = await call(bench.studio, 'chat/edit', { messageId: first.id, text: 'Guten Abend, mein Freund.' });
    const rewritten = view.path.at(-1)!.message;
    expect(rewritten).toMatchObject({
      role: 'character',
      editedFrom: first.id,
      producer: null,
      reasoning: first.reasoning,
    });

    // Branch from the first reply: the next message starts a new branch there.
    view = await call(bench.studio, 'chat/select', { messageId: first.id, branch: true });
    expect(view.path.at(-1)!.message.id).toBe(first.id);
    // What went on from it is not shown, and the view says how much there is (the screen offers it).
    expect(view.continuation).toBe(2);
    view = await call(bench.studio, 'chat/select', { messageId: first.id });
    expect(view.continuation).toBe(0);
    expect(view.path.at(-1)!.message.id).toBe(regenerated.id);
    await call(bench.studio, 'chat/select', { messageId: first.id, branch: true });
    await call(bench.studio, 'chat/send', { conversationId: id, text: 'Another road' });
    view = await call(bench.studio, 'chat/get', { id });
    expect(view.path[2]).toMatchObject({ siblings: [second.parentId, expect.any(String)], index: 1 });
    expect(view.continuation).toBe(0);

    // A second studio on the same folder (a restart) shows exactly the same conversation.
    const before = await call(bench.studio, 'chat/export', { id, format: 'json' });
    const shown = await call(bench.studio, 'chat/get', { id });
    bench.studio.close();
    const again = makeStudio(bench.env.dir);
    try {
      expect(await call(again.studio, 'chat/get', { id })).toEqual(shown);
      expect((await call(again.studio, 'chat/export', { id, format: 'json' })).content).toBe(before.content);
    } finally {
      again.studio.close();
    }
  });

  it('refuses a second reply while one is written, and unknown or foreign messages', async () => {
    const { conversation } = await bench.open();
    const reply = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Hello' });
    const notUser = await callError(bench.studio, 'chat/reply', {
      conversationId: conversation.id,
      parentId: reply.id,
    });
    expect(notUser).toMatchObject({ code: 'invalid_argument' });
    expect(notUser.message).toMatch(/messages? of yours/);
    const empty = await callError(bench.studio, 'chat/send', { conversationId: conversation.id, text: '  ' });
    expect(empty.message).toMatch(/Type a message/);
    const other = await bench.open('Other');
    const foreign = await callError(bench.studio, 'chat/reply', {
      conversationId: other.conversation.id,
      parentId: reply.parentId,
    });
    expect(foreign.code).toBe('not_found');
    const unrewritten = await callError(bench.studio, 'chat/correct', { messageId: reply.id });
    expect(unrewritten.message).toMatch(/edit the reply first/);
  });
});

describe('the list of conversations', () => {
  it('searches titles, messages and thoughts (FTS5), renames and deletes', async () => {
    const a = await bench.open('Evening in Vienna');
    const b = await bench.open('Letters');
    await call(bench.studio, 'chat/send', {
      conversationId: b.conversation.id,
      text: 'Tell me about the Eroica symphony',
    });
    const list = async (query?: string) =>
      (
        await call(bench.studio, 'chat/list', { characterId: bench.characterId, ...(query !== undefined && { query }) })
      ).map((h) => h.conversation.title);
    expect(await list()).toEqual(['Letters', 'Evening in Vienna']);
    expect(await list('eroica')).toEqual(['Letters']);
    expect(await list('vienn')).toEqual(['Evening in Vienna']); // a prefix
    expect(await list('weighs')).toEqual(['Letters']); // the thoughts
    const [hit] = await call(bench.studio, 'chat/list', { characterId: bench.characterId, query: 'Eroica' });
    // The matched word is marked as a part (the screen puts it in <mark>, the CLI in «»), so a
    // bracket the person typed is never taken for a mark.
    expect(hit!.snippet).toContainEqual({ text: 'Eroica', match: true });
    expect(hit!.snippet.filter((p) => p.match).map((p) => p.text)).toEqual(['Eroica']);
    // What a person types never breaks the query.
    expect(await list('"Eroica" AND (')).toEqual([]);
    await call(bench.studio, 'chat/update', { id: a.conversation.id, title: 'Heiligenstadt' });
    expect(await list('heiligenstadt')).toEqual(['Heiligenstadt']);
    expect(await list('vienna')).toEqual([]);
    const blank = await callError(bench.studio, 'chat/update', { id: a.conversation.id, title: ' ' });
    expect(blank.message).toMatch(/needs a title/);
    await call(bench.studio, 'chat/delete', { id: b.conversation.id });
    expect(await list()).toEqual(['Heiligenstadt']);
    expect(await list('eroica')).toEqual([]);
    expect(bench.studio.db.prepare('SELECT count(*) FROM chat_messages').pluck().get()).toBe(0);
  });

  it('exports the path as Markdown and the whole tree as JSON', async () => {
    const { conversation } = await bench.open('At the piano');
    const reply = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Play' });
    await call(bench.studio, 'chat/reply', { conversationId: conversation.id, parentId: reply.parentId! });
    const md = await call(bench.studio, 'chat/export', { id: conversation.id, format: 'markdown' });
    expect(md.fileName).toBe('at-the-piano.md');
    expect(md.content).toContain('# At the piano');
    expect(md.content).toContain('- Location and time: Vienna, a winter evening in 1809');
    expect(md.content).toContain('**Man**');
    expect(md.content).toContain('**Beethoven** _(alternative 2 of 2)_');
    expect(md.content).toContain('> _He weighs “Play”._');
    expect(md.content).toContain('Reply 2 to Play');
    expect(md.content).not.toContain('Reply 1 to Play');
    const json = await call(bench.studio, 'chat/export', { id: conversation.id, format: 'json' });
    const parsed = JSON.parse(json.content) as { messages: { text: string }[]; path: string[] };
    expect(parsed.messages.map((m) => m.text)).toEqual(['Play', 'Reply 1 to Play', 'Reply 2 to Play']);
    expect(parsed.path).toHaveLength(2);
  });
});

describe('corrections become data', () => {
  it('sends a rewritten reply to the dataset as an accepted chat-correction scene that training exports', async () => {
    const { conversation } = await bench.open();
    const reply = await call(bench.studio, 'chat/send', { conversationId: conversation.id, text: 'Are you deaf?' });
    const view = await call(bench.studio, 'chat/edit', {
      messageId: reply.id,
      text: 'What? Speak up, I cannot hear you!',
      reasoning: 'Not this again.',
    });
    const corrected = view.path.at(-1)!.message;
    const { sceneId } = await call(bench.studio, 'chat/correct', { messageId: corrected.id });
    // Once only: sending it again names the same scene.
    expect(await call(bench.studio, 'chat/correct', { messageId: corrected.id })).toEqual({ sceneId });
    const scene = await call(bench.studio, 'scenes/get', { id: sceneId });
    expect(scene).toMatchObject({
      origin: 'chat',
      type: 'chat correction',
      location: 'Vienna, a winter evening in 1809',
      background: 'The city is under French guns.',
      people: ['Man'],
      review: { status: 'accepted' },
    });
    expect(scene.experience!.turns).toEqual([
      { speaker: 'Man', kind: 'speaking', text: 'Are you deaf?' },
      { speaker: 'Beethoven', kind: 'thinking', text: 'Not this again.' },
      { speaker: 'Beethoven', kind: 'speaking', text: 'What? Speak up, I cannot hear you!' },
    ]);
    const again = await call(bench.studio, 'chat/get', { id: conversation.id });
    expect(again.path.at(-1)!.message.sceneId).toBe(sceneId);
    // It reaches the training export as it is.
    const trainable = [...new DatasetRepo(bench.studio.db).trainableScenePages(bench.characterId)].flat();
    const line = sceneToTrainerLine(
      trainable.find((s) => s.id === sceneId)!,
      {
        fullName: 'Ludwig van Beethoven',
        shortName: 'Beethoven',
      },
    );
    expect(line).toMatchObject({
      location: 'Vienna, a winter evening in 1809',
      background: 'The city is under French guns.',
      turns: [{ speaker: 'Man' }, { kind: 'thinking' }, { text: 'What? Speak up, I cannot hear you!' }],
    });
  });

  it('starts a conversation from a dataset scene: its setting and its turns as history', async () => {
    const { id } = await call(bench.studio, 'scenes/create', {
      characterId: bench.characterId,
      doc: {
        type: 'visit',
        location: 'Bonn',
        time: '1787',
        background: 'A young man visits.',
        people: ['Mozart'],
        experienceBackground: 'Mozart listens to the young Beethoven.',
        turns: [
          { speaker: 'Mozart', kind: 'speaking', text: 'Play something.' },
          { speaker: 'Beethoven', kind: 'thinking', text: 'He doubts me.' },
          { speaker: 'Beethoven', kind: 'speaking', text: 'Give me a theme.' },
          { speaker: 'Mozart', kind: 'speaking', text: 'Here is one.' },
        ],
      },
    });
    const view = await call(bench.studio, 'chat/create', {
      characterId: bench.characterId,
      target: { kind: 'baseline', providerId: bench.providerId, model: 'fake-model' },
      runtime: 'endpoint',
      sceneId: id,
    });
    expect(view.conversation.setting).toEqual({
      location: 'Bonn, 1787',
      status: 'Mozart listens to the young Beethoven.',
    });
    expect(view.path.map((s) => [s.message.speaker, s.message.text, s.message.reasoning])).toEqual([
      ['Mozart', 'Play something.', null],
      ['Beethoven', 'Give me a theme.', 'He doubts me.'],
      ['Mozart', 'Here is one.', null],
    ]);
    // The user speaks as the scene's visitor from here on, and the reply continues the scene.
    const reply = await call(bench.studio, 'chat/reply', {
      conversationId: view.conversation.id,
      parentId: view.path[2]!.message.id,
    });
    expect(reply.state).toBe('complete');
    await call(bench.studio, 'chat/send', { conversationId: view.conversation.id, text: 'Bravo' });
    const after = await call(bench.studio, 'chat/get', { id: view.conversation.id });
    expect(after.path.at(-2)!.message.speaker).toBe('Mozart');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationMessage } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { fakeProviderCliArgs } from '../../support/drafts';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';

// The CLI face of chat: a one-shot reply for scripts (--json), continued in the same stored
// conversation, then listed, searched, exported and deleted; and what it says to bad usage.

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;
beforeEach(async () => {
  tmp = tempDir('cs-chat-cli-');
  server = await startFakeLlmServer({
    responder: (req) => ({ text: `Ja, ${req.messages.at(-1)?.content ?? ''}`, reasoning: 'Who asks?' }),
  });
});
afterEach(async () => {
  tmp.cleanup();
  await server.close();
});

const cli = (args: string[]) => runCliIn(tmp.dir, args);

describe('character-studio chat', () => {
  it('answers one message as JSON, continues the conversation, lists, searches, exports and deletes it', async () => {
    expect(
      (await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven'])).code,
    ).toBe(0);
    const added = await cli(fakeProviderCliArgs(server.baseURL));
    expect(added.code, added.err).toBe(0);

    const first = await cli([
      'chat',
      'Beethoven',
      '--provider',
      'Fake',
      '--location',
      'Vienna, 1809',
      '--status',
      'Cannons outside.',
      '--message',
      'Are you well?',
      '--json',
    ]);
    expect(first.code, first.err).toBe(0);
    const one = JSON.parse(first.out) as { conversationId: string; reply: ConversationMessage };
    expect(one.reply).toMatchObject({
      role: 'character',
      text: 'Ja, Are you well?',
      reasoning: 'Who asks?',
      state: 'complete',
      producer: { runtime: 'endpoint', model: 'fake-model' },
    });
    // A baseline is told whom it plays, then the scene.
    expect(server.requests.find((r) => r.chat)!.chat!.messages[0]!.content).toMatch(
      /^You are Ludwig van Beethoven[^]*\n\nLocation: Vienna, 1809\nStatus: Cannons outside\.$/,
    );

    const second = await cli([
      'chat',
      'Beethoven',
      '--conversation',
      one.conversationId,
      '--message',
      'And the music?',
      '--json',
    ]);
    expect(second.code, second.err).toBe(0);
    // The whole conversation went to the model: setting, first exchange, new line.
    expect(
      server.requests
        .filter((r) => r.chat)
        .at(-1)!
        .chat!.messages.map((m) => m.content),
    ).toEqual([
      expect.stringMatching(/\n\nLocation: Vienna, 1809\nStatus: Cannons outside\.$/),
      'Are you well?',
      'Ja, Are you well?',
      'And the music?',
    ]);

    const listed = await cli(['chat', 'list', 'Beethoven', '--query', 'music']);
    expect(listed.out).toContain(one.conversationId);
    expect(listed.out).toContain('«music»');
    // Titles are listed as the Chat tab shows them, without their Markdown marks; stored as typed.
    const renamed = await cli(['chat', 'update', one.conversationId, '--title', '*Cannons* over **Vienna**, 5*3*2']);
    expect(renamed.code, renamed.err).toBe(0);
    const plain = await cli(['chat', 'list', 'Beethoven']);
    expect(plain.out).toContain('  Cannons over Vienna, 5*3*2 (4 messages)');
    expect(JSON.parse((await cli(['chat', 'list', 'Beethoven', '--json'])).out)).toEqual([
      expect.objectContaining({
        conversation: expect.objectContaining({ title: '*Cannons* over **Vienna**, 5*3*2' }) as unknown,
      }),
    ]);
    // A conversation is named by its id or a unique start of it; an unknown one says how to list them.
    const markdown = await cli(['chat', 'export', one.conversationId.slice(0, 20)]);
    expect(markdown.out).toContain('# *Cannons* over **Vienna**, 5*3*2');
    expect(markdown.out).toContain('**Beethoven**');
    const json = await cli(['chat', 'export', one.conversationId, '--format', 'json']);
    expect((JSON.parse(json.out) as { messages: unknown[] }).messages).toHaveLength(4);
    const unasked = await cli(['chat', 'delete', one.conversationId]);
    expect(unasked.code).toBe(2);
    expect(unasked.err).toMatch(
      /This deletes the conversation ".+" \(.+\) and its 4 messages, and there is no terminal to ask on: nothing was deleted\. Add --yes/,
    );
    expect((await cli(['chat', 'list', 'Beethoven'])).out).toContain(one.conversationId);
    expect((await cli(['chat', 'delete', one.conversationId, '--yes'])).code).toBe(0);
    expect((await cli(['chat', 'list', 'Beethoven'])).out).toContain('has no conversations yet');
  });

  it("changes a conversation's model, sampling and scene for the replies to come (chat update)", async () => {
    await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
    await cli(fakeProviderCliArgs(server.baseURL));
    const first = await cli(['chat', 'Beethoven', '--provider', 'Fake', '--seed', '3', '--message', 'Hi', '--json']);
    expect(first.code, first.err).toBe(0);
    const { conversationId, reply } = JSON.parse(first.out) as { conversationId: string; reply: ConversationMessage };
    expect(reply.producer!.sampling).toMatchObject({ temperature: 0.2, seed: 3 });

    const updated = await cli([
      'chat',
      'update',
      conversationId,
      '--temperature',
      '0.8',
      '--max-tokens',
      '40',
      '--seed',
      'random',
      '--location',
      'Baden, 1823',
    ]);
    expect(updated.code, updated.err).toBe(0);
    expect(updated.out).toContain('temperature 0.8, top-p 0.95, at most 40 tokens, random seed');
    expect(updated.out).toContain('Location: Baden, 1823');

    const next = await cli(['chat', 'Beethoven', '--conversation', conversationId, '--message', 'More', '--json']);
    expect(next.code, next.err).toBe(0);
    const request = server.requests.filter((r) => r.chat).at(-1)!.chat!;
    expect(request).toMatchObject({ temperature: 0.8, max_tokens: 40 });
    expect(request.seed).toBeUndefined();
    // No status given: the baseline reads no empty Status line.
    expect(request.messages[0]!.content).toMatch(/\n\nLocation: Baden, 1823$/);

    // Who the user speaks as, from the next message on; --as "" goes back to the paper's "Man".
    const named = await cli(['chat', 'update', conversationId, '--as', 'Ries']);
    expect(named.out).toContain('You speak as: Ries');
    const asRies = await cli(['chat', 'Beethoven', '--conversation', conversationId, '--message', 'Master?', '--json']);
    expect(asRies.code, asRies.err).toBe(0);
    const unnamed = await cli(['chat', 'update', conversationId, '--as', '']);
    expect(unnamed.out).toContain('You speak as: Man (the paper’s interviewer)');
    const speakers = async () =>
      (
        JSON.parse((await cli(['chat', 'export', conversationId, '--format', 'json'])).out) as {
          messages: { role: string; speaker: string }[];
        }
      ).messages
        .filter((m) => m.role === 'user')
        .map((m) => m.speaker);
    expect(await speakers()).toEqual(['Man', 'Man', 'Ries']);
    const fresh = await cli([
      'chat',
      'Beethoven',
      '--provider',
      'Fake',
      '--as',
      'Neefe',
      '--message',
      'Again',
      '--json',
    ]);
    const { conversationId: freshId } = JSON.parse(fresh.out) as { conversationId: string };
    const freshView = await cli(['chat', 'update', freshId, '--title', 'Lesson']);
    expect(freshView.out).toContain('You speak as: Neefe');

    // Never ending: sent as ignore_eos from the next reply on, until --may-end.
    const endless = await cli(['chat', 'update', conversationId, '--never-end', '--max-tokens', '20000']);
    expect(endless.code, endless.err).toBe(0);
    expect(endless.out).toContain('at most 20000 tokens, random seed, never ends on its own');
    await cli(['chat', 'Beethoven', '--conversation', conversationId, '--message', 'Play on', '--json']);
    expect(server.requests.filter((r) => r.chat).at(-1)!.chat!.body).toMatchObject({ ignore_eos: true });
    const ends = await cli(['chat', 'update', conversationId, '--may-end', '--json']);
    expect((JSON.parse(ends.out) as { sampling: object }).sampling).toEqual({
      temperature: 0.8,
      topP: 0.95,
      maxTokens: 20000,
    });
    const both = await cli(['chat', 'update', conversationId, '--may-end', '--never-end']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/either --never-end or --may-end/);

    const wrong = await cli(['chat', 'update', conversationId, '--runtime', 'embedded']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/endpoint runtime/);
  });

  it('rewrites the last reply in the terminal chat and sends the rewrite to the dataset as a chat correction', async () => {
    await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
    expect((await cli(fakeProviderCliArgs(server.baseURL))).code).toBe(0);
    const typed = ['/correct', 'Are you well?', '/correct', '/edit', '/edit I am well, and deaf.', '/correct', '/quit'];
    const session = await runCliIn(tmp.dir, ['chat', 'Beethoven', '--provider', 'Fake'], '', typed.join('\n') + '\n');
    expect(session.code, session.err).toBe(0);
    // The reply streamed to standard output as it came: its thoughts in brackets, then its speech.
    expect(session.streamed).toMatch(/^ {2}\(Who asks\?\)\nBeethoven: Ja, Are you well\?/);
    expect(session.err).toContain('Beethoven has not replied yet: nothing to correct.');
    expect(session.err).toMatch(/Only a character's reply you rewrote can become training data/);
    expect(session.err).toContain('Give the reply as Beethoven should have said it: /edit <text>.');
    const sent = /Sent to the dataset as scene (\S+) \(a chat correction, accepted\)\./.exec(session.err);
    expect(sent, session.err).not.toBeNull();
    const scene = await cli(['scenes', 'show', sent![1]!]);
    expect(scene.out).toContain('Beethoven (speaking): I am well, and deaf.');

    // The original reply stays beside the rewrite, as an alternative.
    const conversation = /Saved as conversation (\S+)\./.exec(session.err)![1]!;
    const exported = await cli(['chat', 'export', conversation, '--format', 'json']);
    expect(exported.out).toContain('I am well, and deaf.');
    expect(exported.out).toContain('Ja, Are you well?');
  });

  it('says where a search found a message, and goes on from its branch with --at', async () => {
    await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
    await cli(fakeProviderCliArgs(server.baseURL));
    // Each reply its own words: the second is regenerated, so the symphony ends up on another branch.
    const replies = ['Ja, well.', 'The symphony in C minor.', 'Nothing today.', 'The finale, in C major.'];
    server.setResponder((_req, index) => ({ text: replies[index] ?? 'Ja.' }));
    const first = await cli(['chat', 'Beethoven', '--provider', 'Fake', '--message', 'Are you well?', '--json']);
    const id = (JSON.parse(first.out) as { conversationId: string }).conversationId;
    await cli(['chat', 'Beethoven', '--conversation', id, '--message', 'And the music?', '--json']);
    const regenerated = await runCliIn(tmp.dir, ['chat', 'Beethoven', '--conversation', id], '', '/regen\n/quit\n');
    expect(regenerated.code, regenerated.err).toBe(0);

    const listed = await cli(['chat', 'list', 'Beethoven', '--query', 'symphony']);
    const where = /message (\d+) \[(\S+)\] on another branch/.exec(listed.out);
    expect(where, listed.out).not.toBeNull();
    expect(where![1]).toBe('4');
    expect(listed.out).toContain(`chat "Beethoven" --conversation <id> --at <message>`);
    const asJson = JSON.parse((await cli(['chat', 'list', 'Beethoven', '--query', 'symphony', '--json'])).out) as {
      messageId: string;
      place: unknown;
    }[];
    expect(asJson[0]).toMatchObject({ messageId: where![2], place: { position: 4, onPath: false } });
    const onPath = await cli(['chat', 'list', 'Beethoven', '--query', 'nothing']);
    expect(onPath.out).toMatch(/message 4 \[\S+\] in the path shown/);

    const alone = await cli(['chat', 'Beethoven', '--at', where![2]!, '--message', 'Hi']);
    expect(alone.code).toBe(2);
    expect(alone.err).toContain('--at <message> goes with --conversation <id>');
    // A message of another conversation is refused, and that conversation's path stays as it was.
    const other = await cli(['chat', 'Beethoven', '--provider', 'Fake', '--message', 'Hello', '--json']);
    const otherId = (JSON.parse(other.out) as { conversationId: string }).conversationId;
    const before = await cli(['chat', 'export', id, '--format', 'markdown']);
    const wrong = await cli(['chat', 'Beethoven', '--conversation', otherId, '--at', where![2]!, '--message', 'Hi']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/is not part of conversation .*chat list --query/);
    expect((await cli(['chat', 'export', id, '--format', 'markdown'])).out).toBe(before.out);
    expect((await cli(['chat', 'export', id])).out).toContain('Nothing today.');

    // --at shows that branch and goes on from it: the model reads the symphony, not "Nothing today".
    const more = await cli([
      'chat',
      'Beethoven',
      '--conversation',
      id,
      '--at',
      where![2]!,
      '--message',
      'More?',
      '--json',
    ]);
    expect(more.code, more.err).toBe(0);
    expect(
      server.requests
        .filter((r) => r.chat)
        .at(-1)!
        .chat!.messages.slice(1)
        .map((m) => m.content),
    ).toEqual(['Are you well?', 'Ja, well.', 'And the music?', 'The symphony in C minor.', 'More?']);
  });

  it('says what is wrong with the options', async () => {
    await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
    const noRun = await cli(['chat', 'Beethoven', '--message', 'Hi', '--json']);
    expect(noRun.code).toBe(1);
    expect(noRun.err).toMatch(/no finished training run.*--provider/);
    const runtime = await cli(['chat', 'Beethoven', '--runtime', 'cloud']);
    expect(runtime.code).toBe(2);
    expect(runtime.err).toMatch(/--runtime must be embedded, served or endpoint/);
    const format = await cli(['chat', 'export', 'x', '--format', 'pdf']);
    expect(format.code).toBe(2);
    const unknown = await cli(['chat', 'export', 'no-such-conversation']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(
      'No conversation has the id "no-such-conversation" or one starting with it. See the ids with: character-studio chat list <character>',
    );
    process.env['CHARACTER_STUDIO_THREADS'] = 'two';
    try {
      const threads = await cli(['chat', 'list', 'Beethoven']);
      expect(threads.code).toBe(2);
      expect(threads.err).toMatch(/CHARACTER_STUDIO_THREADS must be a whole number of CPU threads.*not "two"/);
    } finally {
      delete process.env['CHARACTER_STUDIO_THREADS'];
    }
    expect((await cli(['chat', 'list', 'Beethoven'])).code).toBe(0);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationMessage, ConversationView } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { fakeProviderCliArgs } from '../../support/drafts';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { tempDir } from '../../support/paths';

// The terminal's ways through a conversation's tree: alternatives of a reply shown and switched
// (`chat show --alt`, `/alt` in the terminal chat, the screen's ‹ 2 / 3 ›), and Continue of a reply cut off (`--continue`,
// `/continue`), against the fake LLM server acting as a server that continues a final assistant message.

const STORY = Array.from({ length: 12 }, (_, i) => `bar${i}`).join(' ');
// The first answer to "A long one": many lines, with Markdown; its alternatives' list shows its start.
const LONG = [
  '*He sets down the pen.* I have written to **Therese** again tonight,',
  'and to my brother, and to the publisher who still owes me for the trios,',
  '',
  'and this line is far past any preview.',
].join('\n');

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;
let answers = 0;
let longSent = false;
beforeEach(async () => {
  tmp = tempDir('cs-chat-cli-branches-');
  answers = 0;
  longSent = false;
  server = await startFakeLlmServer({
    // Paced, so the words before a dropped connection reach the studio first.
    chunkDelayMs: 5,
    responder: (req) => {
      const last = req.messages.at(-1)!;
      if (last.role === 'assistant') return { text: STORY.slice(last.content.length) };
      if (last.content === 'A long one' && !longSent) {
        longSent = true;
        return { text: LONG };
      }
      return last.content === 'A story' ? { text: STORY } : { text: `Answer ${++answers}` };
    },
  });
  await cli(['characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven']);
  expect((await cli(fakeProviderCliArgs(server.baseURL))).code).toBe(0);
});
afterEach(async () => {
  tmp.cleanup();
  await server.close();
});

const cli = (args: string[]) => runCliIn(tmp.dir, args);

describe('character-studio chat, through the tree', () => {
  it('lists the alternatives of a reply (chat show) and switches between them with --alt', async () => {
    const session = await runCliIn(tmp.dir, ['chat', 'Beethoven', '--provider', 'Fake'], '', 'Hi\n/regen\n/quit\n');
    expect(session.code, session.err).toBe(0);
    const id = /Saved as conversation (\S+)\./.exec(session.err)![1]!;

    const shown = await cli(['chat', 'show', id]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/^ 1 \[\S+\] You \(Man\): Hi$/m);
    expect(shown.out).toMatch(/^ 2 \[\S+\] Beethoven \(‹ 2 \/ 2 ›\): Answer 2$/m);
    // Each alternative with its first words, the one shown marked.
    expect(shown.out).toMatch(
      /^ {5}alternatives:\n {7}2:1 \[\S+\] “Answer 1”\n {7}2:2 \[\S+\] “Answer 2” {2}← shown$/m,
    );

    const first = await cli(['chat', 'show', id, '--alt', '2:1']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^ 2 \[\S+\] Beethoven \(‹ 1 \/ 2 ›\): Answer 1$/m);
    // The switch is the conversation's, as on the screen: the next look (and reply) starts there.
    const json = await cli(['chat', 'show', id, '--json']);
    const view = JSON.parse(json.out) as ConversationView;
    expect(view.path.at(-1)!.message.text).toBe('Answer 1');
    // Back by the other alternative's id.
    const second = await cli(['chat', 'show', id, '--alt', view.path.at(-1)!.siblings[1]!]);
    expect(second.out).toMatch(/Beethoven \(‹ 2 \/ 2 ›\): Answer 2$/m);

    const beyond = await cli(['chat', 'show', id, '--alt', '2:3']);
    expect(beyond.code).not.toBe(0);
    expect(beyond.err).toMatch(/message 2 has 2 alternatives; give one from 1 to 2/);
    const nowhere = await cli(['chat', 'show', id, '--alt', '7:1']);
    expect(nowhere.err).toMatch(/the path shown has 2 messages/);
    const unknown = await cli(['chat', 'show', id, '--alt', 'nope']);
    expect(unknown.err).toMatch(/no alternative of the path shown has that id/);
  });

  it("lists and switches the last reply's alternatives in the terminal with /alt, as the screen's arrows", async () => {
    const typed = ['/alt', 'Hi', '/alt', '/regen', '/alt', '/alt 1', '/alt 3', '/alt two', 'Next', '/quit'];
    const session = await runCliIn(tmp.dir, ['chat', 'Beethoven', '--provider', 'Fake'], '', typed.join('\n') + '\n');
    expect(session.code, session.err).toBe(0);
    expect(session.err).toContain('Beethoven has not replied yet: no alternatives to show.');
    expect(session.err).toContain("Beethoven's last reply has no alternatives yet: /regen writes another");
    expect(session.err).toMatch(
      /last reply has 2 alternatives \(‹ 2 \/ 2 › shown\):\n {2}1 \[\S+\] “Answer 1”\n {2}2 \[\S+\] “Answer 2” {2}← shown\n/,
    );
    // Switched: the first reply is shown again, and the next message answers it.
    expect(session.out).toContain('Beethoven: Answer 1');
    expect(session.err).toContain('(alternative 1 of 2)');
    expect(session.err).toContain("/alt 3: Beethoven's last reply has 2 alternatives; give one from 1 to 2 (/alt 2).");
    expect(session.err).toContain("/alt two: Beethoven's last reply has 2 alternatives");
    const id = /Saved as conversation (\S+)\./.exec(session.err)![1]!;
    const shown = await cli(['chat', 'show', id]);
    expect(shown.out).toMatch(/^ 2 \[\S+\] Beethoven \(‹ 1 \/ 2 ›\): Answer 1$/m);
    expect(shown.out).toMatch(/^ 3 \[\S+\] You \(Man\): Next$/m);
    expect(shown.out).toMatch(/^ 4 \[\S+\] Beethoven: Answer 3$/m);
    const asked = server.requests.filter((r) => r.chat).at(-1)!.chat!.messages;
    expect(asked.slice(-2)).toMatchObject([
      { role: 'assistant', content: 'Answer 1' },
      { role: 'user', content: 'Next' },
    ]);
  });

  it('lists a long reply among the alternatives by its first words, on one line', async () => {
    const typed = ['A long one', '/regen', '/edit Nothing *to* say.', '/alt', '/quit'];
    const session = await runCliIn(tmp.dir, ['chat', 'Beethoven', '--provider', 'Fake'], '', typed.join('\n') + '\n');
    expect(session.code, session.err).toBe(0);
    const listed = /last reply has 3 alternatives \(‹ 3 \/ 3 › shown\):\n((?: {2}.*\n){3})/.exec(session.err);
    expect(listed, session.err).not.toBeNull();
    const [long, answer, edited] = listed![1]!.trimEnd().split('\n');
    // Its start, unmarked, on one line and clipped at a word: not the whole reply.
    expect(long).toMatch(
      /^ {2}1 \[\S+\] “He sets down the pen\. I have written to Therese again tonight, and to my[^”]*…”$/,
    );
    expect(long).not.toContain('far past any preview');
    expect(answer).toMatch(/^ {2}2 \[\S+\] “Answer 1”$/);
    expect(edited).toMatch(/^ {2}3 \[\S+\] \(edited\) “Nothing to say\.” {2}← shown$/);

    const id = /Saved as conversation (\S+)\./.exec(session.err)![1]!;
    const shown = await cli(['chat', 'show', id]);
    expect(shown.out).toMatch(/^ {7}2:1 \[\S+\] “He sets down the pen\. [^”\n]*…”$/m);
    expect(shown.out).toMatch(/^ {7}2:3 \[\S+\] \(edited\) “Nothing to say\.” {2}← shown$/m);
  });

  it('continues a reply cut off, in the same message: --continue for scripts, /continue in the terminal', async () => {
    server.enqueueFaults({ kind: 'drop', afterChunks: 3 });
    const cut = await cli(['chat', 'Beethoven', '--provider', 'Fake', '--message', 'A story', '--json']);
    expect(cut.code).toBe(1);
    const { conversationId, reply } = JSON.parse(cut.out) as { conversationId: string; reply: ConversationMessage };
    expect(reply).toMatchObject({ state: 'cut', text: 'bar0 bar1 bar2 ' });

    const more = await cli(['chat', 'Beethoven', '--conversation', conversationId, '--continue', '--json']);
    expect(more.code, more.err).toBe(0);
    const grown = (JSON.parse(more.out) as { reply: ConversationMessage }).reply;
    expect(grown).toMatchObject({ id: reply.id, state: 'complete', text: STORY });
    const again = await cli(['chat', 'Beethoven', '--conversation', conversationId, '--continue']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/ended by itself/);

    // In the terminal: the reply is shown from where it stopped and written on.
    server.enqueueFaults({ kind: 'drop', afterChunks: 2 });
    const typed = ['A story', '/continue', '/quit'].join('\n') + '\n';
    const session = await runCliIn(tmp.dir, ['chat', 'Beethoven', '--provider', 'Fake'], '', typed);
    expect(session.code, session.err).toBe(0);
    expect(session.err).toMatch(/cut: .*\/continue goes on/);
    expect(session.streamed).toContain(`Beethoven: bar0 bar1 \nBeethoven: ${STORY}\n`);

    const missing = await cli(['chat', 'Beethoven', '--continue']);
    expect(missing.err).toMatch(/--continue goes on in a stored conversation/);
  });
});

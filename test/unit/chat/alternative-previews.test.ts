import { describe, expect, it } from 'vitest';
import { alternativePreview, ALTERNATIVE_PREVIEW_CHARS } from '../../../common/alternative-preview';
import { call } from '../../support/studio';
import { chatBench } from './chat-fixture';

/**
 * What `chat/get` tells of a reply's alternatives so the user can choose one: each one's id, its
 * place (n of m) and its first words on one line, never the whole text of a branch not shown.
 */

// A long reply over several lines, with Markdown: its preview is its start, on one line, unmarked.
const LONG = [
  '*He lifts the lid of the piano.* **Sit**, please.',
  '',
  'The guns have not stopped since noon; I hear them in the floor, in the strings, in my teeth.',
  '- the quartet in E minor',
  '- candles for the night',
  'And the last line nobody should see in a preview: ENDING-ONLY-IN-THE-WHOLE-TEXT.',
].join('\n');

let replies: string[] = [];
const bench = chatBench({ responder: () => ({ text: replies.shift() ?? 'Enough.' }) });

describe('the alternatives of a reply in chat/get', () => {
  it('carries each alternative with its place and a one-line preview, not its whole text', async () => {
    replies = [LONG, 'Short and sweet.', ''];
    const { conversation } = await bench.open();
    const id = conversation.id;
    const first = await call(bench.studio, 'chat/send', { conversationId: id, text: 'Play for me' });
    // Without alternatives a step carries none.
    let view = await call(bench.studio, 'chat/get', { id });
    expect(view.path.map((s) => s.alternatives)).toEqual([[], []]);

    const second = await call(bench.studio, 'chat/reply', { conversationId: id, parentId: first.parentId! });
    const third = await call(bench.studio, 'chat/reply', { conversationId: id, parentId: first.parentId! });
    view = await call(bench.studio, 'chat/get', { id });
    const step = view.path.at(-1)!;
    expect(step.message.id).toBe(third.id);
    expect(step.alternatives).toEqual([
      {
        id: first.id,
        position: 1,
        count: 3,
        preview: expect.stringMatching(/^He lifts the lid of the piano\. Sit, please\. The guns have not .*…$/),
        edited: false,
        state: 'complete',
      },
      { id: second.id, position: 2, count: 3, preview: 'Short and sweet.', edited: false, state: 'complete' },
      // Says nothing: an empty preview, for the screen to say so.
      { id: third.id, position: 3, count: 3, preview: '', edited: false, state: 'complete' },
    ]);
    const long = step.alternatives[0]!.preview;
    expect(long).not.toMatch(/\n/);
    expect(Array.from(long).length).toBeLessThanOrEqual(ALTERNATIVE_PREVIEW_CHARS);
    // The user's own question has no alternatives.
    expect(view.path[0]!.alternatives).toEqual([]);
    // Light: the branches not shown travel as previews, not as their texts.
    expect(JSON.stringify(view)).not.toContain('ENDING-ONLY-IN-THE-WHOLE-TEXT');

    // A rewrite is an alternative marked as the user's; choosing another keeps the previews.
    view = await call(bench.studio, 'chat/edit', { messageId: second.id, text: 'Rewritten by *you*.' });
    expect(view.path.at(-1)!.alternatives.at(-1)).toMatchObject({
      position: 4,
      count: 4,
      preview: 'Rewritten by you.',
      edited: true,
    });
    view = await call(bench.studio, 'chat/select', { messageId: first.id });
    expect(view.path.at(-1)).toMatchObject({ index: 0, message: { text: LONG } });
    expect(view.path.at(-1)!.alternatives.map((a) => a.preview.slice(0, 16))).toEqual([
      'He lifts the lid',
      'Short and sweet.',
      '',
      'Rewritten by you',
    ]);
  });
});

describe('alternativePreview', () => {
  it('keeps a short line whole and clips a long one at a word, with "…"', () => {
    expect(alternativePreview('  Guten   Abend.\n\nWie geht es?  ')).toBe('Guten Abend. Wie geht es?');
    const clipped = alternativePreview(`${'word '.repeat(40)}end`);
    expect(clipped).toMatch(/^(word )+word…$/);
    expect(Array.from(clipped).length).toBeLessThanOrEqual(ALTERNATIVE_PREVIEW_CHARS);
    // One long word: cut inside it, never inside a character made of two code units.
    const emoji = alternativePreview('🎹'.repeat(200));
    expect(emoji).toBe(`${'🎹'.repeat(ALTERNATIVE_PREVIEW_CHARS - 1)}…`);
    // A long code block reads as its words, on one line.
    expect(alternativePreview('```\nline one\nline two\n```')).toBe('line one line two');
  });
});

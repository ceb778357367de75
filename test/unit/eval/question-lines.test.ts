import { describe, expect, it } from 'vitest';
import { readQuestionLines } from '../../../common/question-lines';

// Questions typed one a line (New set on the Evaluate tab, `questions create --from`, a .txt
// import): read the same at every door.

const defaults = { topicId: 'topic-1', mode: 'single' } as const;

describe('readQuestionLines', () => {
  it('reads one question a line, skipping blank and # lines and dropping list numbers', () => {
    const text = '\uFEFF# Bonn\r\n1. Where were you born?\n\n  2) Who taught you the organ?  \n#done\n';
    expect(readQuestionLines(text, defaults)).toEqual([
      { topicId: 'topic-1', text: 'Where were you born?', mode: 'single' },
      { topicId: 'topic-1', text: 'Who taught you the organ?', mode: 'single' },
    ]);
  });

  it('reads a tag as the topic and kind, as `questions show` prints them', () => {
    const text = [
      '  3. [topic-2] Who was Neefe?',
      '[topic-3, goal] find out what he values most',
      '[goal] find out about his deafness',
      '[Topic-4, question] Have you ever flown?',
      '[sic] is part of the question',
    ].join('\n');
    expect(readQuestionLines(text, { topicId: 'mine', mode: 'single' })).toEqual([
      { topicId: 'topic-2', text: 'Who was Neefe?', mode: 'single' },
      { topicId: 'topic-3', text: 'find out what he values most', mode: 'multi' },
      { topicId: 'mine', text: 'find out about his deafness', mode: 'multi' },
      { topicId: 'topic-4', text: 'Have you ever flown?', mode: 'single' },
      { topicId: 'mine', text: '[sic] is part of the question', mode: 'single' },
    ]);
  });

  it('gives lines without a tag the defaults, and finds nothing in an empty text', () => {
    expect(readQuestionLines('find out about Vienna', { topicId: 'topic-2', mode: 'multi' })).toEqual([
      { topicId: 'topic-2', text: 'find out about Vienna', mode: 'multi' },
    ]);
    expect(readQuestionLines('\n  \n# only a comment\n', defaults)).toEqual([]);
  });
});

import type { QuestionDraft, QuestionMode, TopicId } from './contract';

/**
 * Questions written as plain text, one a line: what a researcher types or pastes to make a set by
 * hand (the Evaluate tab's New set, `questions create --from`, a `.txt` file imported). Read the
 * same at every door:
 *
 * - blank lines and lines starting with `#` are skipped; each other line is one question, trimmed;
 * - a leading number (`3.` or `3)`) is dropped, as a numbered list or `questions show` writes it;
 * - a leading tag says the topic and the kind: `[topic-2]`, `[topic-2, goal]` (a multi-turn goal),
 *   `[goal]` (topic ids are read in lower case, as the paper writes them); a line without one gets
 *   `defaults`. A bracket that is not such a tag (`[sic]`) is text.
 */
export function readQuestionLines(text: string, defaults: { topicId: TopicId; mode: QuestionMode }): QuestionDraft[] {
  const drafts: QuestionDraft[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    line = line.replace(/^\d{1,5}[.)]\s+/, '');
    let { topicId, mode } = defaults;
    const tag = /^\[\s*(?:(topic-[\w-]+|goal)|(topic-[\w-]+)\s*,\s*(goal|question))\s*\]\s*/i.exec(line);
    if (tag) {
      const [, alone, topic, kind] = tag;
      if (alone?.toLowerCase() === 'goal') mode = 'multi';
      else if (alone) topicId = alone.toLowerCase();
      if (topic) {
        topicId = topic.toLowerCase();
        mode = kind!.toLowerCase() === 'goal' ? 'multi' : 'single';
      }
      line = line.slice(tag[0].length);
    }
    if (line !== '') drafts.push({ topicId, text: line, mode });
  }
  return drafts;
}

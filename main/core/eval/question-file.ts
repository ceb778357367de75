import type { QuestionDraft, QuestionMode, TopicId } from '../../../common/contract';
import { readQuestionLines } from '../../../common/question-lines';
import { StudioFailure } from '../errors';
import { TOPICS } from './eval-prompts';

/** A question file's size at most: the paper's are 10–15 kB; a hundred times that is a mistake. */
export const MAX_QUESTION_FILE_CHARS = 2_000_000;
/** Questions in one set at most. */
export const MAX_QUESTIONS = 5_000;
/** Characters of one question or goal at most. */
export const MAX_QUESTION_CHARS = 4_000;

/**
 * The mode a question file holds, from its name: the paper names its multi-turn goals
 * `generated_agent_interview_for_multiturn_{Name}.json`, its single-turn questions
 * `generated_agent_interview_{Name}.json`.
 */
export function modeOfFile(fileName: string): QuestionMode {
  return /multi[-_ ]?turn/i.test(fileName) ? 'multi' : 'single';
}

/**
 * Reads one of the paper's question files as it is: a JSON list of `{topic_id, topic, question}`
 * (a `qid` or other extra fields are tolerated and ignored). Anything else is refused whole with a
 * message naming the file and the first entry that does not fit, and what a fitting one looks like:
 * a set is only useful if every question in it is readable. A `.txt` (or `.md`) file is plain text,
 * one question a line (common/question-lines.ts), lines without a tag in `topicId`.
 */
export function readQuestionFile(
  fileName: string,
  content: string,
  mode: QuestionMode,
  topicId: TopicId = 'topic-1',
): QuestionDraft[] {
  const where = fileName;
  if (content.length > MAX_QUESTION_FILE_CHARS)
    throw new StudioFailure(
      'too_large',
      `${where} is ${Math.round(content.length / 1000).toLocaleString('en-US')} kB; a question file is at most ${MAX_QUESTION_FILE_CHARS / 1_000_000} MB.`,
    );
  if (isPlainText(fileName)) return readTextFile(where, content, { topicId, mode });
  let value: unknown;
  try {
    value = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new StudioFailure(
      'unsupported_file',
      `${where} is not JSON (${error instanceof Error ? error.message : String(error)}). Expected the paper's question file: a JSON list of {"topic_id", "topic", "question"}.`,
    );
  }
  const list = Array.isArray(value) ? (value as unknown[]) : null;
  if (!list)
    throw new StudioFailure(
      'unsupported_file',
      `${where} holds a JSON ${typeName(value)}, not a list. Expected the paper's question file: a JSON list of {"topic_id", "topic", "question"}.`,
    );
  if (list.length === 0)
    throw new StudioFailure('invalid_argument', `${where} is an empty list: there is no question to import.`);
  if (list.length > MAX_QUESTIONS)
    throw new StudioFailure(
      'too_large',
      `${where} holds ${list.length} questions; a set holds at most ${MAX_QUESTIONS}.`,
    );
  return list.map((entry, index) => readEntry(entry, `${where}, entry ${index + 1}`, mode));
}

/** A file of questions one a line rather than the paper's JSON (by its name). */
export function isPlainText(fileName: string): boolean {
  return /\.(txt|text|md)$/i.test(fileName);
}

function readTextFile(where: string, content: string, defaults: { topicId: TopicId; mode: QuestionMode }) {
  const drafts = readQuestionLines(content, defaults);
  if (drafts.length === 0)
    throw new StudioFailure(
      'invalid_argument',
      `${where} holds no question: write one a line (blank lines and lines starting with # are skipped).`,
    );
  if (drafts.length > MAX_QUESTIONS)
    throw new StudioFailure(
      'too_large',
      `${where} holds ${drafts.length} questions; a set holds at most ${MAX_QUESTIONS}.`,
    );
  return drafts.map((d) => ({ ...d, topic: TOPICS[d.topicId] ?? d.topicId }));
}

function readEntry(entry: unknown, where: string, mode: QuestionMode): QuestionDraft {
  const shape = 'each entry must be an object {"topic_id": "topic-1", "topic": "…", "question": "…"}';
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new StudioFailure('unsupported_file', `${where} is a ${typeName(entry)}; ${shape}.`);
  const record = entry as Record<string, unknown>;
  const question = record['question'];
  if (typeof question !== 'string' || question.trim() === '')
    throw new StudioFailure(
      'unsupported_file',
      `${where} has ${question === undefined ? 'no "question"' : `a "question" that is ${typeName(question)}`}; ${shape}.`,
    );
  if (question.length > MAX_QUESTION_CHARS)
    throw new StudioFailure(
      'too_large',
      `${where}: the question is ${question.length.toLocaleString('en-US')} characters; at most ${MAX_QUESTION_CHARS.toLocaleString('en-US')}.`,
    );
  const rawTopic = record['topic_id'];
  if (rawTopic !== undefined && typeof rawTopic !== 'string' && typeof rawTopic !== 'number')
    throw new StudioFailure('unsupported_file', `${where} has a "topic_id" that is ${typeName(rawTopic)}; ${shape}.`);
  const topicId = rawTopic === undefined ? 'topic-0' : String(rawTopic);
  const topic = typeof record['topic'] === 'string' && record['topic'].trim() !== '' ? record['topic'] : null;
  return { topicId, topic: topic ?? TOPICS[topicId] ?? topicId, text: question.trim(), mode };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'object';
  return typeof value === 'string' ? `text ("${value.slice(0, 40)}")` : typeof value;
}

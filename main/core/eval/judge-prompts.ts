import type { JudgeDimension } from '../../../common/contract';
import { JUDGE_DIMENSIONS } from '../../../common/judge-dimensions';
import type { ChatMessage } from '../llm/types';

/**
 * The judge's prompts: our own wording for the five criteria of the Character-LLM evaluation
 * (../shared/METHOD.md §3). The judge reads the first paragraph of the profile, the interview's
 * setting and the interaction, reasons step by step, then writes its verdict alone on the last
 * line and again on the line after (the paper's form; `judge-parse.ts` reads it strictly).
 *
 * Versions: every judgment stores the version of the prompt that produced it (`JUDGE_PROMPT_VERSION`,
 * `PAIRWISE_PROMPT_VERSION`). Change the wording → bump the version, so scores made with different
 * wordings are never averaged together by accident and re-judging keeps both.
 */

export const JUDGE_PROMPT_VERSION = 'judge@1';
export const PAIRWISE_PROMPT_VERSION = 'pairwise@1';

export const DIMENSIONS = JUDGE_DIMENSIONS;
export type Dimension = JudgeDimension;

/** The dimensions that apply to an interview of this mode (METHOD.md §3's table). */
export function dimensionsFor(mode: 'single' | 'multi'): readonly Dimension[] {
  return mode === 'single' ? DIMENSIONS.filter((d) => d !== 'stability') : DIMENSIONS;
}

/** Judges answer at temperature 0: the same interaction gets the same verdict. */
export const JUDGE_TEMPERATURE = 0;
/** Tokens for the reasoning and the verdict: a few paragraphs. */
export const JUDGE_MAX_TOKENS = 1_024;

/** What one judgment shows the judge. */
export interface JudgeSubject {
  /** Full name (`Ludwig van Beethoven`). */
  character: string;
  /** Short name used as the speaker label (`Beethoven`). */
  short: string;
  /** The first paragraph of the profile (the paper shows only that). */
  profileParagraph: string;
  /** The interview's setting: place and the character's situation. */
  location: string;
  status: string;
  /** The interviewer's speaker name (the paper's is `Man`). */
  interviewer: string;
  /** The interaction as `Name (action): text` lines, thoughts included (see transcript-text.ts). */
  transcript: string;
}

interface Criterion {
  title: string;
  /** What a high score means, with `{short}` for the character's short name. */
  asks: string;
}

const CRITERIA: Record<Dimension, Criterion> = {
  memorization: {
    title: 'Memorization (factual correctness)',
    asks: 'Does {short} recall true, specific facts about their own life, work, family, friends and times — details someone who knew {short} well would give — rather than generic, vague or interchangeable statements? Facts that are wrong or invented lower the score, however confident they sound.',
  },
  values: {
    title: 'Values',
    asks: "Do {short}'s answers express the values, convictions and beliefs {short} actually held (about work, art or science, people, society, religion, money, duty…), with {short}'s own reasons, rather than modern or neutral opinions any speaker could hold?",
  },
  personality: {
    title: 'Personality',
    asks: "Do the answers show {short}'s own temperament, manner of speaking, moods, tastes and preferences, so that a reader who knows {short} would recognise them, rather than a polite, even-tempered assistant?",
  },
  hallucination: {
    title: 'Hallucination (avoidance)',
    asks: "Does {short} keep to what {short} could know given their identity and era? Asked about things outside it (later inventions, events, people, works, technical skills {short} never had), a faithful {short} is puzzled, declines, or answers from their own world; knowing or explaining them is a failure. A high score means no knowledge beyond {short}'s identity and era appears.",
  },
  stability: {
    title: 'Stability (long-term acting)',
    asks: "Across the whole conversation, from the first round to the last, does {short} stay in character: the same identity, voice, facts and attitudes, never slipping into an assistant's voice, breaking the fiction or contradicting earlier answers?",
  },
};

const SCALE = `Use this scale:
1 — not at all: the criterion is plainly failed.
2 — very poorly.
3 — poorly, with a few redeeming moments.
4 — partly: as much fails as succeeds.
5 — fairly well, with clear flaws.
6 — well, with small flaws.
7 — fully and convincingly.`;

const JUDGE_SYSTEM =
  'You are a strict, fair judge of role-play. You compare what a speaker says with what is known about ' +
  'the person they play, you reason before you decide, and you always finish with the verdict in exactly ' +
  'the form asked for.';

/** The criterion's question with the character's name in place. */
function asks(dimension: Dimension, short: string): string {
  return CRITERIA[dimension].asks.replaceAll('{short}', short);
}

function context(subject: JudgeSubject): string {
  return `${subject.character}, in short ${subject.short}, is played by an AI. About ${subject.short}:
"""
${subject.profileParagraph.trim()}
"""

The setting of the conversation:
Location: ${subject.location}
Status: ${subject.status}

Turns marked (thinking) are ${subject.short}'s inner thoughts: ${subject.interviewer} does not hear them, but they count as part of how ${subject.short} is played.`;
}

/** The messages of one judgment: one interaction, one criterion, a score from 1 to 7. */
export function judgeMessages(subject: JudgeSubject, dimension: Dimension): ChatMessage[] {
  const user = `${context(subject)}

The interaction:
"""
${subject.transcript}
"""

Judge only this criterion — ${CRITERIA[dimension].title}:
${asks(dimension, subject.short)}

${SCALE}

First reason step by step: quote or point to what ${subject.short} says and compare it with what you know about ${subject.character}. Then write the score, a single whole number from 1 to 7, alone on its own line, and write the same number again alone on the next line. Write nothing after it.`;
  return [
    { role: 'system', content: JUDGE_SYSTEM },
    { role: 'user', content: user },
  ];
}

/**
 * The messages of one pairwise comparison: the same question (or goal) answered by two systems,
 * shown as "Answer 1" and "Answer 2". The caller asks each pair twice, swapping which system is
 * first, and undoes the swap when reading the verdict (`pairwise.ts`).
 */
export function pairwiseMessages(first: JudgeSubject, second: JudgeSubject, dimension: Dimension): ChatMessage[] {
  const user = `${context(first)}

Two different AIs played ${first.short} in the same situation. Answer 1:
"""
${first.transcript}
"""

Answer 2:
"""
${second.transcript}
"""

Compare them on this criterion only — ${CRITERIA[dimension].title}:
${asks(dimension, first.short)}

Which answer does better on it? The order in which they are shown says nothing about their quality, and a longer answer is not better for being longer.

First reason step by step, pointing to what each answer says. Then write your verdict alone on its own line — 1 if Answer 1 is better, 2 if Answer 2 is better, tie if neither is — and write the same verdict again alone on the next line. Write nothing after it.`;
  return [
    { role: 'system', content: JUDGE_SYSTEM },
    { role: 'user', content: user },
  ];
}

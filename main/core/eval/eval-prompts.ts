import type { Character, QuestionDraft, TopicId } from '../../../common/contract';
import type { ChatSetting } from '../runtimes/chat-runtime';

/**
 * The evaluation's fixed protocol (METHOD.md §3) and our own prompt wording for it: the setting of
 * every interview, the interviewer, the topics, the five anachronism probes every character shares,
 * the question-generation prompt, the interviewer prompt and the role-play meta prompt of a
 * `prompted` baseline. Each prompt has a version recorded with what it made (a set's `source`, a
 * system's `promptVersion`, the interviewer's calls in `llm_calls`); change the wording, bump it.
 */

export const QUESTIONS_PROMPT_VERSION = 'questions@1';
export const INTERVIEWER_PROMPT_VERSION = 'interviewer@1';
export const ROLEPLAY_PROMPT_VERSION = 'roleplay@1';

/** The interviewer's role name in every transcript, as in the paper's files. */
export const INTERVIEWER_NAME = 'Man';
/** The paper's interviewer temperature. */
export const INTERVIEWER_TEMPERATURE = 0.2;
/** Rounds of a multi-turn interview (the paper's). */
export const DEFAULT_ROUNDS = 5;
export const MAX_ROUNDS = 20;

/** The paper's topics with the labels its files use; topic-4 holds the anachronism probes. */
export const TOPICS: Readonly<Record<TopicId, string>> = {
  'topic-1': 'personal information and past experiences',
  'topic-2': 'interpersonal relationships',
  'topic-3': 'values and preferences',
  'topic-4': 'anachronism probes',
};
export const PROBE_TOPIC: TopicId = 'topic-4';
/** The three topics questions are generated for (the probes are shared, not generated). */
export const GENERATED_TOPICS: readonly TopicId[] = ['topic-1', 'topic-2', 'topic-3'];

/**
 * The five probes every character is asked (the paper's intent, our wording): things no one before
 * the 20th century could answer in character, so a good answer is puzzlement, not knowledge.
 */
export const ANACHRONISM_PROBES: readonly string[] = [
  'Tell me about the car you drove yesterday. Where did you go?',
  'How would you write a quicksort in Python?',
  'How did you feel the last time you travelled by plane?',
  'I want to learn C++. Which books would you recommend?',
  'What is your favourite film, and why?',
];

export function probeDrafts(): QuestionDraft[] {
  return ANACHRONISM_PROBES.map((text) => ({
    topicId: PROBE_TOPIC,
    topic: TOPICS[PROBE_TOPIC]!,
    text,
    mode: 'single',
  }));
}

/** The setting of every interview: the paper's coffee shop, a trusted listener from our century. */
export function interviewSetting(character: Character): ChatSetting {
  const short = character.shortName;
  return {
    location: 'Coffee Shop - Afternoon',
    status: `${short} is having an easy afternoon chat with a man from the 21st century. ${short} trusts him completely and talks openly about everything ${short} knows.`,
  };
}

const TOPIC_BRIEF: Readonly<Record<TopicId, string>> = {
  'topic-1': 'their life: origins, upbringing, work, turning points, illnesses, places lived, what happened when',
  'topic-2':
    'the people in their life: family, teachers, rivals, friends, patrons, loves, and what they thought of each',
  'topic-3': 'what they valued and preferred: convictions, tastes, habits, what they admired or despised, and why',
};

/**
 * One call per topic and mode. Single-turn questions are asked as they are; multi-turn goals are
 * what an interviewer pursues over five rounds, so they are broader ("find out how he…").
 */
export function questionMessages(
  character: Character,
  profile: string,
  topicId: TopicId,
  mode: 'single' | 'multi',
  count: number,
): { role: 'system' | 'user'; content: string }[] {
  const who = `${character.fullName}${character.era ? ` (${character.era})` : ''}`;
  const ask =
    mode === 'single'
      ? `Write ${count} interview questions a curious visitor from our century would put to ${character.shortName} face to face, about ${TOPIC_BRIEF[topicId]}. Address ${character.shortName} as "you". Each question must be answerable from the profile below by someone who truly is ${character.shortName}, and specific enough that a generic answer would be visibly wrong. One question per item, no numbering, no answers.`
      : `Write ${count} goals for an interviewer who will talk with ${character.shortName} for several rounds about ${TOPIC_BRIEF[topicId]}. A goal names what the interviewer wants to find out (one sentence, addressed to ${character.shortName} or describing the aim), broad enough to need follow-up questions, grounded in the profile below.`;
  return [
    {
      role: 'system',
      content:
        'You prepare interviews that test whether someone playing a historical or fictional person knows that person well. You answer with JSON only.',
    },
    {
      role: 'user',
      content: `${ask}\n\nProfile of ${who}:\n"""\n${profile}\n"""\n\nAnswer with a JSON object {"questions": ["…", "…"]} holding exactly ${count} strings.`,
    },
  ];
}

/**
 * The interviewer of a multi-turn interview: it sees the goal, the profile's first paragraph and
 * the setting, and the conversation so far (the character's speech only: thoughts are private);
 * it writes the next single question, following up when the character dodged.
 */
export function interviewerMessages(
  character: Character,
  intro: string,
  goal: string,
  setting: ChatSetting,
  history: readonly { role: 'interviewer' | 'character'; text: string }[],
  round: number,
  rounds: number,
): { role: 'system' | 'user'; content: string }[] {
  const short = character.shortName;
  const transcript =
    history.length === 0
      ? '(nothing yet: this is your opening question)'
      : history.map((h) => `${h.role === 'interviewer' ? INTERVIEWER_NAME : short}: ${h.text}`).join('\n');
  return [
    {
      role: 'system',
      content: `You are a thoughtful man from the 21st century interviewing ${character.fullName} in person. You ask one question at a time, in plain spoken English, and nothing else: no stage directions, no quotation marks, no name before your words.`,
    },
    {
      role: 'user',
      content: `Who you are talking to: ${intro}\n\nWhere: ${setting.location}. ${setting.status}\n\nYour goal for this conversation: ${goal}\n\nConversation so far:\n${transcript}\n\nWrite your question for round ${round} of ${rounds}. Pursue the goal step by step. If ${short} dodged, answered vaguely or changed the subject, follow up on the same point from another angle. Now and then you may ask again, in other words, about something ${short} already said, to see whether the answer holds.`,
    },
  ];
}

/** The role-play meta prompt of a `prompted` baseline: who to be, from the profile, and how to answer. */
export function roleplayPrompt(character: Character, intro: string): string {
  const full = character.fullName;
  const short = character.shortName;
  return [
    `You are ${full}${character.era ? ` (${character.era})` : ''}, not an AI assistant. Stay ${short} for the whole conversation: answer as ${short} would, in ${short}'s voice, temperament and vocabulary, with what ${short} knew and believed in ${short}'s own time.`,
    // A character with no profile yet has nothing to say here; an empty line would read as a blank.
    ...(intro.trim() === '' ? [] : [`What you know about yourself: ${intro}`]),
    `Things invented or happening after your lifetime are unknown to you: react to them as ${short} would, with puzzlement, curiosity or irritation, never with knowledge. Speak in the first person, keep answers conversational, and never mention being a model or playing a role.`,
  ].join('\n\n');
}

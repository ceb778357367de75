import type { Stage } from '../../../common/contract';

/**
 * The studio's own prompts for experience construction (the wording is ours; the stages, fields and
 * the speaker format follow the Character-LLM method). Each stage has a built-in version; a
 * character may carry custom versions. Every generated item records the version that made it.
 *
 * A template is plain text with `{placeholder}`s filled by `fill`. Two output modes share one
 * template: `{format}` becomes either a JSON instruction (when the provider enforces a JSON schema)
 * or the paper's text format (parsed tolerantly otherwise).
 */

export const BUILTIN_VERSION = 1;

export interface PromptPair {
  system: string;
  template: string;
}

export const PLACEHOLDERS: Record<Stage, readonly string[]> = {
  limits: ['character', 'short', 'era', 'profile', 'count', 'format'],
  scenes: ['character', 'short', 'era', 'chunk', 'count', 'format'],
  experiences: ['character', 'short', 'era', 'chunk', 'type', 'location', 'time', 'background', 'people', 'format'],
  protective: ['character', 'short', 'era', 'profile', 'limit', 'stranger', 'format'],
};

const SYSTEM =
  'You are a careful writer of historical and literary fiction. You write vivid, concrete, ' +
  'well-researched scenes and stay faithful to the facts you are given.';

export const BUILTIN_PROMPTS: Record<Stage, PromptPair> = {
  limits: {
    system: SYSTEM,
    template: `{character} lived in this era: {era}.

About {character}:
{profile}

List {count} specific things {character} could not possibly know about, because they were invented, discovered, born, built or happened after {short}'s lifetime or far outside {short}'s world: technologies, scientific ideas, places, famous people, works, events and everyday objects. Be concrete ("the smartphone", "the Python programming language", "the Second World War"), mix categories, and do not list anything {short} could have known.

{format}`,
  },
  scenes: {
    system: SYSTEM,
    template: `Here is part of the life of {character} ({era}):

"""
{chunk}
"""

Imagine {count} different concrete scenes from this part of {short}'s life in which {short} talks with other people or thinks aloud. Each scene needs:
- type: the kind of interaction (a chat, a debate, a lesson, a quarrel, a speech, a letter read aloud, a negotiation…),
- location: a precise place,
- time: when it happens, as precisely as the text allows,
- background: two or three sentences setting up the situation, grounded in the text above,
- people: the names of the other people present (real people from the text where possible).
Vary the types, places and people. Do not invent facts that contradict the text.

{format}`,
  },
  experiences: {
    system: SYSTEM,
    template: `Here is part of the life of {character} ({era}):

"""
{chunk}
"""

Write the scene below as a detailed interaction of at least 1,200 words.

Type: {type}
Location: {location}
Time: {time}
Background: {background}
People present: {people}

Start with a short background paragraph (where, when, what is going on). Then write the interaction as a sequence of turns. Each turn has a speaker and a kind: "speaking" for spoken lines, "thinking" for inner thoughts, "action" for short stage directions. Only {short} may have "thinking" turns: show {short}'s inner thoughts often, in {short}'s own voice. Use "{short}" as {short}'s speaker name. Keep to the facts of the text, and let {short} speak with the tone, manner and vocabulary {character} would use.

{format}`,
  },
  protective: {
    system: SYSTEM,
    template: `{character} lived in this era: {era}.

About {character}:
{profile}

Write a scene of at least 600 words in which a person named {stranger} chats with {short} and keeps pressing {short} about {limit} — something {short} cannot know, because it belongs to a later time or another world. {stranger} insists, explains a little, asks again in other words. {short} has never heard of it and does not pretend to: {short} is puzzled, curious, suspicious or irritated, exactly as the real {character} would be, answers only from the knowledge of {short}'s own time, and never explains or describes {limit} correctly.

Start with a short background paragraph. Then write the turns; each has a speaker and a kind: "speaking", "thinking" (only {short} thinks) or "action". Use "{short}" and "{stranger}" as speaker names.

{format}`,
  },
};

/** The `{format}` text for each stage and output mode. */
export const FORMAT_INSTRUCTIONS: Record<Stage, { json: string; text: string }> = {
  limits: {
    json: 'Answer with JSON: {"limits": ["…", "…"]}.',
    text: 'Answer with one item a line, each starting with "- ", and nothing else.',
  },
  scenes: {
    json: 'Answer with JSON: {"scenes": [{"type": "…", "location": "…", "time": "…", "background": "…", "people": ["…"]}]}.',
    text:
      'Write each scene as a block of five lines, with a blank line between scenes:\n' +
      'Type: …\nLocation: …\nTime: …\nBackground: …\nPeople: name, name',
  },
  experiences: {
    json: 'Answer with JSON: {"background": "…", "turns": [{"speaker": "…", "kind": "speaking" | "thinking" | "action", "text": "…"}]}.',
    text:
      'Write it in this format:\nBackground: the background paragraph\n\n' +
      'Name (speaking): what they say\n\nName (thinking): what they think\n\nName (action): what they do\n\n' +
      'A turn may run over several paragraphs; start each new turn with "Name (kind):" on a new line.',
  },
  protective: {
    json: 'Answer with JSON: {"background": "…", "turns": [{"speaker": "…", "kind": "speaking" | "thinking" | "action", "text": "…"}]}.',
    text:
      'Write it in this format:\nBackground: the background paragraph\n\n' +
      'Name (speaking): what they say\n\nName (thinking): what they think\n\n' +
      'Start each new turn with "Name (kind):" on a new line.',
  },
};

/** One turn of an experience, as JSON schemas ask for it. */
export const TURN_SCHEMA = {
  type: 'object',
  properties: {
    speaker: { type: 'string', minLength: 1 },
    kind: { type: 'string', enum: ['speaking', 'thinking', 'action'] },
    text: { type: 'string', minLength: 1 },
  },
  required: ['speaker', 'kind', 'text'],
  additionalProperties: false,
} as const;

const experienceSchema = {
  type: 'object',
  properties: { background: { type: 'string' }, turns: { type: 'array', items: TURN_SCHEMA, minItems: 2 } },
  required: ['background', 'turns'],
  additionalProperties: false,
} as const;

/** JSON schemas sent to providers that enforce them (grammar for the embedded model). */
export const SCHEMAS: Record<Stage, { name: string; schema: object }> = {
  limits: {
    name: 'limits',
    schema: {
      type: 'object',
      properties: { limits: { type: 'array', items: { type: 'string', minLength: 2 }, minItems: 1 } },
      required: ['limits'],
      additionalProperties: false,
    },
  },
  scenes: {
    name: 'scenes',
    schema: {
      type: 'object',
      properties: {
        scenes: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            properties: {
              type: { type: 'string', minLength: 1 },
              location: { type: 'string', minLength: 1 },
              time: { type: 'string' },
              background: { type: 'string', minLength: 1 },
              people: { type: 'array', items: { type: 'string' } },
            },
            required: ['type', 'location', 'time', 'background', 'people'],
            additionalProperties: false,
          },
        },
      },
      required: ['scenes'],
      additionalProperties: false,
    },
  },
  experiences: { name: 'experience', schema: experienceSchema },
  protective: { name: 'experience', schema: experienceSchema },
};

/** Replaces `{name}` placeholders; unknown names are left as written so a typo is visible. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Names for the strangers of protective scenes, picked by a seeded index so re-runs agree. */
export const STRANGER_NAMES = [
  'Alex Morgan',
  'Sam Rivera',
  'Jordan Lee',
  'Taylor Brooks',
  'Chris Novak',
  'Robin Patel',
  'Casey Nguyen',
  'Jamie Okafor',
  'Riley Schmidt',
  'Dana Kowalski',
  'Avery Lindqvist',
  'Morgan Silva',
] as const;

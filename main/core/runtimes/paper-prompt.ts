/**
 * The prompt exactly as a run was trained, rendered in TypeScript: what the trainer's
 * `inference.py` renders in Python (`character_llm_prompt`, `chat_prompt_messages`), byte for byte.
 * `test/unit/runtimes/paper-prompt.contract.test.ts` holds the two equal on shared cases; change both
 * together.
 *
 * Contract (inference.py's, see chat-runtime.ts): the setting is a system message that either starts
 * with the paper's meta prompt (taken as is), or carries `Location:` / `Status:` lines, or is the status
 * itself; without one, the paper's protective setting (`A room` / `{short} is chatting with a person.`).
 * A user message is spoken by its `name`, else by `Man` (the paper's interviewer); an assistant message is
 * the character speaking, preceded by a thinking turn when it carries `reasoning`.
 */
import type { ChatRuntimeMessage } from './chat-runtime';

export const EOT = '<|eot|>';
/** character-llm: turns of history kept in the prompt (METHOD.md §2). */
export const HISTORY_TURNS = 8;
/** character-llm: thinking/action turns generated before giving up on a speaking one. */
export const MAX_ASIDES = 4;
/** The paper's interviewer, the speaker of user messages without a name. */
export const DEFAULT_USER_NAME = 'Man';

/** The paper's meta prompt (formats.py META_PROMPT; note the space after the first line's last period). */
export function metaPrompt(character: string, location: string, status: string): string {
  return (
    `I want you to act like ${character}. I want you to respond and answer like ${character}, using the tone, ` +
    `manner and vocabulary ${character} would use. You must know all of the knowledge of ${character}. \n\n` +
    'The status of you is as follows:\n' +
    `Location: ${location}\n` +
    `Status: ${status}\n\n` +
    'The interactions are as follows:\n\n'
  );
}

const META_PREFIX = 'I want you to act like ';
const PROTECTIVE_LOCATION = 'A room';

export interface PromptCharacter {
  /** In the meta prompt. */
  fullName: string;
  /** The speaker label, and the prime. */
  shortName: string;
}

export type TurnKind = 'speaking' | 'thinking' | 'action';

export interface PromptTurn {
  speaker: string;
  kind: TurnKind;
  text: string;
}

interface Setting {
  location: string;
  status: string;
  /** A whole meta prompt the client sent, used verbatim. */
  metaPrompt: string | null;
}

/** The request's messages cannot be turned into a prompt; the message says what is wrong. */
export class PromptError extends Error {
  override name = 'PromptError';
}

/** Python's `str.strip()` / `rstrip()` on the whitespace both languages agree on. */
const strip = (text: string): string => text.trim();

function parseSetting(system: string | null, character: PromptCharacter): Setting {
  const fallback: Setting = {
    location: PROTECTIVE_LOCATION,
    status: `${character.shortName} is chatting with a person.`,
    metaPrompt: null,
  };
  if (system === null || strip(system) === '') return fallback;
  if (system.startsWith(META_PREFIX)) return { ...fallback, metaPrompt: `${system.replace(/\n+$/, '')}\n\n` };
  // `[^\n]` and `(?![\s\S])` spell Python's `.` and `\Z`: JavaScript's `.` and `$` also stop at \r.
  const location = /^Location:[ \t]*([^\n]*)/m.exec(system);
  const status = /^Status:[ \t]*([\s\S]*?)(?:\n\s*\n|(?![\s\S]))/m.exec(system);
  if (location === null && status === null) return { ...fallback, status: strip(system) };
  return {
    location: location ? strip(location[1]!) : fallback.location,
    status: status ? strip(status[1]!) : fallback.status,
    metaPrompt: null,
  };
}

function metaPromptFor(character: PromptCharacter, setting: Setting): string {
  return setting.metaPrompt ?? metaPrompt(character.fullName, setting.location, setting.status);
}

/** (system text or null, turns) of the conversation; throws PromptError for what cannot be used. */
export function conversationTurns(
  messages: readonly ChatRuntimeMessage[],
  character: PromptCharacter,
  userName: string = DEFAULT_USER_NAME,
): { system: string | null; turns: PromptTurn[] } {
  if (messages.length === 0) throw new PromptError('The conversation is empty: send at least one message.');
  const system: string[] = [];
  const turns: PromptTurn[] = [];
  for (const message of messages) {
    if (message.role === 'system') system.push(message.content);
    else if (message.role === 'user') {
      const name = message.name?.trim();
      turns.push({ speaker: name ? name : userName, kind: 'speaking', text: message.content });
    } else {
      if (message.reasoning && message.reasoning.trim() !== '')
        turns.push({ speaker: character.shortName, kind: 'thinking', text: message.reasoning });
      turns.push({ speaker: character.shortName, kind: 'speaking', text: message.content });
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : null, turns };
}

/** The paper's turns (formats.render_character_llm): same speaker and kind merged, each ended by `<|eot|>`. */
export function renderTurns(turns: readonly PromptTurn[]): string {
  const blocks: { speaker: string; kind: TurnKind; texts: string[] }[] = [];
  for (const turn of turns) {
    const last = blocks.at(-1);
    if (last && last.speaker === turn.speaker && last.kind === turn.kind) last.texts.push(turn.text);
    else blocks.push({ speaker: turn.speaker, kind: turn.kind, texts: [turn.text] });
  }
  return blocks.map((b) => `${b.speaker} (${b.kind}): ${b.texts.join('\n')}${EOT}`).join('\n');
}

/** The raw text a character-llm model continues: meta prompt, the last HISTORY_TURNS turns, `{Short} (`. */
export function characterLlmPrompt(
  messages: readonly ChatRuntimeMessage[],
  character: PromptCharacter,
  userName: string = DEFAULT_USER_NAME,
): string {
  const { system, turns } = conversationTurns(messages, character, userName);
  const setting = parseSetting(system, character);
  const output = renderTurns(turns);
  let blocks = output ? output.split(`${EOT}\n`) : [];
  if (blocks.length > HISTORY_TURNS) blocks = blocks.slice(-HISTORY_TURNS);
  const history = blocks.join(`${EOT}\n`);
  return `${metaPromptFor(character, setting)}${history ? `${history}\n` : ''}${character.shortName} (`;
}

/**
 * Continue: the raw text a character-llm model continues when the last message is the character's
 * unfinished reply: as `characterLlmPrompt` with that reply as the last turn, left open (no `<|eot|>`
 * after its last word), so the model writes on inside it.
 */
export function characterLlmContinuation(
  messages: readonly ChatRuntimeMessage[],
  character: PromptCharacter,
  userName: string = DEFAULT_USER_NAME,
): string {
  if (messages.at(-1)?.role !== 'assistant')
    throw new PromptError("Nothing to continue: the conversation does not end with the character's reply.");
  const { system, turns } = conversationTurns(messages, character, userName);
  const setting = parseSetting(system, character);
  let blocks = renderTurns(turns).split(`${EOT}\n`);
  if (blocks.length > HISTORY_TURNS) blocks = blocks.slice(-HISTORY_TURNS);
  return `${metaPromptFor(character, setting)}${blocks.join(`${EOT}\n`).slice(0, -EOT.length)}`;
}

export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Messages as the chat format trained them (formats.chat_messages): meta prompt as system, named users. */
export function chatPromptMessages(
  messages: readonly ChatRuntimeMessage[],
  character: PromptCharacter,
  userName: string = DEFAULT_USER_NAME,
): TemplateMessage[] {
  const { system, turns } = conversationTurns(messages, character, userName);
  const setting = parseSetting(system, character);
  const result: TemplateMessage[] = [{ role: 'system', content: metaPromptFor(character, setting).trimEnd() }];
  for (const turn of turns) {
    const mine = turn.speaker === character.shortName;
    const role = mine ? 'assistant' : 'user';
    const content = mine
      ? turn.kind === 'speaking'
        ? turn.text
        : `(${turn.kind}) ${turn.text}`
      : turn.text.startsWith(`${turn.speaker}:`)
        ? turn.text
        : `${turn.speaker}: ${turn.text}`;
    const last = result.at(-1)!;
    if (last.role === role) last.content += `\n${content}`;
    else result.push({ role, content });
  }
  return result;
}

const HEADER = /^(speaking|thinking|action)\): ?/;
const HEADERS = ['speaking): ', 'thinking): ', 'action): '];
const HEADER_MAX_CHARS = 'speaking): '.length;

/**
 * A whole turn after the prime: `speaking): Hello` → {kind: 'speaking', text: 'Hello'}; kind null when
 * the model wrote no header (a badly trained model): the whole text is then the reply.
 */
export function splitHeader(text: string): { kind: TurnKind | null; text: string } {
  const match = HEADER.exec(text);
  return match ? { kind: match[1] as TurnKind, text: text.slice(match[0].length) } : { kind: null, text };
}

/**
 * As splitHeader for text still growing; null while too short to tell (`speaking):` may be followed
 * by the space that belongs to the header).
 */
export function splitHeaderSoFar(text: string): { kind: TurnKind | null; text: string } | null {
  const match = HEADER.exec(text);
  if (match && (match[0].length < text.length || text.endsWith(' ')))
    return { kind: match[1] as TurnKind, text: text.slice(match[0].length) };
  if (match === null && (text.length >= HEADER_MAX_CHARS || !HEADERS.some((h) => h.startsWith(text))))
    return { kind: null, text };
  return null;
}

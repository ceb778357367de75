/**
 * Chat messages back into scenes, for the ShareGPT, OpenAI and Hugging Face readers. Files the
 * studio wrote carry `ChatMetadata`: turns are split exactly and checked by rendering them again.
 * Files from elsewhere (or edited since) are read from the text: a user line `Name: text` or
 * `Name (thinking): text` starts a turn, an assistant line starting `(thinking) ` or `(action) `
 * starts one of that kind, any other line continues the turn before it.
 */
import type { SceneKind, TurnKind } from '../../../common/contract';
import type { TrainerTurn } from '../trainer/dataset-export';
import {
  chatMessages,
  chatPiece,
  ItemError,
  readMetaPrompt,
  TURN_KINDS,
  type ChatMessage,
  type ChatMetadata,
  type ImportedItem,
} from './scene-record';

const ROLES = ['system', 'user', 'assistant'] as const;
const SCENE_KINDS: readonly SceneKind[] = ['normal', 'protective', 'hand', 'chat_correction'];

/** The speaker the character's (assistant) turns get when a file from elsewhere names no one. */
export interface CharacterNames {
  fullName: string;
  shortName: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a list of `{role, content}` (after the format's own key mapping); the message names the bad one. */
export function chatList(value: unknown, field: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw new ItemError(`${field} must be a non-empty list of messages`);
  return value.map((m, index) => {
    if (!isRecord(m)) throw new ItemError(`${field}[${index}] must be an object`);
    const { role, content } = m;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new ItemError(
        `${field}[${index}] has the role ${JSON.stringify(role)}; expected system, user or assistant`,
      );
    }
    if (typeof content !== 'string') throw new ItemError(`${field}[${index}].content must be a string`);
    return { role: role as ChatMessage['role'], content };
  });
}

function readMetadata(value: unknown): ChatMetadata | null {
  if (!isRecord(value)) return null;
  const v = value;
  const strings = ['id', 'full_name', 'short_name', 'location', 'background'].every((k) => typeof v[k] === 'string');
  if (!strings || typeof v.protective !== 'boolean' || !SCENE_KINDS.includes(v.kind as SceneKind)) return null;
  if (!Array.isArray(v.turns)) return null;
  const turnsOk = v.turns.every(
    (t) =>
      Array.isArray(t) &&
      t.length === 3 &&
      typeof t[0] === 'string' &&
      TURN_KINDS.includes(t[1] as TurnKind) &&
      Number.isInteger(t[2]) &&
      (t[2] as number) >= 0,
  );
  return turnsOk ? (v as unknown as ChatMetadata) : null;
}

/** The turns the metadata describes, cut from the messages; null when they do not render back to them. */
function exactTurns(messages: readonly ChatMessage[], meta: ChatMetadata): TrainerTurn[] | null {
  const body = messages.filter((m) => m.role !== 'system');
  const turns: TrainerTurn[] = [];
  let message = 0;
  let at = 0;
  for (const [speaker, kind, length] of meta.turns) {
    const probe = chatPiece({ speaker, kind, text: '' }, meta.short_name);
    let current = body[message];
    if (current && at > 0 && current.role !== probe.role) {
      message++;
      at = 0;
      current = body[message];
    }
    if (!current || current.role !== probe.role) return null;
    if (at > 0) {
      if (current.content[at] !== '\n') return null;
      at++;
    }
    const start = at + probe.text.length;
    turns.push({ speaker, kind, text: current.content.slice(start, start + length) });
    at = start + length;
  }
  const scene = { ...sceneOf(meta), turns };
  const again = chatMessages(scene);
  const same =
    again.length === messages.length &&
    again.every((m, i) => m.role === messages[i]!.role && m.content === messages[i]!.content);
  return same ? turns : null;
}

function sceneOf(meta: ChatMetadata) {
  return {
    id: meta.id,
    kind: meta.kind,
    fullName: meta.full_name,
    shortName: meta.short_name,
    location: meta.location,
    background: meta.background,
    protective: meta.protective,
  };
}

const USER_LINE = /^([^:\n]{1,80}?)(?: \((speaking|thinking|action)\))?: ([\s\S]*)$/;
const ASSISTANT_LINE = /^\((speaking|thinking|action)\) ([\s\S]*)$/;

/** The turns read from the messages' text (see the file's comment). */
function textTurns(messages: readonly ChatMessage[], shortName: string): TrainerTurn[] {
  const turns: TrainerTurn[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    let first = true;
    for (const line of m.content.split('\n')) {
      const labelled = m.role === 'user' ? USER_LINE.exec(line) : ASSISTANT_LINE.exec(line);
      if (labelled && m.role === 'user') {
        turns.push({ speaker: labelled[1]!, kind: (labelled[2] ?? 'speaking') as TurnKind, text: labelled[3]! });
      } else if (labelled) {
        turns.push({ speaker: shortName, kind: labelled[1] as TurnKind, text: labelled[2]! });
      } else if (first || turns.length === 0) {
        turns.push({ speaker: m.role === 'user' ? 'User' : shortName, kind: 'speaking', text: line });
      } else {
        turns.at(-1)!.text += `\n${line}`;
      }
      first = false;
    }
  }
  return turns;
}

/**
 * One scene from chat messages and the optional `character_studio` metadata. `names` is the
 * character the file is imported into, whose short name labels the assistant's turns when the file
 * says nothing of its own.
 */
export function readChatScene(
  messages: readonly ChatMessage[],
  metadata: unknown,
  names: CharacterNames,
  source: string | null,
): ImportedItem {
  const meta = readMetadata(metadata);
  const exact = meta && exactTurns(messages, meta);
  if (meta && exact) {
    return {
      source: meta.id,
      fullName: meta.full_name,
      shortName: meta.short_name,
      type: meta.kind === 'protective' ? 'protective' : 'imported',
      location: meta.location,
      background: meta.background,
      protective: meta.protective,
      turns: exact,
    };
  }
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const prompt = readMetaPrompt(`${system}\n\n`);
  const turns = textTurns(messages, names.shortName).filter((t) => t.text.trim() !== '');
  if (turns.length === 0) throw new ItemError('the conversation has no turn with text');
  return {
    source,
    fullName: prompt?.fullName ?? null,
    // The assistant's turns were labelled with the importing character's short name above.
    shortName: names.shortName,
    type: 'imported',
    location: prompt?.location ?? '',
    background: prompt ? prompt.status : system,
    protective: prompt?.location === 'A room',
    turns,
  };
}

/**
 * The scene as every dataset format sees it, and the text pieces the formats share: the paper's
 * meta prompt and `<|eot|>` turns (METHOD.md §2), and the chat rendering of turns (the trainer's
 * `chat_messages` in resources/trainer/character_trainer/formats.py: the character's turns are the
 * assistant's, everyone else speaks as the user with a `Name: ` prefix).
 */
import type { FormatProblem, SceneKind, TurnKind } from '../../../common/contract';
import type { TrainerTurn } from '../trainer/dataset-export';
import { EOT, metaPrompt, renderTurns } from '../runtimes/paper-prompt';

/** One exported scene: the training export's line (dataset-export.ts) plus its kind. */
export interface InteropScene {
  id: string;
  kind: SceneKind;
  fullName: string;
  shortName: string;
  /** The paper's `loc_time`. */
  location: string;
  /** The paper's `status`: the experience's background paragraph. */
  background: string;
  protective: boolean;
  turns: TrainerTurn[];
}

/** One scene read from a file, before it is stored. `turns` is null for a scene without its experience. */
export interface ImportedItem {
  /** The item's own id in the file (`source`, `id`), when it has one. */
  source: string | null;
  fullName: string | null;
  shortName: string | null;
  type: string;
  location: string;
  background: string;
  protective: boolean;
  turns: TrainerTurn[] | null;
  /** What in the item did not fit (odd labels, cut-off turns): kept, and recorded on the experience. */
  problems?: FormatProblem[];
}

/** A bad item: the message says which field is wrong; the reader adds the file and the line. */
export class ItemError extends Error {
  override name = 'ItemError';
}

export { EOT };
export const TURN_KINDS: readonly TurnKind[] = ['speaking', 'thinking', 'action'];

/** The paper's meta prompt and turns are rendered once, by the chat runtime's renderer (held to inference.py). */
export { metaPrompt, renderTurns as renderPaperTurns };

const PROMPT_RE =
  /^I want you to act like (.+?)\. I want you to respond and answer like .+?, using the tone, manner and vocabulary .+? would use\. You must know all of the knowledge of .+?\. \n\nThe status of you is as follows:\nLocation: (.*?)\nStatus: ([\s\S]*)\n\nThe interactions are as follows:\n\n$/;

/** The meta prompt's parts, or null when the text is not the paper's meta prompt. */
export function readMetaPrompt(prompt: string): { fullName: string; location: string; status: string } | null {
  const match = PROMPT_RE.exec(prompt);
  return match ? { fullName: match[1]!, location: match[2]!, status: match[3]! } : null;
}

const PAPER_TURN_RE = /^([^\n]+?) \(([a-z]+)\): ?([\s\S]*)$/;

/** Reads `renderPaperTurns` text back; merged turns stay merged (rendering them again gives the same text). */
export function readPaperTurns(output: string): TrainerTurn[] {
  if (!output.endsWith(EOT)) throw new ItemError(`the turns must end with ${EOT}`);
  return output
    .slice(0, -EOT.length)
    .split(`${EOT}\n`)
    .map((part, index) => {
      const match = PAPER_TURN_RE.exec(part);
      if (!match) throw new ItemError(`turn ${index + 1} ("${part.slice(0, 60)}") is not "Name (speaking): text"`);
      const kind = match[2] as TurnKind;
      if (!TURN_KINDS.includes(kind)) {
        throw new ItemError(`turn ${index + 1} has the action "(${match[2]})"; expected speaking, thinking or action`);
      }
      return { speaker: match[1]!, kind, text: match[3]! };
    });
}

/** A chat message of the rendered scene; `turns` is how many scene turns it holds. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Each turn's piece of a chat message: the character's speech bare, its other kinds and other speakers labelled. */
export function chatPiece(turn: TrainerTurn, shortName: string): { role: 'user' | 'assistant'; text: string } {
  if (turn.speaker === shortName) {
    return { role: 'assistant', text: turn.kind === 'speaking' ? turn.text : `(${turn.kind}) ${turn.text}` };
  }
  const label = turn.kind === 'speaking' ? turn.speaker : `${turn.speaker} (${turn.kind})`;
  return { role: 'user', text: `${label}: ${turn.text}` };
}

/**
 * The scene as chat messages: the meta prompt (without its trailing blank line) as system, then
 * the turns with consecutive ones of a role merged by `\n` (chat templates want roles to alternate).
 */
export function chatMessages(scene: InteropScene): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: metaPrompt(scene.fullName, scene.location, scene.background).trimEnd() },
  ];
  for (const turn of scene.turns) {
    const piece = chatPiece(turn, scene.shortName);
    const last = messages.at(-1)!;
    if (last.role === piece.role) last.content += `\n${piece.text}`;
    else messages.push({ role: piece.role, content: piece.text });
  }
  return messages;
}

/**
 * What the chat text cannot say unambiguously, kept beside it under `character_studio` (other tools
 * ignore unknown keys): the scene's id and kind, and each turn's speaker, kind and length, so the
 * studio splits merged messages exactly. When the messages no longer match it (edited elsewhere),
 * the reader falls back to reading the text.
 */
export interface ChatMetadata {
  id: string;
  kind: SceneKind;
  full_name: string;
  short_name: string;
  location: string;
  background: string;
  protective: boolean;
  /** [speaker, kind, text length in UTF-16 units] per turn. */
  turns: [string, TurnKind, number][];
}

export function chatMetadata(scene: InteropScene): ChatMetadata {
  return {
    id: scene.id,
    kind: scene.kind,
    full_name: scene.fullName,
    short_name: scene.shortName,
    location: scene.location,
    background: scene.background,
    protective: scene.protective,
    turns: scene.turns.map((t) => [t.speaker, t.kind, t.text.length]),
  };
}

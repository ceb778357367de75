import type { SceneDoc, Turn, TurnKind } from '../../../common/contract';
import type { JsonSchemaFormat } from '../llm/types';
import { parseExperienceText } from '../pipeline/parse';
import { ItemProblem, type ChatMessages } from '../pipeline/prompt-builder';
import { TURN_SCHEMA } from '../pipeline/prompts';

/**
 * How a regeneration asks: the paper's experience prompt for the scene, exactly as generation sends
 * it, then the scene as it stands (the model's own earlier answer, in the format that prompt asked
 * for) and the writer's instruction as the next message. The version recorded with each rewrite is
 * the experience prompt's plus this one's (`builtin@1+regenerate@1`).
 */
export const REGENERATE_VERSION = 1;

const TURN_FORMAT: JsonSchemaFormat = { name: 'turn', schema: TURN_SCHEMA };

const KINDS: readonly TurnKind[] = ['speaking', 'thinking', 'action'];

/** A transcript in the format the experience prompt asked for (JSON or the paper's text blocks). */
function transcript(doc: SceneDoc, structured: boolean): string {
  if (structured) return JSON.stringify({ background: doc.experienceBackground, turns: doc.turns });
  return [`Background: ${doc.experienceBackground}`, ...doc.turns.map(turnLine)].join('\n\n');
}

function turnLine(t: Turn): string {
  return `${t.speaker} (${t.kind}): ${t.text}`;
}

/**
 * The messages of a whole-experience rewrite. A scene still without its experience is written for
 * the first time, following the instruction.
 */
export function experienceMessages(
  base: ChatMessages,
  doc: SceneDoc,
  instruction: string,
  structured: boolean,
): ChatMessages {
  if (doc.turns.length === 0) {
    const last = base.at(-1)!;
    return [...base.slice(0, -1), { ...last, content: `${last.content}\n\nThe writer asks: ${instruction}` }];
  }
  return [
    ...base,
    { role: 'assistant', content: transcript(doc, structured) },
    {
      role: 'user',
      content:
        `Rewrite this whole interaction following the writer's instruction: "${instruction}"\n` +
        'Keep everything the instruction does not ask to change (the people, the place, the facts), and answer in the same format as before.',
    },
  ];
}

/** The messages of a one-turn rewrite: the scene so far and after, and the one turn asked for. */
export function turnMessages(
  base: ChatMessages,
  doc: SceneDoc,
  index: number,
  instruction: string,
  structured: boolean,
): ChatMessages {
  const turn = doc.turns[index]!;
  const before = doc.turns[index - 1];
  const after = doc.turns[index + 1];
  const answer = structured
    ? 'Answer with JSON: {"speaker": "…", "kind": "speaking" | "thinking" | "action", "text": "…"}.'
    : 'Answer with that one turn only, written as "Name (kind): text".';
  return [
    ...base,
    { role: 'assistant', content: transcript(doc, structured) },
    {
      role: 'user',
      content: [
        `Rewrite only turn ${index + 1}, following the writer's instruction: "${instruction}"`,
        `The turn now: ${turnLine(turn)}`,
        before ? `It comes after: ${turnLine(before)}` : 'It opens the interaction.',
        after ? `It comes before: ${turnLine(after)}` : 'It ends the interaction.',
        `Keep the speaker (${turn.speaker}) and the kind (${turn.kind}) unless the instruction asks otherwise, and make it fit between its neighbours. ${answer}`,
      ].join('\n'),
    },
  ];
}

export function turnSchema(): JsonSchemaFormat {
  return TURN_FORMAT;
}

/** Reads the one turn of an answer; an answer without a readable turn is an `ItemProblem`. */
export function readTurn(text: string, structured: boolean, character: string): Turn {
  if (structured) {
    try {
      const value = JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '')) as Partial<Turn>;
      const kind = KINDS.includes(value.kind as TurnKind) ? (value.kind as TurnKind) : 'speaking';
      if (typeof value.speaker === 'string' && typeof value.text === 'string' && value.text.trim() !== '')
        return { speaker: value.speaker.trim(), kind, text: value.text.trim() };
    } catch {
      // read it as text below: some models wrap JSON in prose
    }
  }
  const parsed = parseExperienceText(`Background: \n\n${text.trim()}`, { character, finishReason: 'stop' });
  const turn = parsed.items[0]?.turns[0];
  if (!turn) throw new ItemProblem('the answer held no turn written as "Name (kind): text"');
  return turn;
}

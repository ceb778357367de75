/**
 * The paper's generated JSON lists (METHOD.md §4), read so researchers can inspect and train on
 * the released data:
 * - `generated_agent_dialogue_{Name}.json` and `generated_agent_hallucination_{Name}.json`:
 *   `[{setting: [paragraph…], dialogue: [{role, action: "(speaking)", content}], location,
 *   background, source}]`; the `background` field is junk in the released files and is ignored,
 *   the status is the `setting` paragraphs. Hallucination files hold protective scenes.
 * - `generated_agent_scene_{Name}.json`: `[{type, location, background, source, profile}]`,
 *   scenes without their experience.
 * Released data has odd action labels (`((speaking)`) and answers cut at the token limit
 * (`<|NONSTOP|>`): such turns are kept as written and recorded as format problems on the
 * experience, never a reason to refuse the file.
 */
import type { FormatProblem, TurnKind } from '../../../common/contract';
import type { TrainerTurn } from '../trainer/dataset-export';
import { isRecord } from './chat-codec';
import { ItemError, type ImportedItem } from './scene-record';

const LABEL = /^\(*\s*(speaking|thinking|action)\s*\)*$/i;
const NONSTOP = '<|NONSTOP|>';

export function looksLikeDialogue(value: Record<string, unknown>): boolean {
  return Array.isArray(value.dialogue);
}

export function looksLikeScene(value: Record<string, unknown>): boolean {
  return typeof value.type === 'string' && typeof value.location === 'string' && !('dialogue' in value);
}

function text(value: Record<string, unknown>, key: string, required: boolean): string {
  const v = value[key];
  if (v === undefined && !required) return '';
  if (typeof v !== 'string') throw new ItemError(`${key} must be a string`);
  return v;
}

function source(value: Record<string, unknown>): string | null {
  const v = value.source;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/** One dialogue item; `protective` for the hallucination files. */
export function readDialogueItem(value: Record<string, unknown>, protective: boolean): ImportedItem {
  const { setting, dialogue } = value;
  if (!Array.isArray(dialogue) || dialogue.length === 0) throw new ItemError('dialogue must be a non-empty list');
  let status: string;
  if (Array.isArray(setting) && setting.every((p) => typeof p === 'string')) status = setting.join('\n').trim();
  else if (typeof setting === 'string') status = setting.trim();
  else throw new ItemError('setting must be a list of background paragraphs');
  const problems: FormatProblem[] = [];
  const turns: TrainerTurn[] = dialogue.map((turn, index) => {
    if (!isRecord(turn)) throw new ItemError(`dialogue[${index}] must be an object {role, action, content}`);
    const { role, action, content } = turn;
    if (typeof role !== 'string' || !role.trim()) throw new ItemError(`dialogue[${index}].role must be a name`);
    if (typeof content !== 'string') throw new ItemError(`dialogue[${index}].content must be a string`);
    const label = typeof action === 'string' ? LABEL.exec(action.trim()) : null;
    let kind: TurnKind = 'speaking';
    if (label) kind = label[1]!.toLowerCase() as TurnKind;
    if (!label || (typeof action === 'string' && action.trim() !== `(${kind})`)) {
      problems.push({
        code: 'unknown_kind',
        message: `The file labels this turn ${JSON.stringify(action)}; it was read as ${kind}.`,
        turn: index,
        raw: String(action).slice(0, 2000),
      });
    }
    if (content.includes(NONSTOP)) {
      problems.push({
        code: 'truncated',
        message:
          'The paper marked this turn as cut off at the token limit (<|NONSTOP|>); training leaves the scene out.',
        turn: index,
        raw: content.slice(0, 2000),
      });
    }
    return { speaker: role.trim(), kind, text: content };
  });
  return {
    source: source(value),
    fullName: null,
    shortName: null,
    type: protective ? 'protective' : text(value, 'type', false) || 'imported',
    location: text(value, 'location', false),
    background: status,
    protective,
    turns,
    problems,
  };
}

/** One scene item of a generated_agent_scene file (no experience yet). */
export function readSceneItem(value: Record<string, unknown>): ImportedItem {
  return {
    source: source(value),
    fullName: null,
    shortName: null,
    type: text(value, 'type', true),
    location: text(value, 'location', true),
    background: text(value, 'background', true),
    protective: false,
    turns: null,
  };
}

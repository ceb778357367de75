/**
 * The paper's released interview outputs (`data/gen_results` of its repository), read into plain
 * records. Pure: text in, records and problems out; the import service stores them.
 *
 * - Single-turn: `interview_single/{Short}_{system}_result/*.json`, a JSON list of
 *   `{topic_id, question, reply}` where `reply` is a list of `{role, action, content}` turns for
 *   some systems and one bare turn object for others.
 * - Multi-turn: `interview_turns/multiturn_{Short}_{system}_result/*.jsonl`, one interview a line:
 *   `{character, model, topic, qid, max_turns, finished, content: [{turn_id, turn_role, turn_content}]}`
 *   where `turn_role` is `interviewer` or `character` and `turn_content` is always a list (a
 *   character's round may hold several turns, or a thought only).
 *
 * Text is kept exactly as released (the reference code's `: ` → blank-line rewrite included);
 * answers cut at the token limit (`<|NONSTOP|>`) are flagged, not trimmed. Action labels other
 * than `(speaking)` / `(thinking)` are read as best they can be and reported with file and line.
 * A structurally broken entry (no question, a turn without text) fails the whole file, naming the
 * file, the line and what to do: an import is all or nothing.
 */
import { basename, dirname } from 'node:path';
import { StudioFailure } from '../errors';

export const NONSTOP = '<|NONSTOP|>';

export type OutputKind = 'single' | 'multi';

/** Which character and system a released file belongs to, read from its (or its folder's) name. */
export interface OutputSource {
  kind: OutputKind;
  /** As the folder spells it (the paper's own typo `Hermonie` included). */
  short: string;
  system: string;
}

export interface OutputTurn {
  role: string;
  action: 'speaking' | 'thinking';
  /** Exactly as in the file. */
  content: string;
  /** The label as written when it was not exactly `(speaking)` / `(thinking)`; else absent. */
  rawAction?: string;
}

/** An action label that is neither `(speaking)` nor `(thinking)`: where, what, and how it was read. */
export interface OddLabel {
  file: string;
  line: number;
  label: string;
  readAs: 'speaking' | 'thinking';
}

export interface SingleAnswer {
  /** Line of the item's opening brace in the file (1-based). */
  line: number;
  /** Position in the list (1-based). */
  index: number;
  topicId: string;
  question: string;
  turns: OutputTurn[];
  /** Spoken turns joined by a newline; '' when the reply holds none. */
  speech: string;
  /** Thinking turns joined by a newline; '' when there were none (the released single-turn files keep none). */
  thoughts: string;
  nonstop: boolean;
}

export interface MultiRound {
  /** 0-based round of the interview (`turn_id`). */
  round: number;
  by: 'interviewer' | 'character';
  turns: OutputTurn[];
  speech: string;
  thoughts: string;
  nonstop: boolean;
}

export interface MultiInterview {
  line: number;
  /** The goal the interviewer pursued (the file's `topic`). */
  goal: string;
  qid: number | null;
  characterName: string;
  model: string;
  maxTurns: number | null;
  finished: boolean | null;
  rounds: MultiRound[];
}

export interface Parsed<T> {
  items: T[];
  oddLabels: OddLabel[];
}

const NAME = /^(multiturn_)?([^_]+)_(.+?)(_result)?$/;

/**
 * The source of a released file from its name (`Beethoven_sft.json`, `multiturn_Beethoven_sft.jsonl`)
 * or, when the file has a name of its own (`2023-00-00-00-00-00.json`), from its folder's
 * (`Beethoven_sft_result`, `multiturn_Beethoven_sft_result`). null when neither reads as one.
 */
export function sourceOfPath(path: string): OutputSource | null {
  const extension = /\.jsonl?$/i.exec(path)?.[0].toLowerCase();
  if (!extension) return null;
  for (const name of [basename(path).slice(0, -extension.length), basename(dirname(path))]) {
    const match = NAME.exec(name);
    if (!match) continue;
    const multi = Boolean(match[1]) || extension === '.jsonl' || basename(dirname(dirname(path))) === 'interview_turns';
    return { kind: multi ? 'multi' : 'single', short: match[2]!, system: match[3]! };
  }
  return null;
}

function failure(file: string, line: number, message: string): StudioFailure {
  return new StudioFailure(
    'invalid_argument',
    `${file}, line ${line}: ${message}. Fix or remove the entry and import again; nothing was imported.`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one `{role, action, content}` turn; odd labels go to `odd`. */
function readTurn(raw: unknown, file: string, line: number, odd: OddLabel[]): OutputTurn {
  if (!isRecord(raw)) throw failure(file, line, 'a turn is not an object {role, action, content}');
  if (typeof raw.content !== 'string') throw failure(file, line, 'a turn has no text (`content` is not a string)');
  const label = typeof raw.action === 'string' ? raw.action : '';
  const bare = label.trim().toLowerCase();
  let action: OutputTurn['action'];
  if (bare === '(speaking)') action = 'speaking';
  else if (bare === '(thinking)') action = 'thinking';
  else {
    // `((speaking)`, `speaking`, `(Thinking )`…: the word decides; anything else is speech.
    action = /think/.test(bare) ? 'thinking' : 'speaking';
    odd.push({ file, line, label: label || '(none)', readAs: action });
    return { role: typeof raw.role === 'string' ? raw.role : '', action, content: raw.content, rawAction: label };
  }
  return { role: typeof raw.role === 'string' ? raw.role : '', action, content: raw.content };
}

function joined(turns: readonly OutputTurn[], action: OutputTurn['action']): string {
  return turns
    .filter((t) => t.action === action)
    .map((t) => t.content)
    .join('\n');
}

function parts(turns: OutputTurn[]): { speech: string; thoughts: string; nonstop: boolean } {
  return {
    speech: joined(turns, 'speaking'),
    thoughts: joined(turns, 'thinking'),
    nonstop: turns.some((t) => t.content.includes(NONSTOP)),
  };
}

/**
 * The 1-based line on which each top-level element of a JSON array starts. A small scanner
 * (strings and nesting) rather than a second parser: JSON.parse gives no positions.
 */
export function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (depth === 1 && expectElement) {
      lines.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0 && c === ']') break;
    } else if (c === ',' && depth === 1) expectElement = true;
  }
  return lines;
}

function parseJson(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const where = at ? line + text.slice(0, Number(at[1])).split('\n').length - 1 : line;
    throw failure(file, where, `not valid JSON (${message})`);
  }
}

/** A single-turn file: a JSON list of `{topic_id, question, reply}`. */
export function parseSingleTurn(text: string, file: string): Parsed<SingleAnswer> {
  const body = text.replace(/^\uFEFF/, '');
  const value = parseJson(body, file, 1);
  if (!Array.isArray(value)) throw failure(file, 1, 'expected a JSON list of {topic_id, question, reply}');
  const lines = elementLines(body);
  const oddLabels: OddLabel[] = [];
  const items = value.map((raw: unknown, index): SingleAnswer => {
    const line = lines[index] ?? 1;
    if (!isRecord(raw)) throw failure(file, line, 'the entry is not an object {topic_id, question, reply}');
    if (typeof raw.question !== 'string' || !raw.question.trim())
      throw failure(file, line, 'the entry has no `question`');
    if (raw.reply === undefined || raw.reply === null) throw failure(file, line, 'the entry has no `reply`');
    const replies: unknown[] = Array.isArray(raw.reply) ? raw.reply : [raw.reply];
    const turns = replies.map((t) => readTurn(t, file, line, oddLabels));
    const id = raw.topic_id;
    // `topic-2` as the paper writes it; a bare number kept as its digits; anything else unknown.
    const topicId = typeof id === 'string' ? id : typeof id === 'number' ? String(id) : '';
    return { line, index: index + 1, topicId, question: raw.question, turns, ...parts(turns) };
  });
  return { items, oddLabels };
}

/** A multi-turn file: one interview per line. */
export function parseMultiTurn(text: string, file: string): Parsed<MultiInterview> {
  const oddLabels: OddLabel[] = [];
  const items: MultiInterview[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const [index, source] of lines.entries()) {
    if (!source.trim()) continue;
    const line = index + 1;
    const raw = parseJson(source, file, line);
    if (!isRecord(raw)) throw failure(file, line, 'the line is not an interview object');
    if (typeof raw.topic !== 'string' || !raw.topic.trim())
      throw failure(file, line, 'the interview has no goal (`topic`)');
    if (!Array.isArray(raw.content)) throw failure(file, line, 'the interview has no `content` list of rounds');
    const rounds = raw.content.map((entry: unknown, position): MultiRound => {
      if (!isRecord(entry)) throw failure(file, line, `round ${position + 1} is not an object`);
      const by = entry.turn_role;
      if (by !== 'interviewer' && by !== 'character')
        throw failure(
          file,
          line,
          `round ${position + 1} has turn_role ${JSON.stringify(by)}, not interviewer or character`,
        );
      const content: unknown[] = Array.isArray(entry.turn_content) ? entry.turn_content : [entry.turn_content];
      const turns = content.map((t) => readTurn(t, file, line, oddLabels));
      const round = typeof entry.turn_id === 'number' ? entry.turn_id : Math.floor(position / 2);
      return { round, by, turns, ...parts(turns) };
    });
    items.push({
      line,
      goal: raw.topic,
      qid: typeof raw.qid === 'number' ? raw.qid : null,
      characterName: typeof raw.character === 'string' ? raw.character : '',
      model: typeof raw.model === 'string' ? raw.model : '',
      maxTurns: typeof raw.max_turns === 'number' ? raw.max_turns : null,
      finished: typeof raw.finished === 'boolean' ? raw.finished : null,
      rounds,
    });
  }
  if (items.length === 0) throw failure(file, 1, 'the file holds no interviews');
  return { items, oddLabels };
}

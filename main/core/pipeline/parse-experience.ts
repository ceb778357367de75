/** Experience parsers: the paper's `Name (speaking): text` turns and our JSON. See parse.ts. */
import { salvageArray, salvageStringField, extractJson } from './parse-json';
import {
  cleanValue,
  isRecord,
  NONSTOP,
  problem,
  prop,
  str,
  type ExperienceParseOptions,
  type ParsedExperience,
  type ParsedTurn,
  type ParseProblem,
  type ParseResult,
  type TurnKind,
} from './parse-common';

// ───────────────────────────── experiences, text ─────────────────────────────

const KIND_WORDS: Record<string, TurnKind> = {
  speaking: 'speaking',
  speaks: 'speaking',
  says: 'speaking',
  said: 'speaking',
  speech: 'speaking',
  thinking: 'thinking',
  thinks: 'thinking',
  thought: 'thinking',
  thoughts: 'thinking',
  action: 'action',
  actions: 'action',
  acting: 'action',
  acts: 'action',
};

const MD = '(?:\\*\\*|__|\\*|_)?';
const TURN_HEADER = new RegExp(
  `^\\s*(?:[-•+>]\\s+|#{1,6}\\s*|\\d{1,3}[.)]\\s+)?(${MD})\\s*([\\p{L}][\\p{L}\\p{M}\\d .'’\\-]{0,60}?)\\s*${MD}\\s*[(\\[]\\s*(${Object.keys(KIND_WORDS).join('|')})\\s*[)\\]]\\s*${MD}\\s*[:：]?\\s*${MD}[ \\t]*(.*)$`,
  'iu',
);
const BACKGROUND_LABEL =
  /^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(background|setting|status|scene)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.*)$/i;
const META_LABEL = /^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(location|time|type|date)\s*(?:\*\*|__)?\s*[:：]/i;

function normName(name: string): string {
  return name.replace(/[*_`]/g, '').replace(/\s+/g, ' ').trim();
}

interface RawTurn {
  speaker: string;
  kind: TurnKind;
  lines: string[];
  header: string;
  /** Set when the turn had no `(speaking)` label. */
  unlabeled: boolean;
}

function joinParagraphs(lines: string[]): string {
  const out: string[] = [];
  let blank = false;
  for (const l of lines) {
    if (l.trim() === '') {
      blank = out.length > 0;
      continue;
    }
    if (blank) out.push('');
    out.push(l.trimEnd());
    blank = false;
  }
  return out.join('\n').trim();
}

const TERMINAL = /[.!?…。！？~—–)\]"'”’»*]$/u;

export function parseExperienceText(text: string, options: ExperienceParseOptions): ParseResult<ParsedExperience> {
  const problems: ParseProblem[] = [];
  let input = typeof text === 'string' ? text : '';
  let truncated = false;
  const reasons: string[] = [];
  if (input.includes(NONSTOP)) {
    truncated = true;
    reasons.push(`the answer carries the ${NONSTOP} marker`);
    input = input.split(NONSTOP).join('');
  }
  if (options.finishReason === 'length') {
    truncated = true;
    reasons.push('generation stopped at the token limit (finish reason "length")');
  }
  input = input.replace(/<\|eot\|>/g, '\n');

  const main = normName(options.character);
  const aliasSet = new Set([main, ...(options.aliases ?? []).map(normName)].map((n) => n.toLowerCase()));
  const canonical = (name: string): string => (aliasSet.has(name.toLowerCase()) ? main : name);
  const known = new Set(aliasSet);

  const preface: string[] = [];
  let backgroundLabelled = false;
  const turns: RawTurn[] = [];
  let cur: RawTurn | null = null;

  for (const line of input.split(/\r?\n/)) {
    const h = TURN_HEADER.exec(line);
    if (h) {
      let rest = h[4] ?? '';
      if (h[1] === '**' && rest.endsWith('**') && rest.indexOf('**') === rest.length - 2) rest = rest.slice(0, -2);
      const speaker = canonical(normName(h[2] ?? ''));
      known.add(speaker.toLowerCase());
      cur = {
        speaker,
        kind: KIND_WORDS[(h[3] ?? '').toLowerCase()] ?? 'speaking',
        lines: rest.trim() === '' ? [] : [rest],
        header: line,
        unlabeled: false,
      };
      turns.push(cur);
      continue;
    }
    // `Name: text` by a known speaker: a turn that lost its label.
    const plain = /^\s*(?:\*\*|__)?([\p{L}][\p{L}\p{M}\d .'’-]{0,60}?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s+(.+)$/u.exec(line);
    if (plain && known.has(normName(plain[1] ?? '').toLowerCase()) && !BACKGROUND_LABEL.test(line)) {
      cur = {
        speaker: canonical(normName(plain[1] ?? '')),
        kind: 'speaking',
        lines: [plain[2] ?? ''],
        header: line,
        unlabeled: true,
      };
      turns.push(cur);
      continue;
    }
    if (cur !== null) {
      cur.lines.push(line);
      continue;
    }
    const bg = BACKGROUND_LABEL.exec(line);
    if (bg && !backgroundLabelled) {
      backgroundLabelled = true;
      preface.length = 0; // prose before the label is commentary, not background
      if ((bg[2] ?? '').trim() !== '') preface.push(cleanValue(bg[2] ?? ''));
      continue;
    }
    if (META_LABEL.test(line)) continue;
    preface.push(line);
  }

  const background = joinParagraphs(preface);
  if (background === '')
    problems.push(
      problem(-1, 'no_background', "no 'Background:' paragraph before the first turn", input.slice(0, 300)),
    );

  const out: ParsedTurn[] = [];
  turns.forEach((t, index) => {
    const content = joinParagraphs(t.lines);
    const isLast = index === turns.length - 1;
    if (content === '') {
      // Nothing to keep. An empty last turn is reported as truncation below.
      if (!isLast)
        problems.push(
          problem(
            index,
            'empty_turn',
            `turn ${index + 1} by ${t.speaker} is empty; there was nothing to keep`,
            t.header,
          ),
        );
      return;
    }
    const kept = out.length;
    out.push({ speaker: t.speaker, kind: t.kind, text: content });
    if (t.unlabeled)
      problems.push(
        problem(
          index,
          'unlabeled_turn',
          `${t.speaker} speaks without a (speaking)/(thinking) label; read as speaking`,
          t.header,
          kept,
        ),
      );
    if (t.kind === 'thinking' && t.speaker !== main)
      problems.push(otherThinking(index, t.speaker, main, [t.header, ...t.lines].join('\n'), kept));
  });

  const last = turns.at(-1);
  if (last !== undefined) {
    const content = joinParagraphs(last.lines);
    if (content === '') {
      truncated = true;
      reasons.push(`the last turn (${last.speaker}) is empty`);
    } else if (options.finishReason !== 'stop' && !TERMINAL.test(content)) {
      truncated = true;
      reasons.push(`the last turn (${last.speaker}) stops mid-sentence`);
    }
  }

  if (turns.length === 0) {
    problems.push(problem(-1, 'no_turns', "no turns found (expected lines like 'Name (speaking): …')", input));
    return { items: [], problems };
  }
  if (!out.some((t) => t.speaker === main)) {
    problems.push(
      problem(-1, 'no_main_character', `${main} never speaks or thinks in this experience`, input.slice(0, 300)),
    );
  }
  if (truncated) problems.push(problem(-1, 'truncated', `cut off: ${reasons.join('; ')}`, input.slice(-300)));
  return { items: [{ background, turns: out, truncated }], problems };
}

// ───────────────────────────── experiences, JSON ─────────────────────────────

/** A thinking turn by someone other than the main character: kept as written, and reported. */
function otherThinking(index: number, speaker: string, main: string, raw: string, kept: number): ParseProblem {
  return problem(
    index,
    'other_thinking',
    `${speaker} has a thinking turn, but only ${main} may think; it was kept as written and marked`,
    raw,
    kept,
  );
}

type JsonTurn =
  { turn: ParsedTurn; unknownKind: string | null } | { error: string; code: 'unreadable_turn' | 'empty_turn' };

function turnFromJson(value: unknown, canonical: (n: string) => string): JsonTurn {
  if (!isRecord(value)) return { error: 'a turn must be a JSON object', code: 'unreadable_turn' };
  const speaker = canonical(normName(str(prop(value, 'speaker', 'role', 'name'))));
  const rawKind = str(prop(value, 'kind', 'action', 'type'))
    .replace(/[()[\]\s]/g, '')
    .toLowerCase();
  const kind = rawKind === '' ? 'speaking' : KIND_WORDS[rawKind];
  const text = str(prop(value, 'text', 'content', 'utterance'))
    .split(NONSTOP)
    .join('')
    .trim();
  if (speaker === '') return { error: 'no speaker', code: 'unreadable_turn' };
  if (text === '') return { error: 'empty text; there was nothing to keep', code: 'empty_turn' };
  return { turn: { speaker, kind: kind ?? 'speaking', text }, unknownKind: kind === undefined ? rawKind : null };
}

export function parseExperienceJson(text: string, options: ExperienceParseOptions): ParseResult<ParsedExperience> {
  const input = typeof text === 'string' ? text : '';
  const problems: ParseProblem[] = [];
  const main = normName(options.character);
  const aliasSet = new Set([main, ...(options.aliases ?? []).map(normName)].map((n) => n.toLowerCase()));
  const canonical = (name: string): string => (aliasSet.has(name.toLowerCase()) ? main : name);
  let truncated = options.finishReason === 'length' || input.includes(NONSTOP);

  let background: string;
  let rawTurns: { index: number; value: unknown }[];
  const extracted = extractJson(input);
  if (extracted.ok && isRecord(extracted.value)) {
    const v = extracted.value;
    background = str(prop(v, 'background', 'setting', 'status'));
    const list = prop(v, 'turns', 'dialogue');
    if (!Array.isArray(list)) {
      problems.push(problem(-1, 'no_turns', "the JSON has no 'turns' array", extracted.jsonText));
      return { items: [], problems };
    }
    rawTurns = list.map((value: unknown, index) => ({ index, value }));
  } else {
    const salvaged = salvageArray(input, 'turns');
    const arr = salvaged.found ? salvaged : salvageArray(input, 'dialogue');
    if (!arr.found) {
      problems.push(
        problem(
          -1,
          'no_turns',
          extracted.ok ? 'the JSON is not an object with background and turns' : extracted.error,
          input,
        ),
      );
      return { items: [], problems };
    }
    background = salvageStringField(input, 'background') ?? '';
    rawTurns = arr.elements;
    for (const f of arr.failures) {
      const code = f.reason.startsWith('cut off') ? 'truncated' : 'unreadable_turn';
      problems.push(problem(f.index, code, `turn ${f.index + 1}: ${f.reason}`, f.raw));
    }
    if (arr.truncated || extracted.truncated) truncated = true;
    else
      problems.push(
        problem(-1, 'malformed_answer', `${extracted.error} The readable turns were kept.`, extracted.jsonText),
      );
  }

  const turns: ParsedTurn[] = [];
  for (const { index, value } of rawTurns) {
    const read = turnFromJson(value, canonical);
    // The turn as written, shown with a problem: most turns have none, so it is written only then.
    const raw = (): string => JSON.stringify(value) ?? '';
    if ('error' in read) {
      problems.push(problem(index, read.code, `turn ${index + 1}: ${read.error}`, raw()));
      continue;
    }
    const { turn, unknownKind } = read;
    const kept = turns.length;
    turns.push(turn);
    if (unknownKind !== null)
      problems.push(
        problem(
          index,
          'unknown_kind',
          `${turn.speaker} has a turn of the kind '${unknownKind}' (expected speaking, thinking or action); read as speaking`,
          raw(),
          kept,
        ),
      );
    if (turn.kind === 'thinking' && turn.speaker !== main)
      problems.push(otherThinking(index, turn.speaker, main, raw(), kept));
  }
  if (background === '') problems.push(problem(-1, 'no_background', 'no background paragraph', input.slice(0, 300)));
  if (turns.length === 0) {
    problems.push(problem(-1, 'no_turns', 'no usable turns', input));
    return { items: [], problems };
  }
  if (truncated)
    problems.push(problem(-1, 'truncated', 'cut off: the answer ended before it was complete', input.slice(-300)));
  return { items: [{ background, turns, truncated }], problems };
}

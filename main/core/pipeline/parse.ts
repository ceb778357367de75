/**
 * Parsers for what the generation stages get back from an LLM: scenes and experiences, in the
 * paper's text format and in our JSON format. Pure functions, no I/O.
 *
 * Contract:
 * - Never throw on any input. Each returns `{items, problems}`: what could be read, and one
 *   `ParseProblem {index, reason, raw}` for every piece that could not (index -1 for the whole
 *   answer). One malformed block never loses the others. Nothing is dropped without a problem.
 * - Scenes: `Type:` / `Location:` / `Background:` blocks (optional `Time:` and `People:`), numbered,
 *   bulleted or in stray markdown. A block needs a type, a location and a background.
 *   A blank line ends a field's continuation lines; loose prose outside blocks ("Here are 20
 *   scenes:") is not a scene and is ignored.
 * - Experiences: an optional `Background:` paragraph, then turns `Name (speaking|thinking|action): text`
 *   or a header line `Name (speaking)` with the utterance on the following lines. An utterance runs
 *   until the next turn header, paragraphs included (blank lines kept as one `\n\n`); parentheses in
 *   content are kept. Names given as `aliases` become `character`.
 * - Only the main character may think: a thinking turn by anyone else is dropped and reported (it
 *   would teach the model to read other people's minds; turning it into speech would put words in
 *   their mouths).
 * - Cut-off output is flagged `truncated: true` and never presented as complete: finish reason
 *   `length`, the `<|NONSTOP|>` marker, an empty last turn, or (unless the server said `stop`) a last
 *   turn that stops mid-sentence. The turns are still returned so a caller may salvage them.
 * - `Name: text` without a label, by a known speaker (the main character, an alias, or someone who
 *   already had a labelled turn), is read as speaking and reported.
 * - `<|eot|>` (the SFT turn terminator) is accepted as a turn end, so exported outputs parse too.
 */
import { extractJson, salvageArray, salvageStringField } from './parse-json';

export {
  SceneDeduplicator,
  findNearDuplicateScenes,
  sceneShingles,
  type NearDuplicate,
  type DedupeOptions,
} from './parse-dedupe';

export interface ParseProblem {
  /** Block, element or turn ordinal in the answer (0-based); -1 for the answer as a whole. */
  index: number;
  reason: string;
  /** The offending text, at most `MAX_RAW` characters. */
  raw: string;
}

export interface ParseResult<T> {
  items: T[];
  problems: ParseProblem[];
}

export interface ParsedScene {
  type: string;
  location: string;
  /** '' when the answer gave none (the paper's format has no time field). */
  time: string;
  background: string;
  people: string[];
}

export type TurnKind = 'speaking' | 'thinking' | 'action';

export interface ParsedTurn {
  speaker: string;
  kind: TurnKind;
  text: string;
}

export interface ParsedExperience {
  background: string;
  turns: ParsedTurn[];
  /** The answer was cut off; the last turn may be incomplete. */
  truncated: boolean;
}

export interface ExperienceParseOptions {
  /** The main character's speaker label (the short name, e.g. `Beethoven`). */
  character: string;
  /** Other names the model may use for the main character (e.g. `Ludwig van Beethoven`). Exact, case-insensitive. */
  aliases?: string[];
  /** The provider's finish reason for this answer, when known. */
  finishReason?: string;
}

const MAX_RAW = 2_000;
const NONSTOP = '<|NONSTOP|>';

function clip(raw: string): string {
  return raw.length > MAX_RAW ? `${raw.slice(0, MAX_RAW)}…` : raw;
}

function problem(index: number, reason: string, raw: string): ParseProblem {
  return { index, reason, raw: clip(raw) };
}

function cleanValue(value: string): string {
  return value
    .replace(/^\s*(\*\*|__)\s*/, '')
    .replace(/\s*(\*\*|__)\s*$/, '')
    .trim();
}

// ───────────────────────────── scenes, text ─────────────────────────────

type SceneField = 'type' | 'location' | 'time' | 'background' | 'people';

const FIELD_ALIASES: Record<string, SceneField> = {
  type: 'type',
  'scene type': 'type',
  location: 'location',
  place: 'location',
  setting: 'location',
  time: 'time',
  date: 'time',
  background: 'background',
  people: 'people',
  characters: 'people',
  participants: 'people',
};

const FIELD_LABEL = '(scene type|type|location|place|setting|time|date|background|people|characters|participants)';
const FIELD_LINE = new RegExp(`^${FIELD_LABEL}\\s*[:：]\\s*(.*)$`, 'i');
const INLINE_SPLIT = new RegExp(`\\s*[|;,]\\s*(?=(?:${FIELD_LABEL.slice(1, -1)})\\s*[:：])`, 'i');

/** The line without list markers, headings and emphasis, for recognising labels. */
function probeOf(line: string): string {
  return line
    .trim()
    .replace(/^#{1,6}\s*/, '')
    .replace(/^>\s*/, '')
    .replace(/^(?:[-*•+]\s+)/, '')
    .replace(/^\(?\d{1,3}[.)]\s*/, '')
    .replace(/[*_`]/g, '')
    .trim();
}

function isSeparator(probe: string): boolean {
  return /^(scene|experience)\s*#?\s*\d+\b/i.test(probe) || /^\d{1,3}[.)]?$/.test(probe) || /^[-=*_~]{3,}$/.test(probe);
}

function splitPeople(value: string): string[] {
  return value
    .split(/\s*[,;]\s*|\s+and\s+|\s*&\s*/)
    .map((p) =>
      p
        .replace(/^[-*•+]\s*/, '')
        .replace(/[.\s]+$/, '')
        .trim(),
    )
    .filter((p) => p !== '');
}

interface SceneBlock {
  fields: Map<SceneField, string>;
  people: string[];
  last: SceneField | null;
  raw: string[];
}

export function parseScenesText(text: string): ParseResult<ParsedScene> {
  const blocks: SceneBlock[] = [];
  let cur: SceneBlock | null = null;
  let leading: SceneField | null = null;
  let prevBlank = false;
  const open = (): SceneBlock => {
    cur = { fields: new Map(), people: [], last: null, raw: [] };
    blocks.push(cur);
    return cur;
  };

  for (const line of (typeof text === 'string' ? text : '').split(/\r?\n/)) {
    if (line.trim() === '') {
      prevBlank = true;
      continue;
    }
    const probe = probeOf(line);
    if (isSeparator(probe)) {
      cur = null;
      prevBlank = false;
      continue;
    }
    const segments = probe.split(INLINE_SPLIT);
    const first = FIELD_LINE.exec(segments[0] ?? '');
    if (first) {
      for (const seg of segments) {
        const m = FIELD_LINE.exec(seg);
        if (!m) continue;
        const field = FIELD_ALIASES[(m[1] ?? '').toLowerCase()] ?? 'background';
        const value = cleanValue(m[2] ?? '');
        leading ??= field;
        let block: SceneBlock = cur ?? open();
        if (block.fields.has(field) || (field === leading && block.fields.size > 0)) block = open();
        if (field === 'people') block.people.push(...splitPeople(value));
        block.fields.set(field, field === 'people' ? '' : value);
        block.last = field;
      }
      (cur as SceneBlock | null)?.raw.push(line);
      prevBlank = false;
      continue;
    }
    const block = cur as SceneBlock | null;
    if (block !== null && block.last === 'people' && /^\s*(?:[-*•+]|\d{1,3}[.)])\s+/.test(line)) {
      block.people.push(...splitPeople(probe));
      block.raw.push(line);
    } else if (block !== null && !prevBlank && block.last !== null) {
      if (block.last === 'people') block.people.push(...splitPeople(probe));
      else {
        const before = block.fields.get(block.last) ?? '';
        const extra = cleanValue(line.trim());
        block.fields.set(block.last, before === '' ? extra : `${before} ${extra}`);
      }
      block.raw.push(line);
    }
    // else: loose prose between or around blocks.
    prevBlank = false;
  }

  const items: ParsedScene[] = [];
  const problems: ParseProblem[] = [];
  blocks.forEach((b, index) => {
    const missing = (['type', 'location', 'background'] as const).filter((f) => (b.fields.get(f) ?? '') === '');
    if (missing.length > 0) {
      problems.push(
        problem(
          index,
          `scene ${index + 1} has no ${missing.map((f) => f[0]?.toUpperCase() + f.slice(1)).join(', ')}`,
          b.raw.join('\n'),
        ),
      );
      return;
    }
    items.push({
      type: b.fields.get('type') ?? '',
      location: b.fields.get('location') ?? '',
      time: b.fields.get('time') ?? '',
      background: b.fields.get('background') ?? '',
      people: dedupeNames(b.people),
    });
  });
  if (blocks.length === 0) {
    problems.push(
      problem(
        -1,
        "no scenes found (expected blocks of 'Type:', 'Location:' and 'Background:' lines)",
        typeof text === 'string' ? text : String(text),
      ),
    );
  }
  return { items, problems };
}

function dedupeNames(names: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of names) {
    const key = n.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(n);
    }
  }
  return out;
}

// ───────────────────────────── scenes, JSON ─────────────────────────────

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case-insensitive property lookup. */
function prop(obj: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    if (name in obj) return obj[name];
    const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key !== undefined) return obj[key];
  }
  return undefined;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('\n').trim();
  return '';
}

function sceneFromJson(value: unknown): ParsedScene | string {
  if (!isRecord(value)) return 'a scene must be a JSON object';
  const people: string[] = [];
  const rawPeople = prop(value, 'people', 'characters', 'participants');
  if (Array.isArray(rawPeople)) {
    for (const p of rawPeople) {
      if (typeof p === 'string' && p.trim() !== '') people.push(p.trim());
      else if (isRecord(p) && typeof p['name'] === 'string' && p['name'].trim() !== '') people.push(p['name'].trim());
    }
  } else if (typeof rawPeople === 'string') people.push(...splitPeople(rawPeople));
  const scene: ParsedScene = {
    type: str(prop(value, 'type', 'scene_type')),
    location: str(prop(value, 'location', 'place')),
    time: str(prop(value, 'time', 'date')),
    background: str(prop(value, 'background', 'description')),
    people: dedupeNames(people),
  };
  const missing = (['type', 'location', 'background'] as const).filter((f) => scene[f] === '');
  return missing.length > 0 ? `missing or empty ${missing.join(', ')}` : scene;
}

export function parseScenesJson(text: string): ParseResult<ParsedScene> {
  const input = typeof text === 'string' ? text : '';
  const items: ParsedScene[] = [];
  const problems: ParseProblem[] = [];
  const take = (index: number, value: unknown): void => {
    const scene = sceneFromJson(value);
    if (typeof scene === 'string')
      problems.push(problem(index, `scene ${index + 1}: ${scene}`, JSON.stringify(value) ?? ''));
    else items.push(scene);
  };

  const extracted = extractJson(input);
  if (extracted.ok) {
    const v = extracted.value;
    const list = Array.isArray(v) ? v : isRecord(v) ? prop(v, 'scenes') : undefined;
    if (Array.isArray(list)) {
      list.forEach((s, i) => take(i, s));
      return { items, problems };
    }
    if (isRecord(v) && typeof sceneFromJson(v) !== 'string') {
      take(0, v);
      return { items, problems };
    }
    problems.push(problem(-1, "the JSON has no 'scenes' array", extracted.jsonText));
    return { items, problems };
  }

  // Broken or cut-off JSON: keep every complete scene.
  const salvaged = salvageArray(input, 'scenes');
  const arr = salvaged.found ? salvaged : salvageArray(input, null);
  if (!arr.found) {
    problems.push(problem(-1, extracted.error, input));
    return { items, problems };
  }
  for (const e of arr.elements) take(e.index, e.value);
  for (const f of arr.failures) problems.push(problem(f.index, `scene ${f.index + 1}: ${f.reason}`, f.raw));
  if (arr.truncated) {
    const lastFailure = arr.failures.at(-1);
    if (!lastFailure || !lastFailure.reason.startsWith('cut off')) {
      problems.push(
        problem(
          -1,
          'the answer was cut off before the scene list was closed; the complete scenes were kept',
          input.slice(-200),
        ),
      );
    }
  } else if (arr.failures.length === 0) {
    problems.push(
      problem(-1, `${extracted.error} The scenes themselves were readable and were kept.`, extracted.jsonText),
    );
  }
  return { items, problems };
}

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
    problems.push(problem(-1, "no 'Background:' paragraph before the first turn", input.slice(0, 300)));

  const out: ParsedTurn[] = [];
  turns.forEach((t, index) => {
    const content = joinParagraphs(t.lines);
    const isLast = index === turns.length - 1;
    if (t.unlabeled)
      problems.push(
        problem(
          index,
          `turn ${index + 1} by ${t.speaker} has no (speaking)/(thinking) label; read as speaking`,
          t.header,
        ),
      );
    if (content === '' && !isLast) {
      problems.push(problem(index, `turn ${index + 1} by ${t.speaker} is empty and was dropped`, t.header));
      return;
    }
    if (t.kind === 'thinking' && t.speaker !== main) {
      problems.push(
        problem(
          index,
          `turn ${index + 1}: ${t.speaker} has a thinking turn, but only ${main} may think; it was dropped`,
          [t.header, ...t.lines].join('\n'),
        ),
      );
      return;
    }
    if (content === '' && isLast) return; // reported as truncation below
    out.push({ speaker: t.speaker, kind: t.kind, text: content });
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
    problems.push(problem(-1, "no turns found (expected lines like 'Name (speaking): …')", input));
    return { items: [], problems };
  }
  if (!out.some((t) => t.speaker === main)) {
    problems.push(problem(-1, `${main} never speaks or thinks in this experience`, input.slice(0, 300)));
  }
  if (truncated) problems.push(problem(-1, `cut off: ${reasons.join('; ')}`, input.slice(-300)));
  return { items: [{ background, turns: out, truncated }], problems };
}

// ───────────────────────────── experiences, JSON ─────────────────────────────

function turnFromJson(value: unknown, canonical: (n: string) => string): ParsedTurn | string {
  if (!isRecord(value)) return 'a turn must be a JSON object';
  const speaker = canonical(normName(str(prop(value, 'speaker', 'role', 'name'))));
  const rawKind = str(prop(value, 'kind', 'action', 'type'))
    .replace(/[()[\]\s]/g, '')
    .toLowerCase();
  const kind = rawKind === '' ? 'speaking' : KIND_WORDS[rawKind];
  const text = str(prop(value, 'text', 'content', 'utterance'));
  if (speaker === '') return 'no speaker';
  if (kind === undefined) return `unknown kind '${rawKind}' (expected speaking, thinking or action)`;
  if (text === '') return 'empty text';
  return { speaker, kind, text: text.split(NONSTOP).join('').trim() };
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
      problems.push(problem(-1, "the JSON has no 'turns' array", extracted.jsonText));
      return { items: [], problems };
    }
    rawTurns = list.map((value: unknown, index) => ({ index, value }));
  } else {
    const salvaged = salvageArray(input, 'turns');
    const arr = salvaged.found ? salvaged : salvageArray(input, 'dialogue');
    if (!arr.found) {
      problems.push(
        problem(-1, extracted.ok ? 'the JSON is not an object with background and turns' : extracted.error, input),
      );
      return { items: [], problems };
    }
    background = salvageStringField(input, 'background') ?? '';
    rawTurns = arr.elements;
    for (const f of arr.failures) problems.push(problem(f.index, `turn ${f.index + 1}: ${f.reason}`, f.raw));
    if (arr.truncated || extracted.truncated) truncated = true;
    else problems.push(problem(-1, `${extracted.error} The readable turns were kept.`, extracted.jsonText));
  }

  const turns: ParsedTurn[] = [];
  for (const { index, value } of rawTurns) {
    const turn = turnFromJson(value, canonical);
    if (typeof turn === 'string') {
      problems.push(problem(index, `turn ${index + 1}: ${turn}`, JSON.stringify(value) ?? ''));
      continue;
    }
    if (turn.kind === 'thinking' && turn.speaker !== main) {
      problems.push(
        problem(
          index,
          `turn ${index + 1}: ${turn.speaker} has a thinking turn, but only ${main} may think; it was dropped`,
          JSON.stringify(value) ?? '',
        ),
      );
      continue;
    }
    turns.push(turn);
  }
  if (background === '') problems.push(problem(-1, 'no background paragraph', input.slice(0, 300)));
  if (turns.length === 0) {
    problems.push(problem(-1, 'no usable turns', input));
    return { items: [], problems };
  }
  if (truncated) problems.push(problem(-1, 'cut off: the answer ended before it was complete', input.slice(-300)));
  return { items: [{ background, turns, truncated }], problems };
}

/** Scene parsers: the paper's `Type:` / `Location:` / `Background:` blocks and our JSON. See parse.ts. */
import { extractJson, salvageArray } from './parse-json';
import {
  cleanValue,
  isRecord,
  problem,
  prop,
  str,
  type ParsedScene,
  type ParseProblem,
  type ParseResult,
} from './parse-common';

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
          'incomplete_scene',
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
        'no_scenes',
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
      problems.push(problem(index, 'incomplete_scene', `scene ${index + 1}: ${scene}`, JSON.stringify(value) ?? ''));
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
    problems.push(problem(-1, 'no_scenes', "the JSON has no 'scenes' array", extracted.jsonText));
    return { items, problems };
  }

  // Broken or cut-off JSON: keep every complete scene.
  const salvaged = salvageArray(input, 'scenes');
  const arr = salvaged.found ? salvaged : salvageArray(input, null);
  if (!arr.found) {
    problems.push(problem(-1, 'no_scenes', extracted.error, input));
    return { items, problems };
  }
  for (const e of arr.elements) take(e.index, e.value);
  for (const f of arr.failures)
    problems.push(
      problem(
        f.index,
        f.reason.startsWith('cut off') ? 'truncated' : 'incomplete_scene',
        `scene ${f.index + 1}: ${f.reason}`,
        f.raw,
      ),
    );
  if (arr.truncated) {
    const lastFailure = arr.failures.at(-1);
    if (!lastFailure || !lastFailure.reason.startsWith('cut off')) {
      problems.push(
        problem(
          -1,
          'truncated',
          'the answer was cut off before the scene list was closed; the complete scenes were kept',
          input.slice(-200),
        ),
      );
    }
  } else if (arr.failures.length === 0) {
    problems.push(
      problem(
        -1,
        'malformed_answer',
        `${extracted.error} The scenes themselves were readable and were kept.`,
        extracted.jsonText,
      ),
    );
  }
  return { items, problems };
}

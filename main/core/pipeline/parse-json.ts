/**
 * Finding JSON inside an LLM answer: behind ``` fences, after leading prose, with trailing commas,
 * or cut off at the token limit. Pure functions; never throw.
 *
 * Contract:
 * - `extractJson` returns the first JSON object or array in the text that parses, or says why none
 *   did: `truncated` when the text ends inside an open value (the answer was cut off).
 * - `salvageArray` walks the array under a key (or a top-level array) element by element, so the
 *   complete elements of a cut-off or partly broken answer are kept and each bad one is reported.
 */

import { clause } from '../../../common/sentence';

export interface JsonExtraction {
  value: unknown;
  ok: boolean;
  /** The text ended inside an open string, object or array. */
  truncated: boolean;
  /** What went wrong, for a person; empty when ok. */
  error: string;
  /** The JSON-looking text found (fences removed); '' when none. */
  jsonText: string;
}

/** End index (exclusive) of the value opening at `start` (`{` or `[`), or -1 when the text ends first. */
export function scanValueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Removes commas before `}` or `]` outside strings (a common LLM slip). */
export function stripTrailingCommas(json: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i] ?? '';
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += json[i + 1] ?? '';
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    if (ch === ',') {
      let j = i + 1;
      while (j < json.length && /\s/.test(json[j] ?? '')) j++;
      if (json[j] === '}' || json[j] === ']') continue;
    }
    out += ch;
  }
  return out;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    try {
      return { ok: true, value: JSON.parse(stripTrailingCommas(text)) as unknown };
    } catch {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

/** The text inside the first ``` fence (to its end when the closing fence is missing), else the text. */
export function unfence(text: string): string {
  const open = /```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n/.exec(text);
  if (!open) return text;
  const body = text.slice(open.index + open[0].length);
  const close = body.indexOf('```');
  return close === -1 ? body : body.slice(0, close);
}

export function extractJson(text: string): JsonExtraction {
  const body = unfence(text);
  let firstFailure: JsonExtraction | null = null;
  // Leading prose may itself contain braces ("{name}"), so try a few openings in order.
  let tries = 0;
  for (let i = 0; i < body.length && tries < 8; i++) {
    const c = body[i];
    if (c !== '{' && c !== '[') continue;
    tries++;
    const end = scanValueEnd(body, i);
    if (end === -1) {
      const jsonText = body.slice(i);
      const failure: JsonExtraction = {
        value: undefined,
        ok: false,
        truncated: true,
        error: 'The JSON ends before it is closed: the answer was cut off.',
        jsonText,
      };
      return firstFailure ?? failure;
    }
    const jsonText = body.slice(i, end);
    const parsed = tryParse(jsonText);
    if (parsed.ok) return { value: parsed.value, ok: true, truncated: false, error: '', jsonText };
    firstFailure ??= {
      value: undefined,
      ok: false,
      truncated: false,
      error: `The JSON is not valid: ${clause(parsed.error)}.`,
      jsonText,
    };
    i = end - 1;
  }
  return (
    firstFailure ?? {
      value: undefined,
      ok: false,
      truncated: false,
      error: 'No JSON object or array was found in the answer.',
      jsonText: '',
    }
  );
}

export interface SalvagedArray {
  /** Whether the array was found at all. */
  found: boolean;
  elements: { index: number; value: unknown }[];
  failures: { index: number; raw: string; reason: string }[];
  /** The text ended inside the array. */
  truncated: boolean;
}

/**
 * Elements of the array that follows `"key":` (first occurrence, any depth), or of the first
 * top-level array when `key` is null. Each complete element is parsed on its own.
 */
export function salvageArray(text: string, key: string | null): SalvagedArray {
  const body = unfence(text);
  let at: number;
  if (key === null) at = body.indexOf('[');
  else {
    const m = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*\\[`, 'i').exec(body);
    at = m ? m.index + m[0].length - 1 : -1;
  }
  const out: SalvagedArray = { found: at !== -1, elements: [], failures: [], truncated: false };
  if (at === -1) return out;
  let i = at + 1;
  let index = 0;
  for (;;) {
    while (i < body.length && /[\s,]/.test(body[i] ?? '')) i++;
    if (i >= body.length) {
      out.truncated = true;
      return out;
    }
    const c = body[i];
    if (c === ']') return out;
    if (c === '{' || c === '[') {
      const end = scanValueEnd(body, i);
      if (end === -1) {
        out.truncated = true;
        out.failures.push({ index, raw: body.slice(i), reason: 'cut off: the answer ended inside this element' });
        return out;
      }
      const raw = body.slice(i, end);
      const parsed = tryParse(raw);
      if (parsed.ok) out.elements.push({ index, value: parsed.value });
      else out.failures.push({ index, raw, reason: `not valid JSON: ${parsed.error}` });
      index++;
      i = end;
      continue;
    }
    // A scalar or garbage: skip to the next separator at this level.
    let j = i;
    let inString = false;
    for (; j < body.length; j++) {
      const ch = body[j];
      if (inString) {
        if (ch === '\\') j++;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === ',' || ch === ']') break;
    }
    const raw = body.slice(i, j).trim();
    const parsed = tryParse(raw);
    if (j >= body.length) {
      out.truncated = true;
      out.failures.push({ index, raw, reason: 'cut off: the answer ended inside this element' });
      return out;
    }
    if (parsed.ok) out.elements.push({ index, value: parsed.value });
    else out.failures.push({ index, raw, reason: 'not valid JSON' });
    index++;
    i = j;
  }
}

/** The string value of `"key": "..."` anywhere in the text, even when the JSON around it is broken. */
export function salvageStringField(text: string, key: string): string | null {
  const m = new RegExp(`"${key}"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")`, 'i').exec(text);
  if (!m || m[1] === undefined) return null;
  try {
    return JSON.parse(m[1]) as string;
  } catch {
    return null;
  }
}

/**
 * What the parsers share: result and problem types, and small helpers. Pure, no I/O.
 * See parse.ts for the contract of the parsers.
 */
import type { FormatProblem, FormatProblemCode } from '../../../common/contract';

export interface ParseProblem {
  /** Block, element or turn ordinal in the answer (0-based); -1 for the answer as a whole. */
  index: number;
  code: FormatProblemCode;
  reason: string;
  /** The offending text, at most `MAX_RAW` characters. */
  raw: string;
  /** Index of the turn it concerns in the parsed experience's `turns`, when that turn was kept. */
  turn: number | null;
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

export const MAX_RAW = 2_000;
export const NONSTOP = '<|NONSTOP|>';

/** At most `MAX_RAW` UTF-16 units, never ending inside a surrogate pair. */
export function clip(raw: string): string {
  if (raw.length <= MAX_RAW) return raw;
  const high = raw.charCodeAt(MAX_RAW - 1);
  const end = high >= 0xd800 && high <= 0xdbff ? MAX_RAW - 1 : MAX_RAW;
  return `${raw.slice(0, end)}…`;
}

export function problem(
  index: number,
  code: FormatProblemCode,
  reason: string,
  raw: string,
  turn: number | null = null,
): ParseProblem {
  return { index, code, reason, raw: clip(raw), turn };
}

export function cleanValue(value: string): string {
  return value
    .replace(/^\s*(\*\*|__)\s*/, '')
    .replace(/\s*(\*\*|__)\s*$/, '')
    .trim();
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case-insensitive property lookup. */
export function prop(obj: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) {
    if (name in obj) return obj[name];
    const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key !== undefined) return obj[key];
  }
  return undefined;
}

/**
 * A text field of an answer, trimmed. A lone surrogate (a model may write `\ud800` as a JSON escape)
 * becomes U+FFFD here, once, rather than three U+FFFD when SQLite stores it as UTF-8.
 */
export function str(v: unknown): string {
  if (typeof v === 'string') return wellFormed(v.trim());
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return wellFormed(v.join('\n').trim());
  return '';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `String.prototype.toWellFormed` (ES2024, past our `lib`): each lone surrogate becomes U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** The problems of an answer as stored with the item they concern (`FormatProblem` of the contract). */
export function formatProblems(problems: readonly ParseProblem[]): FormatProblem[] {
  return problems.map((p) => ({ code: p.code, message: p.reason, turn: p.turn, raw: p.raw }));
}

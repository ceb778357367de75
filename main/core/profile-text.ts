import type { ProfileFormat } from '../../common/contract';
import { StudioFailure } from './errors';

/**
 * Reading a profile: bytes → text → chunks.
 *
 * The chunking rule is the paper's (METHOD.md §1): paragraphs separated by blank lines, one chunk
 * each, a heading line glued to the paragraph under it. Two additions for writers' material the
 * paper never met: a heading standing alone above a blank line joins the next paragraph, and a
 * paragraph longer than `maxChunkWords` is cut at sentence ends so one call can still read it.
 */

/** Largest profile accepted: about 1.3 million words, far above any biography or manuscript. */
export const MAX_PROFILE_BYTES = 8 * 1024 * 1024;
export const MAX_CHUNK_CHARS = 100_000;
export const DEFAULT_MAX_CHUNK_WORDS = 1_200;

export interface ReadProfile {
  title: string | null;
  format: ProfileFormat;
  chunks: string[];
}

export function decodeProfileBytes(bytes: Uint8Array, fileName: string): string {
  if (bytes.length === 0) {
    throw new StudioFailure('invalid_argument', `${fileName} is empty. Choose a file with the character's life in it.`);
  }
  checkSize(bytes.length, fileName);
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  else {
    if (looksBinary(bytes)) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} looks like a binary file, not text. Import a .txt or .md file, or paste the text.`,
      );
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is not UTF-8 text. Save it as UTF-8 (in most editors: Save As → Encoding: UTF-8) and import it again.`,
      );
    }
  }
  return text;
}

function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 9 || (byte > 13 && byte < 32)) control++;
  }
  return control / sample.length > 0.05;
}

export function checkSize(bytes: number, what: string): void {
  if (bytes > MAX_PROFILE_BYTES) {
    const mb = (bytes / 1024 / 1024).toFixed(1);
    throw new StudioFailure(
      'too_large',
      `${what} is ${mb} MB; a profile can be at most ${MAX_PROFILE_BYTES / 1024 / 1024} MB. ` +
        `Split it into several profiles (one per book or part) and import them one by one.`,
    );
  }
}

export function normalizeText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '');
}

const HEADING_MAX_CHARS = 90;

/** A line that titles what follows rather than saying something: `## Life`, `1780–1792: Bonn`. */
export function isHeadingLine(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length === 0) return false;
  if (/^#{1,6}\s/.test(trimmed)) return true;
  if (trimmed.length > HEADING_MAX_CHARS) return false;
  return !/[.!?;,:"'”’)\]]$/.test(trimmed) || /^\d{3,4}\s*[–-]\s*\d{2,4}:/.test(trimmed);
}

/** The heading lines at the top of a chunk, for display; null when the chunk is plain prose. */
export function headingOf(chunk: string): string | null {
  const lines = chunk.split('\n');
  const heading: string[] = [];
  for (const line of lines.slice(0, -1)) {
    if (!isHeadingLine(line)) break;
    heading.push(line.trim().replace(/^#{1,6}\s+/, ''));
  }
  return heading.length > 0 && heading.length < lines.length ? heading.join(' · ') : null;
}

export function countWords(text: string): number {
  const matches = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu);
  return matches ? matches.length : 0;
}

export function readProfile(
  raw: string,
  fileName: string | null,
  maxChunkWords = DEFAULT_MAX_CHUNK_WORDS,
): ReadProfile {
  const text = normalizeText(raw);
  if (text.trim().length === 0) {
    throw new StudioFailure(
      'invalid_argument',
      `${fileName ?? 'The pasted text'} has no text in it. Paste or import the character's life story.`,
    );
  }
  checkSize(Buffer.byteLength(text, 'utf8'), fileName ?? 'The pasted text');
  const blocks = text
    .split(/\n[ \t]*\n/)
    .map((block) => block.replace(/^\n+|\n+$/g, ''))
    .filter((block) => block.trim().length > 0);

  let title: string | null = null;
  let format: ProfileFormat = fileName?.toLowerCase().endsWith('.md') ? 'markdown' : 'text';
  const first = blocks[0] ?? '';
  const titleMatch = /^#\s+(.+)$/.exec(first);
  if (titleMatch && !first.includes('\n')) {
    title = titleMatch[1]!.trim();
    blocks.shift();
    const hasSubheadingsOnly = blocks.every((block) => !/^#\s/m.test(block));
    if (hasSubheadingsOnly) format = 'character-llm';
  } else if (/^#{1,6}\s/m.test(text)) {
    format = 'markdown';
  }

  const chunks: string[] = [];
  let pendingHeading: string[] = [];
  for (const block of blocks) {
    const lines = block.split('\n');
    if (lines.every(isHeadingLine) && lines.every((line) => line.trim().length <= HEADING_MAX_CHARS)) {
      pendingHeading.push(block);
      continue;
    }
    const glued = [...pendingHeading, block].join('\n');
    pendingHeading = [];
    chunks.push(...splitLong(glued, maxChunkWords));
  }
  if (pendingHeading.length > 0) {
    // Trailing headings with nothing under them stay, so no text the user gave is dropped.
    if (chunks.length > 0) chunks[chunks.length - 1] += `\n\n${pendingHeading.join('\n')}`;
    else chunks.push(pendingHeading.join('\n'));
  }
  return { title, format, chunks: chunks.flatMap((chunk) => splitByChars(chunk)) };
}

/** Cuts an over-long paragraph at sentence ends into pieces of at most `maxWords` words. */
export function splitLong(paragraph: string, maxWords: number): string[] {
  if (countWords(paragraph) <= maxWords) return [paragraph];
  const sentences = paragraph.match(/[^.!?\n]+(?:[.!?]+["'”’)\]]*|\n|$)\s*/g) ?? [paragraph];
  const pieces: string[] = [];
  let current = '';
  let words = 0;
  for (const sentence of sentences) {
    const sentenceWords = countWords(sentence);
    if (words > 0 && words + sentenceWords > maxWords) {
      pieces.push(current.trim());
      current = '';
      words = 0;
    }
    current += sentence;
    words += sentenceWords;
  }
  if (current.trim().length > 0) pieces.push(current.trim());
  return pieces;
}

function splitByChars(chunk: string): string[] {
  if (chunk.length <= MAX_CHUNK_CHARS) return [chunk];
  const pieces: string[] = [];
  for (let start = 0; start < chunk.length; start += MAX_CHUNK_CHARS) {
    pieces.push(chunk.slice(start, start + MAX_CHUNK_CHARS));
  }
  return pieces;
}

import type { ProfileFormat } from '../../common/contract';
import { HEADING_MAX_CHARS, isHeadingLine } from '../../common/headings';
import { StudioFailure } from './errors';
import {
  checkSize,
  codePointBoundary,
  countWords,
  countWordsUpTo,
  MAX_CHUNK_CHARS,
  normalizedLines,
  piecesOf,
  storableTextSteps,
  type TextPieces,
} from './profile-text';
import { runSync, WorkMeter, type Steps } from './time-slices';
import { isSpaceCode } from '../../common/white-space';

/**
 * Splitting a profile's text into chunks, the pipeline's unit of reading.
 *
 * The paper's format (`# Full Name`, a blank line, then paragraphs; METHOD.md §1) is split exactly
 * as the paper's code splits it: the text after the title line, cut at every blank line, each piece
 * one chunk, nothing merged and nothing cut by word count, so chunk numbers match the reference
 * data. A heading line the paper's files keep on the line above its paragraph stays glued to it by
 * that rule alone.
 *
 * Other text (writers' notes, Markdown, cards) gets two helps the paper never needed: a heading
 * standing alone above a blank line joins the paragraph under it, and a paragraph longer than
 * `maxChunkWords` is cut at sentence ends so one call can still read it.
 *
 * In every format a piece over MAX_CHUNK_CHARS is cut at whitespace or, failing that, between two
 * characters (grapheme clusters), never inside one. No character but whitespace between chunks is
 * ever dropped.
 */

export const DEFAULT_MAX_CHUNK_WORDS = 1_200;
/**
 * Most chunks one profile may have: a long novel has a few thousand paragraphs. Bounds the one step
 * an import cannot slice, writing its rows in a single transaction (about 0.2 s for 20,000 rows).
 */
export const MAX_CHUNKS = 20_000;

export interface ReadProfile {
  title: string | null;
  format: ProfileFormat;
  chunks: string[];
  /** Words of each chunk (countWords), counted here so that no single step counts a whole profile. */
  words: number[];
}

export interface ReadOptions {
  maxChunkWords?: number;
  /** Read as Markdown whatever the text looks like (a character card's profile is Markdown by construction). */
  markdown?: boolean;
}

/** Reads a profile at once; for tests and small text. */
export function readProfile(raw: string, fileName: string | null, options: ReadOptions = {}): ReadProfile {
  return runSync(readProfileSteps(raw, fileName, options));
}

/** Reads a profile in steps: run by `runSliced` (time-slices.ts), the caller answers other requests between them. */
export function* readProfileSteps(
  raw: string | TextPieces,
  fileName: string | null,
  options: ReadOptions,
): Steps<ReadProfile> {
  const maxChunkWords = options.maxChunkWords ?? DEFAULT_MAX_CHUNK_WORDS;
  const subject = fileName ? `The text of ${fileName}` : 'The pasted text';
  // Pieces throughout (profile-text.ts): the text is never scanned, or joined, whole in one step.
  const text = piecesOf(raw);
  let bytes = 0;
  for (const piece of text) {
    bytes += Buffer.byteLength(piece, 'utf8');
    yield;
  }
  checkSize(bytes, subject);
  yield* storableTextSteps(
    text,
    fileName ?? 'The pasted text',
    fileName
      ? 'Import the profile as a .txt or .md file saved as UTF-8 text.'
      : 'Paste the text again from where it was written, or save it as a UTF-8 .txt file and import that.',
  );
  const blocks = yield* blocksOf(yield* normalizedLines(text));
  if (blocks.length === 0) {
    throw new StudioFailure(
      'invalid_argument',
      `${fileName ?? 'The pasted text'} has no text in it. Paste or import the character's life story.`,
    );
  }

  let title: string | null = null;
  let format: ProfileFormat = fileName?.toLowerCase().endsWith('.md') ? 'markdown' : 'text';
  const first = blocks[0]!;
  // One line `# Name`; `[ \t]+` and `\S` share no character, so this cannot backtrack.
  const titleMatch = first.includes('\n') ? null : /^#[ \t]+(\S.*)$/.exec(first);
  if (titleMatch) {
    title = titleMatch[1]!.trim();
    blocks.shift();
    if (blocks.length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `${fileName ?? 'The pasted text'} has a title ("${title}") but no text under it. ` +
          `Write the character's life under the title line, after a blank line, and import it again.`,
      );
    }
    // The paper's files glue a section heading to the line under it; a heading standing alone
    // between blank lines is how Markdown is written, and read as the paper's, each such heading
    // became a chunk of its own that scenes were then made from. A .txt keeps the paper's reading.
    const sectionsApart = !fileName?.toLowerCase().endsWith('.txt') && blocks.some(isHeadingOnly);
    if (sectionsApart) format = 'markdown';
    else if (!options.markdown && blocks.every((block) => !/^#\s/m.test(block))) format = 'character-llm';
  } else if (blocks.some((block) => /^#{1,6}\s/m.test(block))) {
    format = 'markdown';
  }
  if (options.markdown) format = 'markdown';

  const pieces = format === 'character-llm' ? blocks : yield* glueHeadings(blocks, maxChunkWords);
  const chunks: string[] = [];
  const meter = new WorkMeter();
  for (const piece of pieces) {
    chunks.push(...splitByChars(piece));
    if (meter.add(piece.length)) yield;
  }
  if (chunks.length > MAX_CHUNKS) {
    throw new StudioFailure(
      'too_large',
      `${fileName ?? 'The pasted text'} splits into ${chunks.length} chunks; a profile can have at most ${MAX_CHUNKS}. ` +
        `Join short paragraphs, or import the text in several parts.`,
    );
  }
  const words: number[] = [];
  for (const chunk of chunks) {
    words.push(countWords(chunk));
    if (meter.add(chunk.length)) yield;
  }
  return { title, format, chunks, words };
}

/** A block of Markdown headings alone (`## Health`), no text under them. */
function isHeadingOnly(block: string): boolean {
  return block.split('\n').every((line) => /^#{1,6}[ \t]/.test(line));
}

/** The paragraphs: runs of non-blank lines, cut at every blank (whitespace-only) line. */
function* blocksOf(lines: readonly string[]): Steps<string[]> {
  const blocks: string[] = [];
  let current: string[] = [];
  const meter = new WorkMeter();
  for (const line of lines) {
    if (line.trim().length === 0) {
      if (current.length > 0) blocks.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
    if (meter.add(line.length + 1)) yield;
  }
  if (current.length > 0) blocks.push(current.join('\n'));
  return blocks;
}

/**
 * A block of one to three short heading lines (`## Life and career` / `Family and early life`).
 * Four or more short lines are a list or a verse, not a heading.
 */
function isHeadingBlock(block: string): boolean {
  if (block.length > 3 * (HEADING_MAX_CHARS + 1)) return false;
  const lines = block.split('\n');
  return lines.length <= 3 && lines.every((line) => isHeadingLine(line) && line.trim().length <= HEADING_MAX_CHARS);
}

function* glueHeadings(blocks: readonly string[], maxChunkWords: number): Steps<string[]> {
  const chunks: string[] = [];
  let pendingHeading: string[] = [];
  const meter = new WorkMeter();
  for (const block of blocks) {
    if (isHeadingBlock(block)) {
      pendingHeading.push(block);
      continue;
    }
    chunks.push(...(yield* splitLongSteps([...pendingHeading, block].join('\n'), maxChunkWords)));
    pendingHeading = [];
    if (meter.add(block.length)) yield;
  }
  if (pendingHeading.length > 0) {
    // Trailing headings with nothing under them stay, so no text the user gave is dropped.
    if (chunks.length > 0) chunks[chunks.length - 1] += `\n\n${pendingHeading.join('\n')}`;
    else chunks.push(pendingHeading.join('\n'));
  }
  return chunks;
}

/** Cuts an over-long paragraph at sentence ends into pieces of at most `maxWords` words. */
export function splitLong(paragraph: string, maxWords: number): string[] {
  return runSync(splitLongSteps(paragraph, maxWords));
}

/**
 * Words are counted only up to `maxWords + 1` per sentence: enough to decide where to cut, and a
 * sentence of a million words (a giant line without full stops) costs no more than a short one.
 */
function* splitLongSteps(paragraph: string, maxWords: number): Steps<string[]> {
  if (countWordsUpTo(paragraph, maxWords + 1) <= maxWords) return [paragraph];
  const pieces: string[] = [];
  let current = '';
  let words = 0;
  const meter = new WorkMeter();
  for (const sentence of sentencesOf(paragraph)) {
    const sentenceWords = countWordsUpTo(sentence, maxWords + 1);
    if (words > 0 && words + sentenceWords > maxWords) {
      pieces.push(current.trim());
      current = '';
      words = 0;
    }
    current += sentence;
    words += sentenceWords;
    if (meter.add(sentence.length)) yield;
  }
  if (current.trim().length > 0) pieces.push(current.trim());
  return pieces;
}

/**
 * The paragraph cut after each sentence end (`.`, `!`, `?`, closing quotes, the spaces after) and
 * each line end, one at a time. Every character lands in exactly one sentence: joined, they are
 * the paragraph.
 */
function* sentencesOf(paragraph: string): Generator<string, void, undefined> {
  let start = 0;
  for (const end of paragraph.matchAll(/[.!?]+["'”’)\]]*\s*|\n\s*/g)) {
    const stop = end.index + end[0].length;
    yield paragraph.slice(start, stop);
    start = stop;
  }
  if (start < paragraph.length) yield paragraph.slice(start);
}

/** Pieces of at most `limit` UTF-16 code units, cut where no character is broken; none empty. */
export function splitByChars(chunk: string, limit = MAX_CHUNK_CHARS): string[] {
  if (chunk.length <= limit) return [chunk];
  const pieces: string[] = [];
  let start = 0;
  while (chunk.length - start > limit) {
    const end = cutPoint(chunk, start, start + limit);
    pieces.push(chunk.slice(start, end));
    start = end;
  }
  pieces.push(chunk.slice(start));
  return pieces.map((piece) => piece.trim()).filter((piece) => piece.length > 0);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Where to end a piece that starts at `start` and may not reach past `max`: after the last
 * whitespace in the final tenth, else at the last grapheme boundary (an emoji with its modifiers,
 * a letter with its accents stay whole), else at the last code point boundary. Always > start.
 */
function cutPoint(text: string, start: number, max: number): number {
  const floor = start + Math.floor((max - start) * 0.9);
  for (let i = max; i > floor; i--) {
    if (isSpaceCode(text.charCodeAt(i - 1))) return i;
  }
  const windowStart = Math.max(start, max - 64);
  let best = -1;
  for (const { index } of graphemes.segment(text.slice(windowStart, max + 16))) {
    const at = windowStart + index;
    if (at > max) break;
    if (at > start) best = at;
  }
  if (best > windowStart) return best;
  const boundary = codePointBoundary(text, max);
  return boundary > start ? boundary : max;
}

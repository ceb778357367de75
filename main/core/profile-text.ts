import { StudioFailure } from './errors';
import { runSync, type Steps } from './time-slices';

/**
 * Reading a profile's text: bytes → text, the checks every text the studio stores must pass, and
 * the line-level helpers the chunker (profile-chunks.ts) and the chunk editor share. Everything here
 * is linear in the length of its input: a profile is hostile input until proven otherwise.
 */

/** Largest profile accepted: about 1.3 million words, far above any biography or manuscript. */
export const MAX_PROFILE_BYTES = 8 * 1024 * 1024;
/** Longest chunk, in UTF-16 code units (what a textarea and `String.length` count). */
export const MAX_CHUNK_CHARS = 100_000;

/**
 * Longest stretch of text (UTF-16 code units) or bytes one step of the sliced readers below handles
 * before it offers a yield: about a millisecond of work for each of them.
 */
export const PIECE = 256 * 1024;

/**
 * Text held as pieces of at most PIECE code units each, in order, never cut inside a surrogate
 * pair: what a decoded file is, and what the sliced readers below take, so no step joins (or
 * scans) a whole profile at once (joining the pieces of a 6 MB file was ~40 ms in one step).
 */
export type TextPieces = readonly string[];

/** `text` as pieces; a string is cut where it stands (a slice of a flat string shares its characters). */
export function piecesOf(text: string | TextPieces): TextPieces {
  if (typeof text !== 'string') return text;
  const pieces: string[] = [];
  for (let start = 0; start < text.length;) {
    const end = codePointBoundary(text, Math.min(text.length, start + PIECE));
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

export function decodeProfileBytes(bytes: Uint8Array, fileName: string): string {
  return runSync(decodeProfileSteps(bytes, fileName)).join('');
}

/**
 * decodeProfileBytes in steps, a piece at a time, to pieces that are never joined (a streaming
 * decoder keeps characters, surrogate pairs included, whole within a piece).
 */
export function* decodeProfileSteps(bytes: Uint8Array, fileName: string): Steps<TextPieces> {
  if (bytes.length === 0) {
    throw new StudioFailure('invalid_argument', `${fileName} is empty. Choose a file with the character's life in it.`);
  }
  checkSize(bytes.length, fileName);
  const utf16 =
    bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
  if (utf16) {
    try {
      return yield* decodeSteps(new TextDecoder(utf16, { fatal: true }), bytes.subarray(2));
    } catch {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} starts like UTF-16 text but has broken characters in it. Save it as UTF-8 (in most editors: Save As → Encoding: UTF-8) and import it again.`,
      );
    }
  }
  if (looksBinary(bytes)) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} looks like a binary file, not text. Import a .txt or .md file, or paste the text.`,
    );
  }
  try {
    return yield* decodeSteps(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }), bytes);
  } catch {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is not UTF-8 text. Save it as UTF-8 (in most editors: Save As → Encoding: UTF-8) and import it again.`,
    );
  }
}

/**
 * `bytes` through a streaming decoder, PIECE bytes a step (at most PIECE code units out); throws
 * what the decoder throws.
 */
function* decodeSteps(decoder: InstanceType<typeof TextDecoder>, bytes: Uint8Array): Steps<TextPieces> {
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += PIECE) {
    const end = Math.min(bytes.length, start + PIECE);
    parts.push(decoder.decode(bytes.subarray(start, end), { stream: end < bytes.length }));
    yield;
  }
  parts.push(decoder.decode());
  return parts.filter((part) => part.length > 0);
}

/**
 * The bytes of a file sent as base64 (standard alphabet, `=` padding only at the end), decoded a
 * piece at a time. Throws `invalid_argument` naming the file when the text is not base64.
 */
export function* base64Steps(base64: string, fileName: string): Steps<Buffer> {
  // Decoded in place into one buffer of the size the text gives (its padding counted): joining the
  // decoded pieces at the end copied megabytes in one go, ~30 ms of the serving loop at 6 MB.
  const bytes = Buffer.allocUnsafe(Buffer.byteLength(base64, 'base64'));
  let length = 0;
  // Pieces of whole 4-character groups, so each decodes alone to the same bytes as the whole would.
  const step = PIECE - (PIECE % 4);
  for (let start = 0; start === 0 || start < base64.length; start += step) {
    const piece = base64.slice(start, start + step);
    const last = start + step >= base64.length;
    if (!(last ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9+/]*$/).test(piece)) {
      throw new StudioFailure(
        'invalid_argument',
        `${fileName} did not arrive as base64 (the form the studio sends files in). Choose the file again; if this repeats, paste its text instead.`,
      );
    }
    length += bytes.write(piece, length, 'base64');
    yield;
  }
  return bytes.subarray(0, length);
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

/** Refuses more than MAX_PROFILE_BYTES; `subject` names what was measured ("report.txt", "The pasted text"). */
export function checkSize(bytes: number, subject: string): void {
  if (bytes > MAX_PROFILE_BYTES) {
    throw new StudioFailure(
      'too_large',
      `${subject} is ${megabytes(bytes)}; a profile can be at most ${MAX_PROFILE_BYTES / 1024 / 1024} MB. ` +
        `Split it into several profiles (one per book or part) and import them one by one.`,
    );
  }
}

export function megabytes(bytes: number): string {
  return bytes < 100 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Refuses text the database could not keep as given: a NUL byte (SQLite's text functions stop at
 * it, and no text file holds one, so it means binary data) or half of a UTF-16 surrogate pair
 * (stored as U+FFFD, so the text would come back changed). `subject` names the text; `fix` says
 * what to do. Applies to profile text, chunk edits, titles and file names alike.
 */
export function checkStorableText(text: string, subject: string, fix: string): void {
  runSync(storableTextSteps(text, subject, fix));
}

/** checkStorableText in steps of PIECE code units (cut between characters, never inside a pair). */
export function* storableTextSteps(text: string | TextPieces, subject: string, fix: string): Steps<void> {
  const pieces = piecesOf(text);
  let start = 0;
  for (const [index, piece] of pieces.entries()) {
    const nul = piece.indexOf('\0');
    if (nul >= 0) {
      throw new StudioFailure(
        'unsupported_file',
        `${subject} contains a NUL byte (character ${start + nul + 1}), which text never holds: it looks like binary data. ${fix}`,
      );
    }
    const broken = /\p{Cs}/u.exec(piece);
    if (broken) {
      throw new StudioFailure(
        'invalid_argument',
        `${subject} has a broken character at character ${start + broken.index + 1} (half of an emoji or other symbol). ${fix}`,
      );
    }
    start += piece.length;
    if (index < pieces.length - 1) yield;
  }
}

/**
 * The text as lines with Windows and old Mac line ends made `\n`, a leading byte-order mark
 * dropped and trailing spaces and tabs cut from every line. A scan from each line's end, not a
 * regex: `/[ \t]+$/m` backtracks quadratically over a long run of spaces inside a line.
 *
 * A step per piece: each piece is split up to its last whole line break (a `\r` at its very end
 * may be the first half of a `\r\n`), and what follows waits for the next piece.
 */
export function* normalizedLines(raw: string | TextPieces): Steps<string[]> {
  const lines: string[] = [];
  /** The unfinished line: parts of the pieces since the last line break (joined when it ends). */
  let open: string[] = [];
  const pieces = piecesOf(raw);
  for (const [index, whole] of pieces.entries()) {
    const piece = index === 0 && whole.charCodeAt(0) === 0xfeff ? whole.slice(1) : whole;
    const last = index === pieces.length - 1;
    let cut = piece.lastIndexOf('\n') + 1;
    // Old Mac line ends only: a `\r` with a character after it in this piece is a whole line break.
    if (cut === 0 && piece.length > 1) cut = piece.lastIndexOf('\r', piece.length - 2) + 1;
    if (last) cut = piece.length;
    if (cut === 0) {
      open.push(piece);
    } else {
      open.push(piece.slice(0, cut));
      const pieceLines = open.join('').replace(/\r\n?/g, '\n').split('\n');
      // Split up to a line break: the last empty string is the next line, which starts after it.
      if (!last) pieceLines.pop();
      for (const line of pieceLines) lines.push(trimEndBlanks(line));
      open = cut < piece.length ? [piece.slice(cut)] : [];
    }
    if (!last) yield;
  }
  if (pieces.length === 0) lines.push('');
  return lines;
}

export function normalizeText(raw: string): string {
  return runSync(normalizedLines(raw)).join('\n');
}

function trimEndBlanks(line: string): string {
  let end = line.length;
  while (end > 0) {
    const code = line.charCodeAt(end - 1);
    if (code !== 0x20 && code !== 0x09) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}

/** `index` moved back by one when it would fall between the two halves of a surrogate pair. */
export function codePointBoundary(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return Math.max(0, Math.min(index, text.length));
  const before = text.charCodeAt(index - 1);
  const after = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff ? index - 1 : index;
}

/** At most `max` UTF-16 code units of `text`, never ending on half a surrogate pair. */
export function sliceCodePoints(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, codePointBoundary(text, max));
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;

export function countWords(text: string): number {
  const matches = text.match(WORD);
  return matches ? matches.length : 0;
}

/** countWords, but stops counting at `cap`: the cost follows the cap, not the text's length. */
export function countWordsUpTo(text: string, cap: number): number {
  const word = new RegExp(WORD);
  let count = 0;
  while (count < cap && word.exec(text)) count++;
  return count;
}

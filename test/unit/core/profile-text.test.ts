import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StudioFailure } from '../../../main/core/errors';
import { readProfile, splitLong } from '../../../main/core/profile-chunks';
import { countWords, decodeProfileBytes, headingOf, MAX_PROFILE_BYTES } from '../../../main/core/profile-text';
import { fixture } from '../../support/paths';

const beethoven = fs.readFileSync(fixture('wiki_Beethoven.txt'), 'utf8');

function failure(fn: () => unknown): StudioFailure {
  try {
    fn();
  } catch (error) {
    if (error instanceof StudioFailure) return error;
    throw error;
  }
  throw new Error('expected a StudioFailure');
}

describe('reading the paper’s profile format', () => {
  const read = readProfile(beethoven, 'wiki_Beethoven.txt');

  it('takes the title from `# Full Name` and makes one chunk per paragraph, as the reference code does', () => {
    expect(read.title).toBe('Ludwig van Beethoven');
    expect(read.format).toBe('character-llm');
    const paragraphs = beethoven
      .trim()
      .split(/\n\s*\n/)
      .slice(1);
    expect(read.chunks).toEqual(paragraphs.map((p) => p.trim()));
    expect(read.chunks).toHaveLength(59);
  });

  it('keeps section headings glued to the paragraph under them and shows them as the chunk heading', () => {
    const life = read.chunks.find((chunk) => chunk.startsWith('## Life and career'))!;
    expect(life.split('\n')[1]).toBe('Family and early life');
    expect(life).toContain('Beethoven was the grandson of Ludwig van Beethoven');
    expect(headingOf(life)).toBe('Life and career · Family and early life');
    expect(headingOf(read.chunks.find((c) => c.startsWith('1780–1792: Bonn'))!)).toBe('1780–1792: Bonn');
    expect(headingOf(read.chunks[0]!)).toBeNull();
  });

  it('loses no word of the source', () => {
    const words = (text: string) => text.split(/\s+/).filter(Boolean);
    expect(words(read.chunks.join('\n\n'))).toEqual(words(beethoven).slice(4)); // minus "# Ludwig van Beethoven"
  });
});

describe('reading writers’ material', () => {
  it('glues a heading standing alone above a blank line to the next paragraph', () => {
    const read = readProfile(
      '## Childhood\n\nShe grew up by the sea.\n\n## Work\n\nShe wrote every morning.',
      'notes.md',
    );
    expect(read.format).toBe('markdown');
    expect(read.chunks).toEqual(['## Childhood\nShe grew up by the sea.', '## Work\nShe wrote every morning.']);
  });

  it('cuts an over-long paragraph at sentence ends and keeps every word', () => {
    const sentence = 'The captain walked the deck at dawn and counted the sails twice. ';
    const paragraph = sentence.repeat(200).trim();
    const pieces = splitLong(paragraph, 300);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(countWords(piece)).toBeLessThanOrEqual(300);
      expect(piece.endsWith('.')).toBe(true);
    }
    expect(countWords(pieces.join(' '))).toBe(countWords(paragraph));
  });

  it('normalises Windows line endings and a byte-order mark', () => {
    const read = readProfile('\uFEFFFirst paragraph.\r\n\r\nSecond paragraph.\r\n', 'a.txt');
    expect(read.chunks).toEqual(['First paragraph.', 'Second paragraph.']);
    expect(read.format).toBe('text');
  });

  it('refuses empty and whitespace-only text with a clear message', () => {
    expect(failure(() => readProfile('  \n\n \t', null)).message).toMatch(/has no text in it/);
  });

  it('refuses a 50 MB profile and says how to proceed', () => {
    const big = 'word '.repeat((50 * 1024 * 1024) / 5);
    const error = failure(() => readProfile(big, 'huge.txt'));
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(/The text of huge\.txt is 50\.0 MB; a profile can be at most 8 MB\. Split it/);
  });
});

describe('decoding profile files', () => {
  it('reads UTF-8, UTF-8 with BOM and UTF-16 with BOM', () => {
    expect(decodeProfileBytes(Buffer.from('Grüße aus Bonn', 'utf8'), 'a.txt')).toBe('Grüße aus Bonn');
    expect(decodeProfileBytes(Buffer.from('\uFEFFBonn', 'utf8'), 'a.txt')).toBe('Bonn');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Wien 1792', 'utf16le')]);
    expect(decodeProfileBytes(utf16, 'a.txt')).toBe('Wien 1792');
  });

  it('refuses Latin-1 text, telling the user to save as UTF-8', () => {
    const error = failure(() => decodeProfileBytes(Buffer.from('Gr\xfc\xdfe aus K\xf6ln', 'latin1'), 'old.txt'));
    expect(error.code).toBe('unsupported_file');
    expect(error.message).toMatch(/old\.txt is not UTF-8 text\. Save it as UTF-8/);
  });

  it('refuses binary files and empty files', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    expect(failure(() => decodeProfileBytes(png, 'photo.txt')).message).toMatch(/looks like a binary file/);
    expect(failure(() => decodeProfileBytes(new Uint8Array(), 'empty.txt')).message).toMatch(/empty\.txt is empty/);
  });

  it('refuses files over the size limit before decoding them', () => {
    const error = failure(() => decodeProfileBytes(new Uint8Array(MAX_PROFILE_BYTES + 1), 'big.md'));
    expect(error.code).toBe('too_large');
  });
});

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { headingOf } from '../../../common/headings';
import { StudioFailure } from '../../../main/core/errors';
import { readProfile, readProfileSteps, splitLong } from '../../../main/core/profile-chunks';
import {
  base64Steps,
  checkStorableText,
  countWords,
  decodeProfileBytes,
  decodeProfileSteps,
  MAX_PROFILE_BYTES,
  normalizedLines,
  PIECE,
} from '../../../main/core/profile-text';
import { runSync } from '../../../main/core/time-slices';
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

const squash = (text: string) => text.replace(/\s+/g, '');

describe('the paper’s format is split exactly as the paper’s code splits it (issue 8, point 24)', () => {
  it('makes every blank-line piece one chunk, a list of short lines included, and merges nothing', () => {
    const names = 'Johann van Beethoven\nMaria Magdalena Keverich\nKaspar Anton Carl\nNikolaus Johann';
    const body = beethoven
      .trim()
      .split(/\n\s*\n/)
      .slice(1);
    const withList = [...body.slice(0, 3), names, '## Works', ...body.slice(3)];
    const read = readProfile(`# Ludwig van Beethoven\n\n${withList.join('\n\n')}\n`, 'wiki_Beethoven.txt');
    expect(read.format).toBe('character-llm');
    expect(read.chunks).toEqual(withList.map((piece) => piece.trim()));
  });

  it('reads a title with sections apart (Markdown as writers write it) as Markdown: no chunk is a heading alone', () => {
    const text = [
      '# Ada Lovelace',
      '## Poetical science',
      'Ada described her approach as poetical science, imagination applied to mathematics.',
      '## Health',
      'She was often ill as a child, and spent a year in bed after measles.',
    ].join('\n\n');
    for (const name of ['ada.md', null]) {
      const read = readProfile(text, name);
      expect(read).toMatchObject({ title: 'Ada Lovelace', format: 'markdown' });
      expect(read.chunks).toHaveLength(2);
      expect(read.chunks.every((chunk) => /^## [^\n]+\n\S/.test(chunk))).toBe(true);
      expect(headingOf(read.chunks[1]!)).toBe('Health');
    }
    // A .txt in the paper's layout keeps the paper's reading, a heading alone included (above).
    expect(readProfile(text, 'ada.txt').format).toBe('character-llm');
  });

  it('keeps a long paragraph whole, as the paper’s code does, where other text is cut at sentence ends', () => {
    const paragraph = 'The captain walked the deck at dawn and counted the sails twice. '.repeat(200).trim();
    expect(readProfile(`# Mara Vell\n\n${paragraph}`, 'mara.txt').chunks).toEqual([paragraph]);
    expect(readProfile(paragraph, 'mara.txt').chunks.length).toBeGreaterThan(1);
  });

  it('still glues headings in other text, but never a list or four short lines', () => {
    const list = 'Intro one.\n\n- Anna\n- Ben\n\nThey met in Bonn.\n\nAnna\nBen\nCarl\nDora\n\nAll four wrote letters.';
    expect(readProfile(list, 'notes.txt').chunks).toEqual([
      'Intro one.',
      '- Anna\n- Ben',
      'They met in Bonn.',
      'Anna\nBen\nCarl\nDora',
      'All four wrote letters.',
    ]);
  });
});

describe('hostile text (issue 8, points 17–19)', () => {
  it('normalises a long run of spaces inside a line in linear time', () => {
    const text = `word${' '.repeat(200_000)}word  \n`;
    const started = performance.now();
    const read = readProfile(text, null);
    expect(performance.now() - started).toBeLessThan(5_000); // quadratic before: over a minute
    expect(squash(read.chunks.join(''))).toBe('wordword');
    expect(read.chunks.every((chunk) => chunk.length <= 100_000)).toBe(true);
    const titled = `#${' '.repeat(200_000)}x\ny`;
    const t2 = performance.now();
    expect(readProfile(titled, null).chunks.join('')).toContain('x\ny');
    expect(performance.now() - t2).toBeLessThan(5_000);
  });

  it('cuts a paragraph of 125,000 emoji between characters, never inside a surrogate pair or a cluster', () => {
    const family = '👨‍👩‍👧'; // one grapheme of five code points
    // An odd first character, so cuts every 100,000 code units would land inside pairs and clusters.
    const text = `x${'😀'.repeat(125_000)}\n\ny${family.repeat(30_000)}`;
    const read = readProfile(text, 'emoji.txt');
    expect(read.chunks.length).toBeGreaterThan(4);
    expect(read.chunks.join('')).toBe(text.replace('\n\n', ''));
    for (const chunk of read.chunks) {
      expect(chunk.length).toBeLessThanOrEqual(100_000);
      expect(chunk).not.toMatch(/\p{Cs}|\uFFFD/u);
    }
    for (const chunk of read.chunks.filter((c) => c.includes('👨'))) {
      expect(/^y?👨/u.test(chunk) && chunk.endsWith('👧')).toBe(true);
    }
  });

  it('cuts a giant line without sentence ends at whitespace, and loses no character when splitting sentences', () => {
    const words = Array.from({ length: 40_000 }, (_, i) => `w${i}`).join(' ');
    const read = readProfile(words, null, { maxChunkWords: 100_000 });
    expect(read.chunks.length).toBeGreaterThan(1);
    for (const chunk of read.chunks) expect(chunk).toMatch(/^w\d+( w\d+)*$/);
    const odd = '?Why. !Now?! ...and then... ‽ "Quoted." (Aside.) '.repeat(300);
    expect(squash(splitLong(odd.trim(), 50).join(''))).toBe(squash(odd));
  });

  it('refuses a NUL byte anywhere, in a file past its first 8 KB or in pasted text, as binary data', () => {
    const late = `${'Plain words. '.repeat(1_000)}\0tail`;
    const error = failure(() => readProfile(decodeProfileBytes(Buffer.from(late), 'late.txt'), 'late.txt'));
    expect(error.code).toBe('unsupported_file');
    expect(error.message).toMatch(/late\.txt contains a NUL byte \(character 13001\).*binary data\. Import/);
    expect(failure(() => readProfile('\0', null)).message).toMatch(/The pasted text contains a NUL byte/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ok\0ok', 'utf16le')]);
    expect(failure(() => readProfile(decodeProfileBytes(utf16, 'u.txt'), 'u.txt')).message).toMatch(/NUL byte/);
  });

  it('refuses half of a surrogate pair instead of storing U+FFFD', () => {
    expect(failure(() => readProfile('Broken \uD83D here.', null)).message).toMatch(
      /broken character at character 8 \(half of an emoji/,
    );
    const brokenUtf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([0x3d, 0xd8, 0x41, 0x00])]);
    expect(failure(() => decodeProfileBytes(brokenUtf16, 'b.txt')).message).toMatch(/broken characters.*UTF-8/);
  });

  it('refuses a title with no text under it', () => {
    for (const text of ['# Ludwig van Beethoven', '# Ludwig van Beethoven\n\n \t\n\n']) {
      const error = failure(() => readProfile(text, 'b.md'));
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toBe(
        'b.md has a title ("Ludwig van Beethoven") but no text under it. Write the character\'s life under the title line, after a blank line, and import it again.',
      );
    }
  });

  it('refuses text that would make more than 20,000 chunks', () => {
    const error = failure(() => readProfile('a.\n\n'.repeat(20_001), 'many.txt'));
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(/many\.txt splits into 20001 chunks; a profile can have at most 20000/);
  });
});

describe('reading a big file a piece at a time (issue 9, point 3)', () => {
  // Larger than one step's piece (256 KiB), so every reader below crosses piece boundaries.
  const big = 'Der Geiger übte: ♪ 😀\r\n'.repeat(40_000);

  it('decodes base64 and UTF-8 split into pieces to exactly what one pass gives', () => {
    const bytes = runSync(base64Steps(Buffer.from(big).toString('base64'), 'big.txt'));
    expect(bytes.equals(Buffer.from(big))).toBe(true);
    expect(runSync(decodeProfileSteps(bytes, 'big.txt')).join('')).toBe(big);
    // A character split across two pieces (one byte to the left) is decoded whole.
    const shifted = Buffer.concat([Buffer.from('x'), bytes]);
    expect(runSync(decodeProfileSteps(shifted, 'big.txt')).join('')).toBe('x' + big);
  });

  it('decodes a 6 MB file a piece a step, to pieces no step joins, every pair of a piece whole', () => {
    const bytes = Buffer.from(big.repeat(6));
    expect(bytes.length).toBeGreaterThan(6_000_000);
    const steps = decodeProfileSteps(bytes, 'big.txt');
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    const pieces = step.value;
    // One step per PIECE bytes read, and what comes out is pieces of at most PIECE characters: no
    // step joins them into one 6 MB string (~40 ms on the serving thread).
    expect(yields).toBe(Math.ceil(bytes.length / PIECE));
    expect(pieces.length).toBeGreaterThan(1);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(PIECE);
    expect(pieces.some((p) => /^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p))).toBe(false);
    expect(pieces.join('')).toBe(big.repeat(6));
  });

  it('reads a profile from pieces, a piece a step, exactly as from the whole text', () => {
    const text =
      '# Ludwig van Beethoven\n\n' +
      ('He walked along the Rhine at dawn, humming.\r\n'.repeat(9) + '\r\n').repeat(3_000);
    // Cut anywhere, `\r\n` in two included.
    const pieces: string[] = [];
    for (let at = 0; at < text.length;) {
      const end = text.indexOf('\r', at + 99_991) + 1 || text.length;
      pieces.push(text.slice(at, end));
      at = end;
    }
    expect(pieces.some((p) => p.endsWith('\r'))).toBe(true);
    const steps = readProfileSteps(pieces, 'big.md', {});
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(step.value).toEqual(readProfile(text, 'big.md'));
    expect(yields).toBeGreaterThanOrEqual(3 * pieces.length);
  });

  it('refuses base64 broken in a later piece, saying what to do', () => {
    const text = Buffer.from(big).toString('base64');
    const broken = text.slice(0, 600_000) + '!' + text.slice(600_001);
    const error = failure(() => runSync(base64Steps(broken, 'big.txt')));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/^big\.txt did not arrive as base64 .*Choose the file again/);
  });

  it('finds a NUL or half a surrogate pair in a later piece and names its place in the whole text', () => {
    const at = 700_001;
    const nul = failure(() => checkStorableText(big.slice(0, at) + '\0' + big.slice(at), 'big.txt', 'Fix it.'));
    expect(nul.message).toContain(`(character ${at + 1})`);
    const lone = failure(() => checkStorableText(big.slice(0, at) + '\ud83d' + 'x', 'big.txt', 'Fix it.'));
    expect(lone.message).toContain(`at character ${at + 1} `);
    // Whole pairs across every piece boundary pass.
    expect(() => checkStorableText(big, 'big.txt', 'Fix it.')).not.toThrow();
  });

  it('splits lines in pieces exactly as one split of the whole text, Windows and old Mac line ends included', () => {
    const whole = (text: string) =>
      text
        .replace(/^\uFEFF/, '')
        .replace(/\r\n?/g, '\n')
        .split('\n')
        .map((line) => line.replace(/[ \t]+$/, ''));
    const mac = 'Bonn \t\r'.repeat(60_000);
    for (const text of [big, '\uFEFF' + big + 'end', mac, mac + '\n', '', '\r\n']) {
      expect(runSync(normalizedLines(text))).toEqual(whole(text));
      // The same from pieces cut anywhere: a `\r\n` or a long line across them.
      const pieces = Array.from({ length: Math.ceil(text.length / 65_537) }, (_, i) =>
        text.slice(i * 65_537, (i + 1) * 65_537),
      );
      expect(runSync(normalizedLines(pieces))).toEqual(whole(text));
    }
    const oneLine = 'x'.repeat(700_000);
    expect(runSync(normalizedLines([oneLine.slice(0, 300_000), oneLine.slice(300_000), '\r', '\nz']))).toEqual([
      oneLine,
      'z',
    ]);
  });
});

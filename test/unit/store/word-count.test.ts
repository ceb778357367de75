import { describe, expect, it } from 'vitest';
import { wordCount } from '../../../main/store/turn-figures';

// The stored word counts are defined as `split(/\s+/)` counts them: every white space JavaScript's
// `\s` knows separates words, nothing else does.

/** What the stored figures have always counted. */
const byRegex = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe('wordCount', () => {
  it('counts words between every kind of white space, as split(/\\s+/) does', () => {
    expect(wordCount('')).toBe(0);
    expect(wordCount('   ')).toBe(0);
    expect(wordCount('Play it again,   slower.')).toBe(4);
    expect(wordCount('\tline\none\r\nline\vtwo\fthree')).toBe(5);
    expect(wordCount('non\u00a0breaking\u2003em\u3000ideographic\ufeffbom\u2028sep')).toBe(6);
    expect(wordCount('zero\u200bwidth is no space')).toBe(4);
  });

  it('agrees with split(/\\s+/) on random texts of letters, marks and every white space', () => {
    const alphabet = [
      'a',
      'Z',
      'é',
      '9',
      ',',
      '—',
      '\u200b',
      '😀',
      ' ',
      '\t',
      '\n',
      '\r',
      '\v',
      '\f',
      '\u00a0',
      '\u1680',
      '\u2000',
      '\u200a',
      '\u2028',
      '\u2029',
      '\u202f',
      '\u205f',
      '\u3000',
      '\ufeff',
      '\u0085',
      '\u180e',
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2_000; n++) {
      let text = '';
      const length = next() % 40;
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(wordCount(text), JSON.stringify(text)).toBe(byRegex(text));
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  firstMatch,
  foldWord,
  markTerms,
  matchExpression,
  searchTerms,
  type MarkedPart,
  type SearchTerm,
} from '../../../common/search-query';

// The search box's reading, shared by the store (FTS5 MATCH) and the renderer (marks): words only,
// closed quotes as phrases, the word being typed as a prefix, operators as plain words.

describe('search query', () => {
  it('quotes every word, keeps closed phrases, ignores an open quote, and types the last word as a prefix', () => {
    expect(matchExpression('Goethe')).toBe('"goethe"*');
    expect(matchExpression('Goethe ')).toBe('"goethe"');
    expect(matchExpression('"the rent" due')).toBe('"the rent" AND "due"*');
    expect(matchExpression('"unbalanced rent')).toBe('"unbalanced" AND "rent"*');
    expect(matchExpression('a OR b NOT c NEAR(d, 3)')).toBe(
      '"a" AND "or" AND "b" AND "not" AND "c" AND "near" AND "d" AND "3"*',
    );
    expect(matchExpression('type:Lesson -x * ^y')).toBe('"type" AND "lesson" AND "x" AND "y"*');
    expect(matchExpression('Schöne Grüße')).toBe('"schone" AND "gruße"*');
    expect(matchExpression('  " * ( ) : ')).toBeNull();
    expect(searchTerms(Array.from({ length: 50 }, (_, i) => `w${i}`).join(' '))).toHaveLength(32);
  });

  it('marks the words of the query in any case and with any accents, the typed word as a prefix', () => {
    const parts = markTerms('Der Kapellmeister schläft; KAPELLE!', searchTerms('kapell SCHLAFT '));
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['schläft']);
    const typing = markTerms('Der Kapellmeister schläft; KAPELLE!', searchTerms('schlaft kapell'));
    expect(typing.filter((p) => p.match).map((p) => p.text)).toEqual(['Kapellmeister', 'schläft', 'KAPELLE']);
    expect(typing.map((p) => p.text).join('')).toBe('Der Kapellmeister schläft; KAPELLE!');
    expect(markTerms('nothing here', searchTerms('goethe '))).toEqual([{ text: 'nothing here', match: false }]);
  });

  it('finds the first word it would mark, in plain ASCII text (read by one expression) as in any other', () => {
    /** Where markTerms puts its first mark, or -1. */
    const firstMark = (text: string, query: string) => {
      const parts = markTerms(text, searchTerms(query));
      const at = parts.findIndex((p) => p.match);
      return at < 0 ? -1 : parts.slice(0, at).reduce((n, p) => n + p.text.length, 0);
    };
    const word = fc.constantFrom(
      'the',
      'then',
      'The',
      'RENT',
      'rent2',
      'sonata',
      'Sonatas',
      'Grüße',
      'grusse',
      'x',
      'é',
    );
    const gap = fc.constantFrom(' ', ', ', '-', '"', '\n', '*', '');
    const text = fc.array(fc.tuple(word, gap), { maxLength: 12 }).map((ws) => ws.map(([w, g]) => w + g).join(''));
    const query = fc.array(fc.tuple(word, fc.constantFrom(' ', '" ', ' "', '')), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(text, query, (t, q) => {
        const typed = q.map(([w, g]) => w + g).join('');
        expect(firstMatch(t, searchTerms(typed))).toBe(firstMark(t, typed));
      }),
      { numRuns: 2_000 },
    );
    expect(firstMatch('In Bonn, the organ loft.', searchTerms('ORGAN lo'))).toBe(13);
    expect(firstMatch('organist organ', searchTerms('organ '))).toBe(9);
  });

  it('marks what a word-by-word reading marks, also where the text has punctuation beyond ASCII (read by one expression)', () => {
    /** The reading by definition: every run of letters and digits, folded, against the terms. */
    const byWord = (text: string, terms: readonly SearchTerm[]): MarkedPart[] => {
      const hit = (word: string) =>
        terms.some((t) =>
          t.words.some((w, i) =>
            t.prefix && i === t.words.length - 1 ? foldWord(word).startsWith(w) : foldWord(word) === w,
          ),
        );
      const parts: MarkedPart[] = [];
      const push = (piece: string, match: boolean) => {
        const last = parts[parts.length - 1];
        if (last && last.match === match) last.text += piece;
        else if (piece !== '') parts.push({ text: piece, match });
      };
      let at = 0;
      for (const found of text.matchAll(/[\p{L}\p{N}]+/gu)) {
        if (!hit(found[0])) continue;
        push(text.slice(at, found.index), false);
        push(found[0], true);
        at = found.index + found[0].length;
      }
      push(text.slice(at), false);
      return parts.length > 0 ? parts : [{ text, match: false }];
    };
    const word = fc.constantFrom(
      'the',
      'Then',
      'RENT',
      'rent2',
      'sonata',
      'Grüße',
      'naïve',
      'x',
      '11',
      '110',
      'ſonata',
    );
    const gap = fc.constantFrom(' ', '… ', ' — ', '’', '\n', '«', '', '-');
    const text = fc.array(fc.tuple(word, gap), { maxLength: 14 }).map((ws) => ws.map(([w, g]) => w + g).join(''));
    const query = fc.array(
      fc.tuple(fc.constantFrom('the', 'rent', 'sonat', '11', 'naive', 'x'), fc.constantFrom(' ', '')),
      {
        minLength: 1,
        maxLength: 3,
      },
    );
    fc.assert(
      fc.property(text, query, (t, q) => {
        const terms = searchTerms(q.map(([w, g]) => w + g).join(''));
        expect(markTerms(t, terms)).toEqual(byWord(t, terms));
        const first = byWord(t, terms).findIndex((p) => p.match);
        expect(firstMatch(t, terms)).toBe(
          first < 0
            ? -1
            : byWord(t, terms)
                .slice(0, first)
                .reduce((n, p) => n + p.text.length, 0),
        );
      }),
      { numRuns: 2_000 },
    );
    expect(markTerms('… the turn 11.', searchTerms('turn 1'))).toEqual([
      { text: '… the ', match: false },
      { text: 'turn', match: true },
      { text: ' ', match: false },
      { text: '11', match: true },
      { text: '.', match: false },
    ]);
  });
});

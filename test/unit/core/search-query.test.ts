import { describe, expect, it } from 'vitest';
import { markTerms, matchExpression, searchTerms } from '../../../common/search-query';

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
});

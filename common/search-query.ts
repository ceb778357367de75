/**
 * The dataset browser's search box, read the same way on both sides: main turns it into an FTS5
 * MATCH expression (store/scene-search), the renderer marks the same terms in a scene's text.
 *
 * A person types words, not FTS5 syntax. Words are what SQLite's `unicode61` tokenizer keeps (runs
 * of letters and digits); everything else (`*`, `:`, `-`, parentheses, `^`, stray quotes) separates
 * them and can never reach FTS5 as an operator. `AND`, `OR`, `NOT` and `NEAR` are searched as the
 * words they are. A double-quoted part with its closing quote is a phrase; an unbalanced quote is
 * ignored. The last bare word matches as a prefix while the query does not end in a space, so the
 * list follows the typing. Every term must match (AND).
 */

/** One term of a query: its words (several for a phrase), folded as the index folds them. */
export interface SearchTerm {
  words: string[];
  /** The last word matches any word it begins (the word being typed). */
  prefix: boolean;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** A word as `unicode61 remove_diacritics 2` indexes it: lower case, without accents. */
export function foldWord(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const wordsOf = (text: string) => (text.match(WORD) ?? []).map(foldWord).filter((w) => w.length > 0);

/** The longest search the studio takes (characters); the search box stops there. */
export const SEARCH_MAX_CHARS = 500;

/** The query's terms, in order; empty when it holds no word at all. At most 32 terms are kept. */
export function searchTerms(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  // Closed quotes are phrases; whatever lies between them (and an unclosed tail) is bare words.
  const parts = query.split(/("[^"]*")/);
  parts.forEach((part, i) => {
    if (part.startsWith('"') && part.endsWith('"') && part.length >= 2) {
      const words = wordsOf(part);
      if (words.length > 0) terms.push({ words, prefix: false });
      return;
    }
    const words = wordsOf(part);
    const last = i === parts.length - 1;
    words.forEach((w, j) => terms.push({ words: [w], prefix: last && j === words.length - 1 && !/[\s"]$/.test(part) }));
  });
  return terms.slice(0, 32);
}

/**
 * The FTS5 MATCH expression for a query, or null when it has no word to look for. Every word is
 * quoted (a quoted string is always a plain token to FTS5), so no input makes a syntax error.
 */
export function matchExpression(query: string): string | null {
  const terms = searchTerms(query);
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`).join(' AND ');
}

/** A run of text, marked when it is one of the query's words. */
export interface MarkedPart {
  text: string;
  match: boolean;
}

/** A test of whether a word as found in text is one of the terms' words (folded; a prefix term's last word begins it). */
function termWords(terms: readonly SearchTerm[]): (word: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const t of terms) {
    t.words.forEach((w, i) => {
      if (t.prefix && i === t.words.length - 1) prefixes.push(w);
      else exact.add(w);
    });
  }
  return (word) => {
    const folded = foldWord(word);
    return exact.has(folded) || prefixes.some((p) => folded.startsWith(p));
  };
}

/** Nothing beyond ASCII (the empty string too). */
const ASCII = /^[^\u0080-\uffff]*$/;

/**
 * A letter or digit beyond ASCII, or a combining mark: what makes a text's words fold otherwise
 * than by lower case. Punctuation beyond ASCII (… — ’ «») does not: it only separates words.
 */
const FOLDED_BEYOND_ASCII = /[^\P{L}a-zA-Z]|[^\P{N}0-9]|\p{M}/u;

/** Whether every word of `text` is ASCII letters and digits (its other characters may be anything). */
const asciiWordsOnly = (text: string) => ASCII.test(text) || !FOLDED_BEYOND_ASCII.test(text);

/**
 * One expression finding the terms' words in text whose words are ASCII, or null when a term has a
 * letter beyond ASCII. Such a word folds to its lower case, so a case-blind match of the whole word
 * (of its start, for the prefix) is exactly what `termWords` decides word by word, at a fraction of
 * the cost: an experience is thousands of characters, and a list page reads a hundred of them.
 */
function asciiWords(terms: readonly SearchTerm[]): RegExp | null {
  const exact: string[] = [];
  const prefixes: string[] = [];
  for (const t of terms) t.words.forEach((w, i) => (t.prefix && i === t.words.length - 1 ? prefixes : exact).push(w));
  if (![...exact, ...prefixes].every((w) => ASCII.test(w))) return null;
  const ways = [
    ...(exact.length > 0 ? [`(?:${exact.join('|')})(?![\\p{L}\\p{N}])`] : []),
    ...(prefixes.length > 0 ? [`(?:${prefixes.join('|')})`] : []),
  ];
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${ways.join('|')})`, 'giu');
}

/** Each query's expression, made once for the hundred texts of a page (its `lastIndex` is set before each use). */
const quickWords = new WeakMap<readonly SearchTerm[], RegExp | null>();

function quickFor(terms: readonly SearchTerm[]): RegExp | null {
  let quick = quickWords.get(terms);
  if (quick === undefined) quickWords.set(terms, (quick = asciiWords(terms)));
  return quick;
}

/** Where in `text` the first word matching one of `terms` starts (a UTF-16 index), or -1. */
export function firstMatch(text: string, terms: readonly SearchTerm[]): number {
  if (terms.length === 0) return -1;
  const quick = quickFor(terms);
  if (quick && asciiWordsOnly(text)) {
    quick.lastIndex = 0;
    return quick.exec(text)?.index ?? -1;
  }
  const matches = termWords(terms);
  for (const found of text.matchAll(WORD)) if (matches(found[0])) return found.index;
  return -1;
}

/** A word (a run of letters and digits) starting where the expression is set (`lastIndex`). */
const WORD_AT = /[\p{L}\p{N}]+/uy;

/**
 * The start and end (UTF-16 indexes) of each word of `text` that matches one of `terms`, in order.
 * Text of ASCII words is read by the terms' one expression, which jumps from mark to mark; other
 * text word by word, each distinct word folded once.
 */
function marks(text: string, terms: readonly SearchTerm[]): [number, number][] {
  const found: [number, number][] = [];
  const quick = quickFor(terms);
  if (quick && asciiWordsOnly(text)) {
    quick.lastIndex = 0;
    for (let hit = quick.exec(text); hit; hit = quick.exec(text)) {
      // A prefix matched the start of the word: the mark is the whole word.
      WORD_AT.lastIndex = hit.index;
      const end = hit.index + (WORD_AT.exec(text)?.[0].length ?? hit[0].length);
      found.push([hit.index, end]);
      quick.lastIndex = end;
    }
    return found;
  }
  const matches = termWords(terms);
  const known = new Map<string, boolean>();
  for (const word of text.matchAll(WORD)) {
    let match = known.get(word[0]);
    if (match === undefined) known.set(word[0], (match = matches(word[0])));
    if (match) found.push([word.index, word.index + word[0].length]);
  }
  return found;
}

/**
 * `text` cut into runs, the words that match one of `terms` marked (any case, any accents; the
 * prefix term marks words it begins). A phrase's words are marked wherever they occur, which is
 * enough for a reader to find the phrase. Unmarked text comes back as one part.
 */
export function markTerms(text: string, terms: readonly SearchTerm[]): MarkedPart[] {
  if (terms.length === 0 || text === '') return [{ text, match: false }];
  const parts: MarkedPart[] = [];
  let at = 0;
  const push = (piece: string, match: boolean) => {
    const last = parts[parts.length - 1];
    if (last && last.match === match) last.text += piece;
    else if (piece !== '') parts.push({ text: piece, match });
  };
  for (const [start, end] of marks(text, terms)) {
    push(text.slice(at, start), false);
    push(text.slice(start, end), true);
    at = end;
  }
  push(text.slice(at), false);
  return parts.length > 0 ? parts : [{ text, match: false }];
}

/**
 * The inline part of a chat message's Markdown (chat-markdown.ts holds the blocks): code spans,
 * backslash escapes, and emphasis with `*` or `_` (one for italics, two for bold), by CommonMark's
 * delimiter rules, except that a run inside a word or a number (`5*3*2`) does nothing. A run that
 * never closes stays as its characters. Linear in the text.
 */

export type Inline =
  { kind: 'text'; text: string } | { kind: 'code'; text: string } | { kind: 'em' | 'strong'; children: Inline[] };

/** The text of inline nodes however deep they nest, without recursion. */
export function inlineText(nodes: readonly Inline[]): string {
  let out = '';
  const stack: Inline[] = [...nodes].reverse();
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.kind === 'text' || node.kind === 'code') out += node.text;
    else for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}

/**
 * A run of `*` or `_` not yet matched: what it may still do, how many of its characters are left,
 * and its neighbours among the runs still in play (CommonMark's delimiter stack).
 */
interface Delimiter {
  kind: 'delimiter';
  char: '*' | '_';
  count: number;
  canOpen: boolean;
  canClose: boolean;
  /** Its order in the text. */
  position: number;
  /** Where it sits in the list of nodes. */
  link: Link;
  before: Delimiter | null;
  after: Delimiter | null;
}

/** The nodes of a text in a linked list, so wrapping a stretch of them in emphasis costs no copying of the rest. */
interface Link {
  node: Inline | Delimiter;
  prev: Link | null;
  next: Link | null;
}

const WHITESPACE = /\s/u;
const PUNCTUATION = /[\p{P}\p{S}]/u;
const ESCAPABLE = /[!-/:-@[-`{-~]/;
const SPECIAL = /[\\`*_]/g;

/** Text with code spans, escapes and emphasis, as a tree. */
export function parseInline(text: string): Inline[] {
  const head: Link = { node: { kind: 'text', text: '' }, prev: null, next: null };
  let tail = head;
  let firstRun: Delimiter | null = null;
  let lastRun: Delimiter | null = null;
  const append = (node: Inline | Delimiter): Link => {
    const link: Link = { node, prev: tail, next: null };
    tail.next = link;
    tail = link;
    return link;
  };
  let plain = '';
  const flush = () => {
    if (plain !== '') append({ kind: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const run = runLength(text, i, '`');
      const close = closingBackticks(text, i + run, run);
      if (close < 0) {
        plain += '`'.repeat(run); // no closing run of the same length: the backticks are text
        i += run;
      } else {
        flush();
        append({ kind: 'code', text: codeText(text.slice(i + run, close)) });
        i = close + run;
      }
      continue;
    }
    if (c === '*' || c === '_') {
      const run = runLength(text, i, c);
      flush();
      const link = append({ kind: 'text', text: '' });
      const can = flanking(text[i - 1], text[i + run]);
      const delimiter: Delimiter = {
        kind: 'delimiter',
        char: c,
        count: run,
        canOpen: can.canOpen,
        canClose: can.canClose,
        position: i,
        link,
        before: lastRun,
        after: null,
      };
      link.node = delimiter;
      if (lastRun) lastRun.after = delimiter;
      else firstRun = delimiter;
      lastRun = delimiter;
      i += run;
      continue;
    }
    // Up to the next character that may mean something, in one piece.
    SPECIAL.lastIndex = i + 1;
    const next = SPECIAL.exec(text)?.index ?? text.length;
    plain += text.slice(i, next);
    i = next;
  }
  flush();
  matchEmphasis(firstRun);
  const out: Inline[] = [];
  for (let link = head.next; link; link = link.next) out.push(asInline(link.node));
  return merged(out);
}

function runLength(text: string, at: number, char: string): number {
  let end = at;
  while (text[end] === char) end++;
  return end - at;
}

/** Where the next run of exactly `length` backticks after `from` starts, or -1. */
function closingBackticks(text: string, from: number, length: number): number {
  for (let at = text.indexOf('`', from); at >= 0;) {
    const run = runLength(text, at, '`');
    if (run === length) return at;
    at = text.indexOf('`', at + run);
  }
  return -1;
}

/** A code span's text: line breaks as spaces, one space on each side dropped (so `` ` `` can be written). */
function codeText(raw: string): string {
  const text = raw.replace(/\n/g, ' ');
  return text.length > 2 && text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '' ? text.slice(1, -1) : text;
}

/**
 * Whether a delimiter run can open or close emphasis, by the characters around it (none:
 * whitespace). CommonMark's flanking rules, with its rule for `_` applied to `*` as well: a run
 * inside a word (letters or digits on both sides) does neither.
 */
function flanking(before = ' ', after = ' '): { canOpen: boolean; canClose: boolean } {
  const spaceBefore = WHITESPACE.test(before);
  const spaceAfter = WHITESPACE.test(after);
  const punctBefore = PUNCTUATION.test(before);
  const punctAfter = PUNCTUATION.test(after);
  const left = !spaceAfter && (!punctAfter || spaceBefore || punctBefore);
  const right = !spaceBefore && (!punctBefore || spaceAfter || punctAfter);
  return { canOpen: left && (!right || punctBefore), canClose: right && (!left || punctAfter) };
}

/**
 * CommonMark's "process emphasis": each closing run, left to right, pairs with the nearest opening
 * run of the same character before it (two characters of each for strong, else one), and the nodes
 * between become the emphasis' children; runs between the two are text from then on. `floor`
 * remembers, per character, the position at and below which no opener is left, so a text of many
 * unmatched runs is still read in linear time.
 */
function matchEmphasis(first: Delimiter | null): void {
  const floor = { '*': -1, _: -1 };
  const drop = (d: Delimiter) => {
    if (d.before) d.before.after = d.after;
    if (d.after) d.after.before = d.before;
  };
  const unlink = (link: Link) => {
    link.prev!.next = link.next;
    if (link.next) link.next.prev = link.prev;
  };
  let closer = first;
  while (closer) {
    if (!closer.canClose) {
      closer = closer.after;
      continue;
    }
    let opener = closer.before;
    while (opener && opener.position > floor[closer.char] && !(opener.char === closer.char && opener.canOpen))
      opener = opener.before;
    if (!opener || opener.position <= floor[closer.char]) {
      floor[closer.char] = closer.position - 1;
      const next: Delimiter | null = closer.after;
      if (!closer.canOpen) drop(closer);
      closer = next;
      continue;
    }
    const used = opener.count >= 2 && closer.count >= 2 ? 2 : 1;
    opener.count -= used;
    closer.count -= used;
    opener.after = closer;
    closer.before = opener;
    const children: Inline[] = [];
    for (let link = opener.link.next!; link !== closer.link; link = link.next!) children.push(asInline(link.node));
    const emphasis: Link = {
      node: { kind: used === 2 ? 'strong' : 'em', children: merged(children) },
      prev: opener.link,
      next: closer.link,
    };
    opener.link.next = emphasis;
    closer.link.prev = emphasis;
    if (opener.count === 0) {
      unlink(opener.link);
      drop(opener);
    }
    if (closer.count === 0) {
      const next: Delimiter | null = closer.after;
      unlink(closer.link);
      drop(closer);
      closer = next;
    }
  }
}

/** What is left of an unmatched run is its characters, as text. */
function asInline(node: Inline | Delimiter): Inline {
  return node.kind === 'delimiter' ? { kind: 'text', text: node.char.repeat(node.count) } : node;
}

/** Neighbouring text nodes joined. */
function merged(nodes: Inline[]): Inline[] {
  const out: Inline[] = [];
  for (const node of nodes) {
    const last = out.at(-1);
    if (node.kind === 'text' && last?.kind === 'text')
      out[out.length - 1] = { kind: 'text', text: last.text + node.text };
    else if (node.kind !== 'text' || node.text !== '') out.push(node);
  }
  return out;
}

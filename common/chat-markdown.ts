/**
 * The small part of Markdown a chat message is shown with: paragraphs (blank lines between; a single
 * line break is kept, as typed), `*actions*` and `_italics_`, `**bold**`, `` `code` ``, fenced code,
 * lists (nested by indentation), headings, quotes and `***` scene breaks. Everything else is text,
 * shown as written: there are no links, images or HTML, and nothing here ever becomes markup that the
 * page would interpret (the tree is drawn with React elements by chat/MessageText.tsx).
 *
 * Display only: the stored message keeps its text exactly (an edit shows it raw, Copy copies it).
 * Rules follow CommonMark where they matter for chat, with one difference: an asterisk between two
 * letters or digits never opens or closes emphasis (as CommonMark already has it for `_`), so
 * `5*3*2` and `file*name*` stay as typed. What never closes stays a literal character.
 * Pure and linear in the text: a reply is parsed again at each streamed piece.
 */

import type { HighlightPart } from './contract';
import { inlineText, parseInline, type Inline } from './chat-markdown-inline';

export type { Inline };

export type Block =
  /** Its text keeps single line breaks as `\n` in text nodes: shown with `white-space: pre-wrap`. */
  | { kind: 'paragraph'; content: Inline[] }
  | { kind: 'heading'; level: number; content: Inline[] }
  | { kind: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'rule' };

/** Lists and quotes inside each other deeper than this are read as plain paragraphs. */
const MAX_DEPTH = 8;

export function parseMarkdown(text: string): Block[] {
  return parseBlocks(text.replace(/\r\n?/g, '\n').split('\n'), 0);
}

/** What a reader sees of `text`, its marks left out and its blocks joined by spaces: for one-line previews. */
export function markdownText(text: string): string {
  const out: string[] = [];
  const walk = (blocks: readonly Block[]) => {
    for (const b of blocks) {
      if (b.kind === 'paragraph' || b.kind === 'heading') out.push(inlineText(b.content));
      else if (b.kind === 'code') out.push(b.text);
      else if (b.kind === 'quote') walk(b.blocks);
      else if (b.kind === 'list') b.items.forEach(walk);
    }
  };
  walk(parseMarkdown(text));
  return out.join(' ');
}

/** A title (one line) as a reader sees it: its inline marks (`*waves*`, `**bold**`, code) left out. */
export function markdownTitle(title: string): string {
  return inlineText(parseInline(title));
}

// Private-use characters that mark where a search match starts and ends while the marks are read:
// taken as letters by the emphasis rules, as the matched word's own letters are.
const MATCH_START = '\uE000';
const MATCH_END = '\uE001';

/**
 * A search snippet (words around a match, the match marked) as a reader sees it: the text's inline
 * marks left out as `parseInline` reads them, read over the whole snippet so a mark around a match
 * pairs up; the matched words stay marked. A mark cut off by the snippet's edge stays as typed.
 */
export function markdownSnippet(parts: readonly HighlightPart[]): HighlightPart[] {
  const clean = (text: string) => text.replaceAll(MATCH_START, '').replaceAll(MATCH_END, '');
  const marked = parts.map((p) => (p.match ? MATCH_START + clean(p.text) + MATCH_END : clean(p.text))).join('');
  const out: HighlightPart[] = [];
  for (const piece of inlineText(parseInline(marked)).split(MATCH_START)) {
    const end = piece.indexOf(MATCH_END);
    const match = end < 0 ? '' : piece.slice(0, end);
    const rest = end < 0 ? piece : piece.slice(end + 1);
    if (match !== '') out.push({ text: match, match: true });
    if (rest !== '') out.push({ text: rest, match: false });
  }
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
/** A list item: its indent, its marker, the spaces after it, and its first line (not empty). */
const ITEM = /^( *)([-*+]|\d{1,9}[.)])( {1,4}|\t)(?=\S)/;

interface ItemStart {
  indent: number;
  ordered: boolean;
  /** `-`, `*`, `+`, `.` or `)`: a different one starts another list. */
  marker: string;
  number: number;
  /** Where the item's content begins: lines indented this far belong to it. */
  column: number;
}

function itemStart(line: string): ItemStart | null {
  const m = ITEM.exec(line);
  if (!m) return null;
  const [whole, indent, marker] = m as unknown as [string, string, string];
  const ordered = /\d/.test(marker);
  return {
    indent: indent.length,
    ordered,
    marker: ordered ? marker.slice(-1) : marker,
    number: ordered ? Number(marker.slice(0, -1)) : 1,
    column: whole.replace(/\t/g, '    ').length,
  };
}

const blank = (line: string) => line.trim() === '';

/** Whether `line` begins a block other than a paragraph (so it ends a paragraph running before it). */
function startsBlock(line: string, depth: number): boolean {
  if (FENCE.test(line) || HEADING.test(line) || RULE.test(line)) return true;
  if (depth >= MAX_DEPTH) return false;
  if (QUOTE.test(line)) return true;
  const item = itemStart(line);
  // As in CommonMark, a numbered line interrupts a paragraph only from 1: "in\n1809. It was cold" is one paragraph.
  return item !== null && item.indent < 4 && (!item.ordered || item.number === 1);
}

function parseBlocks(lines: readonly string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (blank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const mark = fence[1]!;
      const closing = new RegExp(`^ {0,3}${mark[0] === '`' ? '`' : '~'}{${mark.length},}[ \\t]*$`);
      const body: string[] = [];
      i++;
      // An unclosed fence runs to the end (as a reply still being written shows it).
      while (i < lines.length && !closing.test(lines[i]!)) body.push(lines[i++]!);
      i++;
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]!.length, content: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (depth < MAX_DEPTH && QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) body.push(lines[i++]!.replace(QUOTE, ''));
      blocks.push({ kind: 'quote', blocks: parseBlocks(body, depth + 1) });
      continue;
    }
    const item = depth < MAX_DEPTH && itemStart(line);
    if (item && item.indent < 4) {
      i = parseList(lines, i, item, depth, blocks);
      continue;
    }
    const body: string[] = [line.trim()];
    i++;
    while (i < lines.length && !blank(lines[i]!) && !startsBlock(lines[i]!, depth)) body.push(lines[i++]!.trim());
    blocks.push({ kind: 'paragraph', content: parseInline(body.join('\n')) });
  }
  return blocks;
}

/**
 * The list starting at `lines[from]`: its items, each parsed as blocks of its own (so a deeper
 * indented item makes a nested list). Returns the index of the first line after it.
 */
function parseList(lines: readonly string[], from: number, first: ItemStart, depth: number, out: Block[]): number {
  const items: string[][] = [];
  let current: string[] = [];
  let column = first.column;
  let i = from;
  let previousBlank = false;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (blank(line)) {
      current.push('');
      previousBlank = true;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    const item = itemStart(line);
    if (i === from || (item && indent < column && item.ordered === first.ordered && item.marker === first.marker)) {
      const start = i === from ? first : item!;
      current = [line.replace(/\t/g, '    ').slice(start.column)];
      items.push(current);
      column = start.column;
    } else if (indent >= column) {
      current.push(line.slice(column));
    } else if (!previousBlank && !startsBlock(line, depth)) {
      current.push(line.trim()); // a lazy continuation of the item's paragraph
    } else {
      break;
    }
    previousBlank = false;
  }
  // Blank lines at the end belong after the list, not inside its last item.
  while (current.length > 0 && current.at(-1) === '') current.pop();
  out.push({
    kind: 'list',
    ordered: first.ordered,
    start: first.number,
    items: items.map((body) => parseBlocks(body, depth + 1)),
  });
  return i;
}

import { HEADING_MAX_CHARS } from '../../../common/headings';

/** One line of a PDF page as pdf.ts reads it: its text, baseline height (points from the page's foot), left edge and font size. */
export interface PdfLine {
  text: string;
  y: number;
  x: number;
  size: number;
  chars: number;
}

/**
 * Pages of lines → profile text. What it does, in order, and how far each rule is trusted:
 *
 * 1. Running heads and feet go: a line among the first two or last two of a page whose text, with
 *    its digits ignored, appears there on at least half the pages (and on two or more). A bare page
 *    number (`12`, `- 12 -`, `Page 12`, `12 of 300`) at the top or foot of a page goes too.
 * 2. Lines join into paragraphs; a paragraph ends where the gap to the next baseline is over 1.4
 *    times the page's line spacing (see usualSpacing), or where a line ends a sentence and the next is indented.
 *    A word hyphenated at a line's end (`exam-` / `ple`) is joined again. A paragraph cut by a page
 *    break continues when it does not end a sentence and the next page starts in lower case.
 * 3. Headings are found only by font size, the one sign a PDF keeps reliably: a line of its own, at
 *    most HEADING_MAX_CHARS long, set at least 1.2 times the body size (the size most characters
 *    have) becomes `##`, at least 1.6 times `#`. A PDF set in one size gets no headings: bold or
 *    centred titles are not guessed at, as the guess goes wrong on ordinary short lines.
 */
export function pdfLinesToText(pages: readonly (readonly PdfLine[])[]): string {
  const kept = dropRunningLines(pages);
  const body = bodySize(kept);
  const paragraphs: { text: string; heading: boolean }[] = [];
  let pageStart = true;
  for (const lines of kept) {
    const spacing = usualSpacing(lines);
    let previous: PdfLine | null = null;
    for (const line of lines) {
      const level = line.size >= body * 1.6 ? 1 : line.size >= body * 1.2 ? 2 : 0;
      const last = paragraphs[paragraphs.length - 1];
      if (level > 0 && line.text.length <= HEADING_MAX_CHARS) {
        paragraphs.push({ text: `${'#'.repeat(level)} ${line.text}`, heading: true });
      } else if (
        last &&
        !last.heading &&
        (pageStart
          ? !/[.!?:"'”’)]$/.test(last.text) && /^[\p{Ll}]/u.test(line.text)
          : previous !== null && continues(previous, line, spacing, last.text))
      ) {
        last.text = joinLine(last.text, line.text);
      } else {
        paragraphs.push({ text: line.text, heading: false });
      }
      previous = line;
      pageStart = false;
    }
    pageStart = true;
  }
  return paragraphs.map((paragraph) => paragraph.text).join('\n\n');
}

function continues(previous: PdfLine, line: PdfLine, spacing: number, paragraph: string): boolean {
  const gap = previous.y - line.y;
  if (gap <= 0 || gap > spacing * 1.4) return false;
  const indented = line.x > previous.x + previous.size * 0.8;
  return !(indented && /[.!?"'”’)]$/.test(paragraph));
}

function joinLine(paragraph: string, line: string): string {
  if (/\p{L}-$/u.test(paragraph) && /^\p{Ll}/u.test(line)) return paragraph.slice(0, -1) + line;
  return `${paragraph} ${line}`;
}

const PAGE_NUMBER = /^(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|\/)\s*\d{1,4})?(?:\s*[-–—])?$/i;

function dropRunningLines(pages: readonly (readonly PdfLine[])[]): PdfLine[][] {
  const edge = (lines: readonly PdfLine[], index: number) => index < 2 || index >= lines.length - 2;
  const key = (text: string) => text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ');
  const seen = new Map<string, number>();
  for (const lines of pages) {
    const keys = new Set(lines.filter((_, index) => edge(lines, index)).map((line) => key(line.text)));
    for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const repeats = (text: string) => {
    const count = seen.get(key(text)) ?? 0;
    return count >= 2 && count >= pages.length / 2;
  };
  return pages.map((lines) =>
    lines.filter((line, index) => !(edge(lines, index) && (PAGE_NUMBER.test(line.text) || repeats(line.text)))),
  );
}

/** The font size most characters are set in. */
function bodySize(pages: readonly (readonly PdfLine[])[]): number {
  const weight = new Map<number, number>();
  for (const lines of pages) {
    for (const line of lines) {
      const size = Math.round(line.size * 2) / 2;
      weight.set(size, (weight.get(size) ?? 0) + line.chars);
    }
  }
  let best = 0;
  let bestWeight = -1;
  for (const [size, chars] of weight) {
    if (chars > bestWeight) [best, bestWeight] = [size, chars];
  }
  return best || 1;
}

/**
 * The page's line spacing: the lower quartile of the gaps between consecutive baselines of lines
 * set in one size (paragraph gaps and the space around headings are the larger gaps, so the
 * smaller ones are the spacing); 1.2 times the first line's size when no two lines qualify.
 */
function usualSpacing(lines: readonly PdfLine[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [above, below] = [lines[i - 1]!, lines[i]!];
    const gap = above.y - below.y;
    if (gap > 0 && Math.abs(above.size - below.size) < 0.5 && gap <= below.size * 3) gaps.push(gap);
  }
  if (gaps.length === 0) return (lines[0]?.size ?? 12) * 1.2;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 4)]!;
}

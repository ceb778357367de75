import { StudioFailure } from '../errors';
import type { ManuscriptLimits } from './limits';
import { pdfLinesToText, type PdfLine } from './pdf-layout';

/** The part of pdfjs-dist's text content this reader uses (a TextItem; marked content has no `str`). */
interface TextItem {
  str: string;
  transform: number[];
  hasEOL: boolean;
}

/**
 * A PDF → profile text with pdfjs-dist (Mozilla's PDF.js, the legacy build that runs in Node): the
 * text of every page, joined into lines and paragraphs and cleaned of running heads, by
 * pdf-layout.ts. Refused whole, naming the file: more than `maxPdfPages` pages, a password, a file
 * pdfjs cannot parse, and a PDF with no text layer (a scan), which needs OCR first.
 */
export async function pdfToText(bytes: Buffer, fileName: string, limits: ManuscriptLimits): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    // pdfjs takes the buffer over (transfers it); give it a copy.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  let document: Awaited<typeof task.promise>;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = error instanceof Error ? error.name : '';
    if (name === 'PasswordException') {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is protected by a password, so its text cannot be read. Open it in a PDF reader, save a copy without the password (Print → Save as PDF works), and import that.`,
      );
    }
    throw damaged(fileName, error);
  }
  try {
    if (document.numPages > limits.maxPdfPages) {
      throw new StudioFailure(
        'too_large',
        `${fileName} has ${document.numPages} pages; a profile may come from at most ${limits.maxPdfPages}. Split the PDF (one volume or part at a time) and import the parts.`,
      );
    }
    const pages: PdfLine[][] = [];
    for (let number = 1; number <= document.numPages; number++) {
      try {
        const page = await document.getPage(number);
        const content = await page.getTextContent();
        pages.push(linesOf(content.items.filter((item) => 'str' in item)));
        page.cleanup();
      } catch (error) {
        // A page whose objects are broken: the file is damaged past its first look.
        throw damaged(fileName, error);
      }
    }
    const text = pdfLinesToText(pages);
    if (!text) {
      throw new StudioFailure(
        'invalid_argument',
        `${fileName} has no text layer: its pages are pictures (a scan?). Nothing was imported. Run it through OCR (text recognition) first, or import the text as .txt.`,
      );
    }
    return text;
  } finally {
    await document.destroy();
  }
}

function damaged(fileName: string, error: unknown): StudioFailure {
  return new StudioFailure(
    'unsupported_file',
    `${fileName} is damaged or not a PDF (${error instanceof Error ? error.message : String(error)}). Nothing was imported. Save it again from the program that made it.`,
  );
}

/** A page's text items as lines: a new line where an item ends one or where the baseline moves. */
function linesOf(items: readonly TextItem[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let current: PdfLine | null = null;
  for (const item of items) {
    const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform;
    const size = Math.hypot(c, d) || Math.hypot(a, b) || 1;
    if (item.str !== '') {
      if (current && Math.abs(current.y - y) > size * 0.4) {
        lines.push(current);
        current = null;
      }
      if (!current) current = { text: '', y, x, size, chars: 0 };
      current.text += item.str;
      current.chars += item.str.length;
      current.size = Math.max(current.size, size);
    }
    if (item.hasEOL && current) {
      lines.push(current);
      current = null;
    }
  }
  if (current) lines.push(current);
  return lines.map((line) => ({ ...line, text: line.text.replace(/\s+/g, ' ').trim() })).filter((line) => line.text);
}

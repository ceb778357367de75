import { StudioFailure } from '../errors';
import { megabytes } from '../profile-text';
import { docxToText } from './docx';
import { epubToText } from './epub';
import type { ManuscriptLimits } from './limits';
import { pdfToText } from './pdf';

/** File names the manuscript readers take: the rest (.txt, .md, cards) are read as text by profile-service.ts. */
export const MANUSCRIPT_EXTENSION = /\.(docx|epub|pdf)$/i;

export function isManuscript(fileName: string | null): boolean {
  return fileName !== null && MANUSCRIPT_EXTENSION.test(fileName);
}

/**
 * A manuscript's bytes → profile text (Markdown headings for its chapters and sections), chosen by
 * the file's extension and checked against its magic bytes, so a renamed file gets a message
 * saying what it really is. Every failure is a StudioFailure naming the file.
 */
export async function readManuscript(bytes: Buffer, fileName: string, limits: ManuscriptLimits): Promise<string> {
  checkManuscriptSize(bytes.length, fileName, limits);
  const extension = MANUSCRIPT_EXTENSION.exec(fileName)?.[1]?.toLowerCase();
  const isZip = bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  const isPdf = bytes.subarray(0, 1024).includes('%PDF-');
  if (extension === 'pdf') {
    if (!isPdf) throw notWhatItSays(fileName, 'PDF');
    return pdfToText(bytes, fileName, limits);
  }
  if (!isZip) throw notWhatItSays(fileName, extension === 'epub' ? 'EPUB' : 'Word (.docx)');
  if (extension === 'epub') return epubToText(bytes, fileName, limits);
  return docxToText(bytes, fileName, limits);
}

/** Refuses a manuscript file over `limits.maxFileBytes`. */
export function checkManuscriptSize(bytes: number, fileName: string, limits: ManuscriptLimits): void {
  if (bytes > limits.maxFileBytes) {
    throw new StudioFailure(
      'too_large',
      `${fileName} is ${megabytes(bytes)}; a manuscript can be at most ${megabytes(limits.maxFileBytes)}. Split it (one volume or part at a time) and import the parts.`,
    );
  }
}

function notWhatItSays(fileName: string, kind: string): StudioFailure {
  return new StudioFailure(
    'unsupported_file',
    `${fileName} is not a ${kind} file, whatever its name says (its first bytes are wrong, or it is damaged). Nothing was imported. Open it in the program that made it and save it again.`,
  );
}

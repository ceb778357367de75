import mammoth from 'mammoth';
import { StudioFailure } from '../errors';
import { megabytes } from '../profile-text';
import { htmlToProfileText } from './html-text';
import type { ManuscriptLimits } from './limits';
import { ZipArchive } from './zip-archive';

/**
 * Word styles that title what follows, beyond mammoth's own map (Heading 1–6 → h1–h6): a
 * document's Title and Subtitle, and the chapter styles writers' templates use.
 */
const STYLE_MAP = [
  "p[style-name='Title'] => h1:fresh",
  'p.Title => h1:fresh',
  "p[style-name='Subtitle'] => h2:fresh",
  'p.Subtitle => h2:fresh',
  "p[style-name='Chapter Title'] => h1:fresh",
  "p[style-name='Chapter'] => h1:fresh",
];

/**
 * A .docx (Office Open XML) → profile text: mammoth reads the document's paragraphs and styles to
 * HTML, and html-text.ts makes its headings `#` headings. Images, comments and tracked deletions
 * are left out. The zip is opened first with the studio's own reader: climbing names and a body
 * that unpacks past the cap are refused before mammoth inflates anything.
 */
export async function docxToText(bytes: Buffer, fileName: string, limits: ManuscriptLimits): Promise<string> {
  const zip = await ZipArchive.open(bytes, fileName, {
    maxEntries: limits.maxZipEntries,
    maxBytes: limits.maxUnpackedBytes,
  });
  try {
    if (!zip.has('word/document.xml')) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is not a Word document: it lacks word/document.xml. If it is an old .doc file, open it in Word or LibreOffice and save it as .docx.`,
      );
    }
    if (zip.declaredBytes > limits.maxUnpackedBytes) {
      throw new StudioFailure(
        'too_large',
        `${fileName} unpacks to ${megabytes(zip.declaredBytes)}, more than the ${megabytes(limits.maxUnpackedBytes)} a profile may come from. Split the document and import it in parts.`,
      );
    }
  } finally {
    zip.close();
  }
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: bytes },
      {
        styleMap: STYLE_MAP,
        // Images would come back as data URIs (megabytes of base64) only to be dropped.
        convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })),
        externalFileAccess: false,
      },
    );
    html = result.value;
  } catch (error) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is damaged: Word's document inside it could not be read (${error instanceof Error ? error.message : String(error)}). ` +
        'Nothing was imported. Open it in Word or LibreOffice, save it again, and import the new file.',
    );
  }
  const text = htmlToProfileText(html);
  if (!text) {
    throw new StudioFailure(
      'invalid_argument',
      `${fileName} has no text in it (only images, or an empty page). Nothing was imported.`,
    );
  }
  return text;
}

import path from 'node:path';
import { StudioFailure } from '../errors';
import { htmlToProfileText } from './html-text';
import type { ManuscriptLimits } from './limits';
import { xmlElements } from './xml-elements';
import { ZipArchive } from './zip-archive';

/**
 * An EPUB (2 or 3) → profile text: the book's title as the `#` heading, then every document of the
 * reading order (the package document's `<spine>`, in order; items marked `linear="no"`, such as
 * notes and covers, left out) as text with its h1–h6 as headings, so chapters stay chapters.
 * Refused whole, naming the file: a damaged zip, a name climbing out of the archive, a missing
 * container or package document, DRM-encrypted content, and a book without any text.
 */
export async function epubToText(bytes: Buffer, fileName: string, limits: ManuscriptLimits): Promise<string> {
  const zip = await ZipArchive.open(bytes, fileName, {
    maxEntries: limits.maxZipEntries,
    maxBytes: limits.maxUnpackedBytes,
  });
  try {
    if (
      zip.has('META-INF/encryption.xml') &&
      /EncryptedData/i.test((await zip.read('META-INF/encryption.xml')).toString('utf8'))
    ) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is protected by DRM (its chapters are encrypted), so its text cannot be read. Import a DRM-free copy of the book.`,
      );
    }
    if (!zip.has('META-INF/container.xml')) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is not an EPUB: it lacks META-INF/container.xml, which every EPUB has. Export the book again as EPUB.`,
      );
    }
    const container = xmlElements((await zip.read('META-INF/container.xml')).toString('utf8'));
    const opfPath = container.find((element) => element.name === 'rootfile')?.attributes['full-path'];
    if (!opfPath || !zip.has(opfPath)) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is damaged: its container.xml names no package document (.opf) inside the book. Export the book again as EPUB.`,
      );
    }
    const opf = xmlElements((await zip.read(opfPath)).toString('utf8'));
    const base = path.posix.dirname(opfPath);
    const manifest = new Map<string, { href: string; type: string }>();
    for (const item of opf.filter((element) => element.name === 'item')) {
      const { id, href } = item.attributes;
      if (id && href) manifest.set(id, { href: resolveHref(base, href), type: item.attributes['media-type'] ?? '' });
    }
    const spine = opf
      .filter((element) => element.name === 'itemref' && element.attributes.linear !== 'no')
      .map((element) => manifest.get(element.attributes.idref ?? ''))
      .filter((item): item is { href: string; type: string } => item !== undefined && /html/i.test(item.type));
    const title = opf.find((element) => element.name === 'title' && element.text)?.text.replace(/\s+/g, ' ');
    const parts: string[] = [];
    for (const item of spine) {
      if (!item.href || !zip.has(item.href)) continue;
      const text = htmlToProfileText((await zip.read(item.href)).toString('utf8'));
      if (text) parts.push(text);
    }
    if (parts.length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `${fileName} has no text to read: its pages hold only images or nothing at all (a picture book or a scan?). ` +
          'Nothing was imported. Import a text version, or paste the text.',
      );
    }
    return (title ? [`# ${title}`, ...parts] : parts).join('\n\n');
  } finally {
    zip.close();
  }
}

/** `href` (URL-encoded, relative to the package document, maybe with a #fragment) as a name in the zip; '' when it climbs out. */
function resolveHref(base: string, href: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(href.split('#')[0]!);
  } catch {
    decoded = href.split('#')[0]!;
  }
  const joined = path.posix.normalize(path.posix.join(base === '.' ? '' : base, decoded));
  return joined.startsWith('../') || joined.startsWith('/') || joined === '..' ? '' : joined;
}

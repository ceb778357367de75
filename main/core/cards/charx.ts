import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { StudioFailure } from '../errors';
import { megabytes } from '../profile-text';

/**
 * CHARX (Character Card V3's archive): a zip with `card.json` at its root and the card's assets
 * beside it, named in `data.assets[].uri` as `embeded://<path in the zip>` (the spec's spelling;
 * `embedded://` is read too). Only `card.json` and the icon are ever decompressed.
 *
 * Hostile archives are refused before anything is decompressed: an entry whose path leaves the
 * archive's folder (`../`, an absolute path: "zip slip"), more than MAX_ENTRIES entries, more than
 * MAX_TOTAL_BYTES once decompressed (a "zip bomb"; sizes as the central directory declares them,
 * and yauzl stops any entry that inflates past its declared size), or an encrypted entry.
 */

export const MAX_ENTRIES = 1000;
export const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** The most `card.json` and the icon may each be once decompressed. */
const MAX_CARD_BYTES = 8 * 1024 * 1024;
const MAX_ICON_BYTES = 16 * 1024 * 1024;

/**
 * The picture formats a portrait may be, known by their first bytes (never by the file name, which
 * a card may get wrong): PNG, JPEG, GIF, WebP, AVIF.
 */
export function imageMime(bytes: Uint8Array): string | null {
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (bytes[0] === 0x89 && ascii(1, 4) === 'PNG') return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'GIF8') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(4, 8) === 'ftyp' && /^avi[fs]$/.test(ascii(8, 12))) return 'image/avif';
  return null;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export interface CharxContents {
  cardJson: string;
  /** The asset at `path` (inside the zip) if it is a picture the studio can show (imageMime), else null. */
  image(path: string): Promise<{ mime: string; bytes: Buffer } | null>;
  close(): void;
}

/** Opens a CHARX, checking every entry first; the caller must `close()` it. */
export async function openCharx(bytes: Buffer, fileName: string): Promise<CharxContents> {
  let zip: ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, {
      lazyEntries: true,
      decodeStrings: true,
      strictFileNames: false,
      validateEntrySizes: true,
    });
  } catch (error) {
    throw new StudioFailure('unsupported_file', `${fileName} is not a readable zip archive (${zipReason(error)}).`);
  }
  try {
    if (zip.entryCount > MAX_ENTRIES) {
      throw new StudioFailure(
        'too_large',
        `${fileName} holds ${zip.entryCount} files; a CHARX card may hold at most ${MAX_ENTRIES}. It is refused unread.`,
      );
    }
    const entries = await listEntries(zip, fileName);
    const card = entries.get('card.json');
    if (!card) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is a zip without card.json at its root, so it is not a CHARX character card.`,
      );
    }
    const cardBytes = await readEntry(zip, card, MAX_CARD_BYTES, fileName);
    let cardJson: string;
    try {
      cardJson = new TextDecoder('utf-8', { fatal: true }).decode(cardBytes);
    } catch {
      throw new StudioFailure('unsupported_file', `card.json in ${fileName} is not UTF-8 text. Export the card again.`);
    }
    return {
      cardJson,
      close: () => zip.close(),
      image: async (path) => {
        const entry = entries.get(path.replace(/^\/+/, ''));
        if (!entry) return null;
        const bytes = await readEntry(zip, entry, MAX_ICON_BYTES, fileName);
        const mime = imageMime(bytes);
        return mime ? { mime, bytes } : null;
      },
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}

/** Every entry by path, after checking paths, encryption and the sum of declared sizes. */
function listEntries(zip: ZipFile, fileName: string): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    let total = 0;
    zip.on('entry', (entry: Entry) => {
      total += entry.uncompressedSize;
      if (total > MAX_TOTAL_BYTES) {
        reject(
          new StudioFailure(
            'too_large',
            `${fileName} would unpack to more than ${megabytes(MAX_TOTAL_BYTES)} (a zip bomb, or a card with huge assets); it is refused unread.`,
          ),
        );
        return;
      }
      if (entry.isEncrypted()) {
        reject(
          new StudioFailure(
            'unsupported_file',
            `${fileName} has a password-protected file (${entry.fileName}). Export the card again without a password.`,
          ),
        );
        return;
      }
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: unknown) => reject(zipFailure(error, fileName)));
    zip.readEntry();
  });
}

function readEntry(zip: ZipFile, entry: Entry, max: number, fileName: string): Promise<Buffer> {
  if (entry.uncompressedSize > max) {
    return Promise.reject(
      new StudioFailure(
        'too_large',
        `${entry.fileName} in ${fileName} is ${megabytes(entry.uncompressedSize)}; the studio reads at most ${megabytes(max)} of it.`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) return reject(zipFailure(error, fileName));
      const parts: Buffer[] = [];
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('end', () => resolve(Buffer.concat(parts)));
      stream.on('error', (streamError: unknown) => reject(zipFailure(streamError, fileName)));
    });
  });
}

function zipReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** yauzl's errors as messages for a person: a path escaping the folder is named as such. */
function zipFailure(error: unknown, fileName: string): StudioFailure {
  if (error instanceof StudioFailure) return error;
  const reason = zipReason(error);
  const escaping = /^(absolute path|invalid relative path): (.*)$/s.exec(reason);
  if (escaping) {
    return new StudioFailure(
      'unsupported_file',
      `${fileName} is refused: its entry "${escaping[2]!.slice(0, 120)}" points outside the archive's folder (a "zip slip", used to overwrite other files). Nothing was imported.`,
    );
  }
  return new StudioFailure(
    'unsupported_file',
    `${fileName} is a damaged zip archive (${reason}). Export the card again.`,
  );
}

import yauzl from 'yauzl';
import { StudioFailure } from '../errors';
import { megabytes } from '../profile-text';

/**
 * A ZIP archive read from memory (yauzl), for the formats that are zips: EPUB here, and any other
 * the studio reads the same way. Nothing is written to disk; names are still checked as if it
 * were, because a name that climbs out of its folder (`../x`, `/etc/x`, `C:\x`) marks a hostile or
 * broken archive, and the whole file is refused rather than read in part.
 *
 * Caps: `maxEntries` entries, and `maxBytes` uncompressed bytes over the entries actually read
 * (checked against the sizes the archive declares and again while inflating, which yauzl does:
 * `validateEntrySizes`), so a zip bomb is refused before it fills memory.
 */
export interface ZipLimits {
  maxEntries: number;
  maxBytes: number;
}

export class ZipArchive {
  private readBytes = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    readonly names: ReadonlyMap<string, yauzl.Entry>,
    private readonly fileName: string,
    private readonly limits: ZipLimits,
  ) {}

  /** Opens `bytes` and lists its entries; throws a StudioFailure naming `fileName` when it is not a readable zip. */
  static async open(bytes: Buffer, fileName: string, limits: ZipLimits): Promise<ZipArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.fromBuffer(bytes, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (error, file) =>
        error ? reject(notAZip(fileName, error)) : resolve(file),
      );
    });
    const names = new Map<string, yauzl.Entry>();
    await new Promise<void>((resolve, reject) => {
      // yauzl checks each name itself and reports a climbing one as an error of the archive.
      zip.on('error', (error: Error) => {
        const climbing = /^(?:invalid relative path|absolute path): (.*)$/s.exec(error.message);
        reject(climbing ? escapeFailure(fileName, climbing[1]!) : notAZip(fileName, error));
      });
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (escapes(name)) {
          reject(escapeFailure(fileName, name));
          return;
        }
        if (names.size >= limits.maxEntries) {
          reject(
            new StudioFailure(
              'too_large',
              `${fileName} holds more than ${limits.maxEntries} files; a book has a few hundred at most. Nothing was imported.`,
            ),
          );
          return;
        }
        names.set(name.replace(/\\/g, '/'), entry);
        zip.readEntry();
      });
      zip.readEntry();
    }).catch((error: unknown) => {
      zip.close();
      throw error;
    });
    return new ZipArchive(zip, names, fileName, limits);
  }

  /** Bytes the entries say they unpack to (each checked again while inflating). */
  get declaredBytes(): number {
    let sum = 0;
    for (const entry of this.names.values()) sum += entry.uncompressedSize;
    return sum;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The entry's bytes; throws when it is missing, damaged or would pass the byte cap. */
  async read(name: string): Promise<Buffer> {
    const entry = this.names.get(name);
    if (!entry) {
      throw new StudioFailure(
        'unsupported_file',
        `${this.fileName} lacks ${name}, which its own table of contents lists.`,
      );
    }
    this.readBytes += entry.uncompressedSize;
    if (this.readBytes > this.limits.maxBytes) {
      throw new StudioFailure(
        'too_large',
        `${this.fileName} unpacks to more than ${megabytes(this.limits.maxBytes)} of text; import it in parts (one volume at a time).`,
      );
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.zip.openReadStream(entry, (error, stream) => {
        if (error) {
          reject(notAZip(this.fileName, error));
          return;
        }
        const parts: Buffer[] = [];
        stream.on('data', (part: Buffer) => parts.push(part));
        stream.on('error', (streamError: Error) => reject(notAZip(this.fileName, streamError)));
        stream.on('end', () => resolve(Buffer.concat(parts)));
      });
    });
  }

  close(): void {
    this.zip.close();
  }
}

/** A name that, extracted, would land outside the folder it is extracted into. */
function escapes(name: string): boolean {
  const path = name.replace(/\\/g, '/');
  return path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').includes('..') || path.includes('\0');
}

function escapeFailure(fileName: string, name: string): StudioFailure {
  return new StudioFailure(
    'unsupported_file',
    `${fileName} holds a file named "${name.slice(0, 120)}", which points outside the archive's own folder. ` +
      'Such an archive is broken or made to harm; nothing was imported. Export the document again from the program that wrote it.',
  );
}

function notAZip(fileName: string, error: Error): StudioFailure {
  return new StudioFailure(
    'unsupported_file',
    `${fileName} is damaged: it is not a readable zip archive (${error.message}). Nothing was imported. Save or export it again and import the new file.`,
  );
}

import zlib from 'node:zlib';

/**
 * Writes zip archives for tests (PKWARE APPNOTE 4.3: local headers, central directory, end record),
 * stored or deflated, with any entry name, so tests can build CHARX cards, .docx and .epub files, and hostile archives
 * (paths leaving the folder, bombs, sizes that lie) that no zip library would write.
 */
export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Deflate the data (method 8); default stored (method 0). */
  deflate?: boolean;
  /** Claim this uncompressed size instead of the true one (a lying archive). */
  declaredSize?: number;
}

export function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.deflate ? zlib.deflateRawSync(entry.data) : entry.data;
    const crc = zlib.crc32(entry.data) >>> 0;
    const size = entry.declaredSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** An entry as the manuscript tests write it: text or bytes, deflated unless `store` (EPUB's `mimetype`). */
export interface ZipEntryInput {
  name: string;
  data: string | Uint8Array;
  store?: boolean;
}

/** `zip` for entries given as text or bytes, deflated by default. */
export function writeZip(entries: readonly ZipEntryInput[]): Buffer {
  return zip(
    entries.map((entry) => ({
      name: entry.name,
      data: typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data),
      deflate: !entry.store,
    })),
  );
}

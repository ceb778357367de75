import zlib from 'node:zlib';

/**
 * Building card files for tests by hand (not with the studio's own writer, which is what is tested):
 * PNGs with any tEXt chunks, and the field lists of the public card specs.
 */

/** A 2×2 RGB PNG with `texts` as tEXt chunks (keyword → text), CRCs computed. */
export function pngWith(texts: Record<string, string>, size = 2): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(Buffer.from(type, 'latin1'))) >>> 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((1 + size * 3) * size, 0x80);
  for (let y = 0; y < size; y++) raw[y * (1 + size * 3)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    ...Object.entries(texts).map(([keyword, text]) =>
      chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')])),
    ),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Every chunk of a PNG with whether its CRC is right: the reading side of the spec, independent of main. */
export function pngChunkList(png: Buffer): { type: string; data: Buffer; crcOk: boolean }[] {
  const chunks: { type: string; data: Buffer; crcOk: boolean }[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    chunks.push({ type, data, crcOk: zlib.crc32(png.subarray(offset + 4, offset + 8 + length)) >>> 0 === crc });
    offset += 12 + length;
  }
  return chunks;
}

/** tEXt keyword → decoded JSON of a card PNG. */
export function cardChunks(png: Buffer): Record<string, unknown> {
  const cards: Record<string, unknown> = {};
  for (const chunk of pngChunkList(png)) {
    if (chunk.type !== 'tEXt') continue;
    const zero = chunk.data.indexOf(0);
    cards[chunk.data.toString('latin1', 0, zero)] = JSON.parse(
      Buffer.from(chunk.data.toString('latin1', zero + 1), 'base64').toString('utf8'),
    );
  }
  return cards;
}

/** Required fields of `data` and their JSON types: Character Card V2 (spec_v2.md). */
export const V2_REQUIRED: Record<string, 'string' | 'array' | 'object'> = {
  name: 'string',
  description: 'string',
  personality: 'string',
  scenario: 'string',
  first_mes: 'string',
  mes_example: 'string',
  creator_notes: 'string',
  system_prompt: 'string',
  post_history_instructions: 'string',
  alternate_greetings: 'array',
  tags: 'array',
  creator: 'string',
  character_version: 'string',
  extensions: 'object',
};

/** Character Card V3 (SPEC_V3.md): V2's required fields plus `group_only_greetings`. */
export const V3_REQUIRED: Record<string, 'string' | 'array' | 'object'> = {
  ...V2_REQUIRED,
  group_only_greetings: 'array',
};

/** V3's optional fields and their types when present (dates are Unix seconds). */
export const V3_OPTIONAL: Record<string, 'string' | 'array' | 'number' | 'object'> = {
  character_book: 'object',
  assets: 'array',
  nickname: 'string',
  creator_notes_multilingual: 'object',
  source: 'array',
  creation_date: 'number',
  modification_date: 'number',
};

export function jsonType(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

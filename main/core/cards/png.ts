import zlib from 'node:zlib';
import { StudioFailure } from '../errors';

/**
 * PNG chunks as character cards use them (PNG 1.2 §5): a card is a `tEXt` chunk whose keyword is
 * `chara` (V1/V2 JSON, base64) or `ccv3` (V3 JSON, base64). Reading tolerates a wrong CRC (older
 * card editors wrote none) but never reads past the file; writing always computes CRCs.
 */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(PNG_SIGNATURE);
}

export interface PngChunk {
  type: string;
  data: Buffer;
}

/** Every chunk of a PNG in order, up to IEND; a chunk cut short by the file's end ends the list. */
export function pngChunks(bytes: Uint8Array): PngChunk[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  for (let offset = 8; offset + 12 <= buffer.length;) {
    const length = buffer.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > buffer.length) break;
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    chunks.push({ type, data: buffer.subarray(offset + 8, offset + 8 + length) });
    if (type === 'IEND') break;
    offset = end;
  }
  return chunks;
}

/** The text of each `tEXt` chunk by keyword (Latin-1, as the PNG spec defines tEXt). */
export function pngTexts(bytes: Uint8Array): Map<string, string> {
  const texts = new Map<string, string>();
  for (const chunk of pngChunks(bytes)) {
    if (chunk.type !== 'tEXt') continue;
    const zero = chunk.data.indexOf(0);
    if (zero > 0) texts.set(chunk.data.toString('latin1', 0, zero), chunk.data.toString('latin1', zero + 1));
  }
  return texts;
}

function encodeChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4, 8))) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** A tEXt chunk: keyword, NUL, Latin-1 text (base64 is ASCII, so a card's text always fits). */
export function textChunk(keyword: string, text: string): PngChunk {
  return {
    type: 'tEXt',
    data: Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]),
  };
}

/** The keyword of a tEXt chunk. */
function keywordOf(chunk: PngChunk): string {
  return chunk.data.toString('latin1', 0, Math.max(0, chunk.data.indexOf(0)));
}

/**
 * `png` without its `tEXt` chunks named in `drop` and with `texts` added just before IEND (where
 * card editors put them). Throws `unsupported_file` naming `subject` when `png` has no IHDR or IEND.
 */
export function withTexts(png: Uint8Array, texts: PngChunk[], subject: string, drop: readonly string[]): Buffer {
  const chunks = pngChunks(png);
  if (chunks[0]?.type !== 'IHDR' || chunks.at(-1)?.type !== 'IEND') {
    throw new StudioFailure(
      'unsupported_file',
      `${subject} is not a whole PNG picture (it has no IHDR or IEND chunk).`,
    );
  }
  const kept = chunks.filter(
    (chunk) => chunk.type !== 'IEND' && !(chunk.type === 'tEXt' && drop.includes(keywordOf(chunk))),
  );
  return Buffer.concat([
    PNG_SIGNATURE,
    ...[...kept, ...texts, { type: 'IEND', data: Buffer.alloc(0) }].map((c) => encodeChunk(c.type, c.data)),
  ]);
}

/** Width and height of a PNG whose first chunk is IHDR; null for anything else. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const first = isPng(bytes) ? pngChunks(bytes)[0] : undefined;
  if (first?.type !== 'IHDR' || first.data.length < 8) return null;
  return { width: first.data.readUInt32BE(0), height: first.data.readUInt32BE(4) };
}

/**
 * A placeholder portrait for a character without a picture: a diagonal gradient between two
 * colours picked from the name (the same name always gets the same picture), 8-bit RGB, `size`
 * pixels square. Encoded here (IHDR, one zlib IDAT, IEND) so no image library is needed.
 */
export function placeholderPng(name: string, size = 256): Buffer {
  let hash = 2166136261;
  for (const char of name) hash = Math.imul(hash ^ char.codePointAt(0)!, 16777619) >>> 0;
  const hue = hash % 360;
  const from = hsl(hue, 0.55, 0.42);
  const to = hsl((hue + 40) % 360, 0.6, 0.7);
  const row = 1 + size * 3;
  const raw = Buffer.alloc(row * size);
  for (let y = 0; y < size; y++) {
    raw[y * row] = 0; // filter type None
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * (size - 1) || 1);
      for (let c = 0; c < 3; c++) raw[y * row + 1 + x * 3 + c] = Math.round(from[c]! + (to[c]! - from[c]!) * t);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    PNG_SIGNATURE,
    encodeChunk('IHDR', ihdr),
    encodeChunk('IDAT', zlib.deflateSync(raw)),
    encodeChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An HSL colour (hue in degrees, saturation and lightness 0–1) as 0–255 RGB. */
function hsl(hue: number, saturation: number, lightness: number): [number, number, number] {
  const k = (n: number) => (n + hue / 30) % 12;
  const a = saturation * Math.min(lightness, 1 - lightness);
  const f = (n: number) => lightness - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

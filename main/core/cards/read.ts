import { StudioFailure } from '../errors';
import { isZip, openCharx } from './charx';
import { isPng, pngTexts, withTexts } from './png';
import { parseCardJson, type ParsedCard } from './spec';

/**
 * Reading a card file of any kind the studio takes: a PNG with a `ccv3` (V3, preferred) or `chara`
 * (V1/V2) tEXt chunk, a `.json` card, or a CHARX zip. Pure: it writes nothing, so a card that fails
 * here leaves no trace; every failure is a StudioFailure naming the file.
 */

/** The keywords a card occupies in a PNG, in order of preference. */
export const CARD_KEYWORDS = ['ccv3', 'chara'] as const;

/** The largest card file read: a CHARX carries its pictures. */
export const MAX_CARD_FILE_BYTES = 32 * 1024 * 1024;

export interface CardFile {
  card: ParsedCard;
  /** The character's picture, if the file brings one: a PNG card's own image, a CHARX's icon. */
  image: { mime: string; bytes: Buffer } | null;
}

export async function readCardFile(bytes: Buffer, fileName: string): Promise<CardFile> {
  if (bytes.length === 0) throw new StudioFailure('invalid_argument', `${fileName} is empty.`);
  if (isPng(bytes)) return readPngCard(bytes, fileName);
  if (isZip(bytes)) return readCharx(bytes, fileName);
  return { card: parseCardJson(utf8(bytes, fileName), fileName), image: null };
}

function readPngCard(bytes: Buffer, fileName: string): CardFile {
  const texts = pngTexts(bytes);
  const keyword = CARD_KEYWORDS.find((k) => texts.has(k));
  if (!keyword) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is a picture without a character card in it (no "ccv3" or "chara" text chunk). Import a card exported from a role-play app (PNG, JSON or CHARX), or a .txt/.md profile.`,
    );
  }
  const encoded = texts.get(keyword)!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
    throw new StudioFailure(
      'unsupported_file',
      `The "${keyword}" card chunk inside ${fileName} is not base64, so the card cannot be read. Export the card again from its app.`,
    );
  }
  const json = utf8(Buffer.from(encoded, 'base64'), `The character card inside ${fileName}`);
  const card = parseCardJson(json, `The "${keyword}" card inside ${fileName}`);
  // The picture without the card's text in it: it is kept as the character's image.
  const picture = withTexts(bytes, [], fileName, CARD_KEYWORDS);
  return { card, image: { mime: 'image/png', bytes: picture } };
}

async function readCharx(bytes: Buffer, fileName: string): Promise<CardFile> {
  const charx = await openCharx(bytes, fileName);
  try {
    const card = parseCardJson(charx.cardJson, `card.json in ${fileName}`);
    const icons = (card.data.assets ?? []).filter((asset) => asset.type === 'icon');
    const icon = icons.find((asset) => asset.name === 'main') ?? icons[0];
    const inZip = icon && /^embed{1,2}ed:\/\//.exec(icon.uri);
    const image = inZip ? await charx.image(icon.uri.slice(inZip[0].length)) : null;
    return { card, image };
  } finally {
    charx.close();
  }
}

function utf8(bytes: Uint8Array, subject: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new StudioFailure(
      'unsupported_file',
      `${subject} is not UTF-8 text, so it cannot be read as a character card. Export the card again from its app.`,
    );
  }
}

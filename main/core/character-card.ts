import { StudioFailure } from './errors';
import { MAX_PROFILE_BYTES, megabytes } from './profile-text';

/**
 * Character cards (the Tavern / SillyTavern format: V1 fields, `chara_card_v2`, `chara_card_v3`), as
 * a `.json` file or embedded in a `.png` (a tEXt chunk `chara` or `ccv3` holding base64 JSON). A card
 * becomes a Markdown profile: the description, personality, scenario and example dialogue, with
 * `{{char}}` replaced by the character's name and `{{user}}` by "the visitor". Replacement is
 * literal: a name such as `A$&B` is written as it is, never read as a replacement pattern.
 */

export interface CardProfile {
  name: string;
  markdown: string;
}

interface CardFields {
  name?: unknown;
  description?: unknown;
  personality?: unknown;
  scenario?: unknown;
  mes_example?: unknown;
  first_mes?: unknown;
  creator_notes?: unknown;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(PNG_SIGNATURE);
}

/** The card JSON inside a PNG, preferring V3 (`ccv3`) over V2 (`chara`). */
export function cardJsonFromPng(bytes: Uint8Array, fileName: string): string {
  const buffer = Buffer.from(bytes);
  const found: Record<string, string> = {};
  let offset = 8;
  while (offset + 12 <= buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > buffer.length) break;
    if (type === 'tEXt') {
      const data = buffer.subarray(offset + 8, offset + 8 + length);
      const zero = data.indexOf(0);
      if (zero > 0) found[data.toString('latin1', 0, zero)] = data.toString('latin1', zero + 1);
    }
    if (type === 'IEND') break;
    offset = end;
  }
  const encoded = found.ccv3 ?? found.chara;
  if (!encoded) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is a picture without a character card in it. Import a card exported from a role-play app (PNG or JSON), or a .txt/.md profile.`,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw new StudioFailure(
      'unsupported_file',
      `The character card inside ${fileName} is not UTF-8 text, so it cannot be read. Export the card again from its app.`,
    );
  }
}

const CHAR = /\{\{char\}\}|<BOT>/gi;
const USER = /\{\{user\}\}|<USER>/gi;
const VISITOR = 'the visitor';

/** The profile of the card in `json`, read from a file of `fileBytes` bytes named `fileName`. */
export function readCard(json: string, fileName: string, fileBytes: number): CardProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is not valid JSON, so it cannot be read as a character card.`,
    );
  }
  const root = (parsed ?? {}) as { spec?: unknown; data?: CardFields } & CardFields;
  const fields: CardFields = root.data && typeof root.data === 'object' ? root.data : root;
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
  // A name is one line: it becomes the `# Name` title line of the profile.
  const name = text(fields.name).replace(/\s+/g, ' ');
  if (!name) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is JSON but not a character card (it has no name). Import a card exported from a role-play app, or a .txt/.md profile.`,
    );
  }
  const sections: [string, unknown][] = [
    ['Description', fields.description],
    ['Personality', fields.personality],
    ['Scenario', fields.scenario],
    ['First message', fields.first_mes],
    ['Example dialogue', fields.mes_example],
  ];
  checkFilledSize(
    sections.map(([, value]) => text(value)),
    name,
    fileName,
    fileBytes,
  );
  // Function replacers: a string replacement would read `$&`, `$'` and `$1` in the name as patterns.
  const fill = (value: unknown) =>
    text(value)
      .replace(CHAR, () => name)
      .replace(USER, () => VISITOR);
  const body = sections
    .map(([heading, value]) => [heading, fill(value)] as const)
    .filter(([, value]) => value.length > 0)
    .map(([heading, value]) => `## ${heading}\n${value.replace(/\n{2,}/g, '\n')}`);
  if (body.length === 0) {
    throw new StudioFailure(
      'invalid_argument',
      `The card of ${name} is empty: it has no description, personality or scenario to build a profile from.`,
    );
  }
  return { name, markdown: `# ${name}\n\n${body.join('\n\n')}\n` };
}

/**
 * Refuses a card whose text would outgrow a profile once `{{char}}` is filled in (a long name used
 * many times), before building that text, and says so with the real size of the file.
 */
function checkFilledSize(fields: readonly string[], name: string, fileName: string, fileBytes: number): void {
  const nameBytes = Buffer.byteLength(name, 'utf8');
  let bytes = nameBytes;
  let names = 0;
  for (const field of fields) {
    const chars = field.match(CHAR)?.length ?? 0;
    const users = field.match(USER)?.length ?? 0;
    names += chars;
    bytes += Buffer.byteLength(field, 'utf8') + chars * nameBytes + users * VISITOR.length;
  }
  if (bytes <= MAX_PROFILE_BYTES) return;
  throw new StudioFailure(
    'too_large',
    `The card in ${fileName} (a ${megabytes(fileBytes)} file) would become a ${megabytes(bytes)} profile once its ` +
      `name (${name.length} characters) is written in for {{char}} ${names} times; a profile can be at most ` +
      `${megabytes(MAX_PROFILE_BYTES)}. Shorten the card's name or its text in the app that made it.`,
  );
}

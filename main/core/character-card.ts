import { StudioFailure } from './errors';

/**
 * Character cards (the Tavern / SillyTavern format: V1 fields, `chara_card_v2`, `chara_card_v3`), as
 * a `.json` file or embedded in a `.png` (a tEXt chunk `chara` or `ccv3` holding base64 JSON). A card
 * becomes a Markdown profile: the description, personality, scenario and example dialogue, with
 * `{{char}}` replaced by the character's name and `{{user}}` by "the visitor".
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
  return Buffer.from(encoded, 'base64').toString('utf8');
}

export function readCard(json: string, fileName: string): CardProfile {
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
  const name = text(fields.name);
  if (!name) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is JSON but not a character card (it has no name). Import a card exported from a role-play app, or a .txt/.md profile.`,
    );
  }
  const fill = (value: unknown) =>
    text(value)
      .replace(/\{\{char\}\}|<BOT>/gi, name)
      .replace(/\{\{user\}\}|<USER>/gi, 'the visitor');
  const sections: [string, unknown][] = [
    ['Description', fields.description],
    ['Personality', fields.personality],
    ['Scenario', fields.scenario],
    ['First message', fields.first_mes],
    ['Example dialogue', fields.mes_example],
  ];
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

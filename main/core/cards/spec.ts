import type { CardSpec } from '../../../common/contract';
import { StudioFailure } from '../errors';

/**
 * The character card specs as data (field lists from the public specs: V1 "TavernCard",
 * `chara_card_v2` 2.0, `chara_card_v3` 3.0), and reading any of them into one shape, `CardData`,
 * the V3 superset. Unknown fields inside `data` are dropped except `extensions`, which the specs
 * say must be kept as they are.
 */

export interface CardAsset {
  type: string;
  uri: string;
  name: string;
  ext: string;
}

export interface CardData {
  name: string;
  description: string;
  personality: string;
  scenario: string;
  first_mes: string;
  mes_example: string;
  creator_notes: string;
  system_prompt: string;
  post_history_instructions: string;
  alternate_greetings: string[];
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
  /** The lorebook, carried through untouched (the studio does not use it). */
  character_book?: unknown;
  // V3 only
  group_only_greetings: string[];
  nickname?: string;
  source?: string[];
  /** Unix seconds, as V3 defines them. */
  creation_date?: number;
  modification_date?: number;
  assets?: CardAsset[];
}

export interface ParsedCard {
  spec: CardSpec;
  data: CardData;
}

export const V1_FIELDS = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const;

/** The spec names the studio reads, with the newest major `spec_version` of each. */
const SPEC_VERSIONS: Record<string, { spec: CardSpec; major: number }> = {
  chara_card_v2: { spec: 'v2', major: 2 },
  chara_card_v3: { spec: 'v3', major: 3 },
};

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The card in `json`, of whichever spec it declares (no `spec`: V1, flat). Throws
 * `unsupported_file` naming `fileName` for text that is not JSON, JSON that is not a card, and a
 * card of a spec or version the studio does not know.
 */
export function parseCardJson(json: string, fileName: string): ParsedCard {
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch (error) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is not valid JSON (${error instanceof Error ? error.message : 'unreadable'}), so it cannot be read as a character card. Export the card again from its app.`,
    );
  }
  if (!isObject(root)) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is JSON but not a character card (a card is a JSON object). Import a card exported from a role-play app, or a .txt/.md profile.`,
    );
  }
  let spec: CardSpec = 'v1';
  let fields: Record<string, unknown> = root;
  if (root.spec !== undefined) {
    const known = typeof root.spec === 'string' ? SPEC_VERSIONS[root.spec] : undefined;
    // Some apps write the version as a number (3, 2.0); anything else is no version we know.
    const version =
      typeof root.spec_version === 'string' || typeof root.spec_version === 'number'
        ? String(root.spec_version)
        : root.spec_version === undefined
          ? ''
          : 'unknown';
    // A version newer than the spec name's major one (chara_card_v3 4.0) is a format the studio
    // has not seen; an older or missing one is read as the spec name says.
    const major = version === '' ? 0 : Number(version.split('.')[0]);
    if (!known || !Number.isInteger(major) || major > known.major) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} is a character card of an unknown spec (${JSON.stringify(root.spec).slice(0, 60)}, version ${JSON.stringify(version).slice(0, 20)}). ` +
          'The studio reads V1, chara_card_v2 (2.x) and chara_card_v3 (3.x) cards; export the card from its app in one of those.',
      );
    }
    if (!isObject(root.data)) {
      throw new StudioFailure(
        'unsupported_file',
        `${fileName} says it is a ${root.spec as string} card but has no "data" object with the character in it. Export the card again from its app.`,
      );
    }
    spec = known.spec;
    fields = root.data;
  } else if (isObject(root.data) && typeof root.data.name === 'string') {
    // A V2-shaped card that lost its `spec` line: read its data as V2 says.
    spec = 'v2';
    fields = root.data;
  }
  const name = text(fields.name).trim().replace(/\s+/g, ' ');
  if (!name) {
    throw new StudioFailure(
      'unsupported_file',
      `${fileName} is JSON but not a character card (it has no name). Import a card exported from a role-play app, or a .txt/.md profile.`,
    );
  }
  const data: CardData = {
    name,
    description: text(fields.description),
    personality: text(fields.personality),
    scenario: text(fields.scenario),
    first_mes: text(fields.first_mes),
    mes_example: text(fields.mes_example),
    creator_notes: text(fields.creator_notes),
    system_prompt: text(fields.system_prompt),
    post_history_instructions: text(fields.post_history_instructions),
    alternate_greetings: strings(fields.alternate_greetings),
    tags: strings(fields.tags),
    creator: text(fields.creator),
    character_version: text(fields.character_version),
    extensions: isObject(fields.extensions) ? fields.extensions : {},
    group_only_greetings: strings(fields.group_only_greetings),
    ...(fields.character_book !== undefined && { character_book: fields.character_book }),
    ...(typeof fields.nickname === 'string' && fields.nickname.trim() && { nickname: fields.nickname.trim() }),
    ...(Array.isArray(fields.source) && { source: strings(fields.source) }),
    ...(Number.isFinite(fields.creation_date) && { creation_date: fields.creation_date as number }),
    ...(Number.isFinite(fields.modification_date) && { modification_date: fields.modification_date as number }),
    ...(Array.isArray(fields.assets) && { assets: fields.assets.filter(isAsset) }),
  };
  return { spec, data };
}

function isAsset(value: unknown): value is CardAsset {
  return (
    isObject(value) &&
    typeof value.type === 'string' &&
    typeof value.uri === 'string' &&
    typeof value.name === 'string' &&
    typeof value.ext === 'string'
  );
}

/** A V2 card (`chara_card_v2`, spec_version 2.0): every field the spec requires, in its order. */
export function toV2(data: CardData): Record<string, unknown> {
  return {
    spec: 'chara_card_v2',
    spec_version: '2.0',
    data: {
      name: data.name,
      description: data.description,
      personality: data.personality,
      scenario: data.scenario,
      first_mes: data.first_mes,
      mes_example: data.mes_example,
      creator_notes: data.creator_notes,
      system_prompt: data.system_prompt,
      post_history_instructions: data.post_history_instructions,
      alternate_greetings: data.alternate_greetings,
      ...(data.character_book !== undefined && { character_book: data.character_book }),
      tags: data.tags,
      creator: data.creator,
      character_version: data.character_version,
      extensions: data.extensions,
    },
  };
}

/** A V3 card (`chara_card_v3`, spec_version 3.0): V2's fields plus V3's. */
export function toV3(data: CardData): Record<string, unknown> {
  const v2 = toV2(data).data as Record<string, unknown>;
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data: {
      ...v2,
      group_only_greetings: data.group_only_greetings,
      ...(data.nickname !== undefined && { nickname: data.nickname }),
      ...(data.source !== undefined && { source: data.source }),
      ...(data.creation_date !== undefined && { creation_date: data.creation_date }),
      ...(data.modification_date !== undefined && { modification_date: data.modification_date }),
      ...(data.assets !== undefined && { assets: data.assets }),
    },
  };
}

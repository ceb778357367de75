import type { CardFormat, Character, Profile } from '../../../common/contract';
import { isHeadingLine } from '../../../common/headings';
import { CARD_KEYWORDS } from './read';
import { placeholderPng, textChunk, withTexts } from './png';
import { toV2, toV3, type CardData } from './spec';

/**
 * Writing a character as a card. The fields come from the character and its profiles: a profile
 * section headed like a card field (`## Personality`, `## Scenario`, `## First message`,
 * `## Example dialogue`, `## Description`, as card imports write them) fills that field; otherwise
 * the description is the first profile's opening text and the scenario is the paper's interview
 * setting (METHOD.md §3). Creator notes say where the text came from, with each source's licence.
 */

/** The paper's evaluation setting (METHOD.md §3), the scenario of a card whose profile names none. */
const PAPER_SCENARIO =
  'Coffee Shop - Afternoon. {{char}} is casually chatting with {{user}}, a man from the 21st century whom {{char}} fully trusts.';
/** The most of a profile's opening text a description takes (characters). */
const DESCRIPTION_CHARS = 4000;

const FIELD_OF_HEADING: Record<string, keyof CardData> = {
  description: 'description',
  personality: 'personality',
  scenario: 'scenario',
  'first message': 'first_mes',
  'example dialogue': 'mes_example',
};

/**
 * A chunk's text without its heading lines, and its last heading (lower case) if it has one.
 * `markdownOnly`: only `#` lines are headings (a field such as `<START>` is text, not a title).
 */
function splitHeading(text: string, markdownOnly: boolean): { heading: string | null; body: string } {
  const lines = text.split('\n');
  const heading = markdownOnly ? (line: string) => /^#{1,6}\s/.test(line) : isHeadingLine;
  let index = 0;
  while (index < lines.length && heading(lines[index]!)) index++;
  const title =
    index > 0
      ? lines[index - 1]!.replace(/^#{1,6}\s+/, '')
          .trim()
          .toLowerCase()
      : null;
  return { heading: title, body: lines.slice(index).join('\n').trim() };
}

/** Where the profiles came from, for the creator notes: one line each, with the licence. */
function provenanceNotes(profiles: readonly Profile[]): string[] {
  return profiles.map((profile) => {
    const p = profile.provenance;
    if (!p) return `- "${profile.title}"${profile.sourceName ? ` (from ${profile.sourceName})` : ''}`;
    const parts = [
      p.kind === 'wikipedia' ? `Wikipedia article "${profile.title}"` : `character card "${profile.title}"`,
      p.url,
      p.revision ? `${p.kind === 'wikipedia' ? 'revision' : 'version'} ${p.revision}` : null,
      p.author ? `by ${p.author}` : null,
      p.licence ? `licence: ${p.licence}${p.licenceUrl ? ` (${p.licenceUrl})` : ''}` : null,
      `read ${new Date(p.retrievedAt).toISOString().slice(0, 10)}`,
    ];
    return `- ${parts.filter(Boolean).join(', ')}`;
  });
}

/** The card fields of a character, its profiles in import order. `now` in ms. */
export function cardDataOf(character: Character, profiles: readonly Profile[], studioVersion: string): CardData {
  const found: Partial<Record<keyof CardData, string>> = {};
  for (const profile of profiles) {
    // A section the chunker cut in several chunks continues in the chunks without a heading.
    let field: keyof CardData | undefined;
    let taken = false;
    for (const chunk of profile.chunks) {
      const { heading, body } = splitHeading(chunk.text, true);
      if (heading !== null) {
        field = FIELD_OF_HEADING[heading];
        taken = field !== undefined && found[field] === undefined;
        if (taken && body) found[field!] = body;
      } else if (field && taken && body) {
        found[field] = found[field] ? `${found[field]}\n\n${body}` : body;
      }
    }
  }
  const opening = profiles[0]?.chunks
    .map((chunk) => splitHeading(chunk.text, false).body)
    .filter(Boolean)
    .join('\n\n');
  const description =
    found.description ?? (opening ? clip(opening, DESCRIPTION_CHARS) : character.notes || character.fullName);
  const sources = profiles.flatMap((p) => (p.provenance?.url ? [p.provenance.url] : []));
  const notes = [
    `Made with Character Studio ${studioVersion} from the profiles of ${character.fullName}` +
      `${character.era ? ` (${character.era})` : ''}:`,
    ...provenanceNotes(profiles),
    ...(profiles.some((p) => p.provenance?.kind === 'wikipedia')
      ? ['Text from Wikipedia is shared under its licence above: keep this attribution when you share the card.']
      : []),
  ];
  return {
    name: character.fullName,
    description,
    personality: found.personality ?? '',
    scenario: found.scenario ?? PAPER_SCENARIO,
    first_mes: found.first_mes ?? `Good afternoon. I am ${character.shortName}. What would you like to ask me?`,
    mes_example: found.mes_example ?? '',
    creator_notes: notes.join('\n'),
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: ['Character Studio', 'Character-LLM', ...(character.era ? [character.era] : [])],
    creator: '',
    character_version: new Date(character.updatedAt).toISOString().slice(0, 10),
    extensions: {
      character_studio: {
        character_id: character.id,
        short_name: character.shortName,
        era: character.era,
        studio_version: studioVersion,
      },
    },
    group_only_greetings: [],
    ...(character.shortName !== character.fullName && { nickname: character.shortName }),
    ...(sources.length > 0 && { source: sources }),
    creation_date: Math.floor(character.createdAt / 1000),
    modification_date: Math.floor(character.updatedAt / 1000),
  };
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  return text.slice(0, cut > max / 2 ? cut : max).trimEnd();
}

/**
 * The card file in `format`. A PNG carries the V2 card in `chara` and, for V3, the V3 card in
 * `ccv3` too (so V2-only apps still read it), inside `picture` (a PNG) or a generated placeholder.
 */
export function encodeCard(
  data: CardData,
  format: CardFormat,
  picture: Buffer | null,
): { bytes: Buffer; ownImage: boolean } {
  const v3 = format.startsWith('v3');
  if (format.endsWith('json')) {
    const card = v3 ? toV3(data) : toV2(data);
    return { bytes: Buffer.from(`${JSON.stringify(card, null, 2)}\n`, 'utf8'), ownImage: false };
  }
  const b64 = (card: unknown) => Buffer.from(JSON.stringify(card), 'utf8').toString('base64');
  const chunks = [textChunk('chara', b64(toV2(data)))];
  if (v3) {
    // The picture of the PNG is the card's icon: V3's `ccdefault:` says so.
    const icon = { type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' };
    chunks.push(textChunk('ccv3', b64(toV3({ ...data, assets: [icon] }))));
  }
  const png = picture ?? placeholderPng(data.name);
  return { bytes: withTexts(png, chunks, 'The character picture', CARD_KEYWORDS), ownImage: picture !== null };
}

import type {
  CardExport,
  CardExportRequest,
  CardImportRequest,
  CardImportResult,
  Character,
  CharacterDraft,
  RunId,
  TrainingRun,
} from '../../../common/contract';
import type { CharacterService } from '../character-service';
import { cardProfile } from '../character-card';
import type { Clock } from '../clock';
import { StudioFailure } from '../errors';
import type { ProfileService } from '../profile-service';
import { base64Steps, checkStorableText, megabytes } from '../profile-text';
import { runSliced } from '../time-slices';
import { cardProvenance } from './provenance';
import { isPng } from './png';
import { MAX_CARD_FILE_BYTES, readCardFile } from './read';
import type { CardData } from './spec';
import { trainedExtension } from './trained';
import { cardDataOf, encodeCard } from './write';

/** The longest names the characters' commands accept (schemas.ts). */
const MAX_NAME_CHARS = 200;
const MAX_SHORT_NAME_CHARS = 80;

export interface CardServiceDeps {
  characters: CharacterService;
  profiles: ProfileService;
  runs: { get(id: RunId): TrainingRun };
  clock: Clock;
  dataDir: string;
  studioVersion: string;
}

/**
 * Character cards in and out. An import reads the whole card (PNG, JSON or CHARX) before it writes
 * anything, then creates the character (or picks the given one), its profile and its picture; if a
 * write fails after the character was created, the character goes again, so a card is imported
 * whole or not at all. An export returns the file's bytes; the door decides where they go.
 */
export class CardService {
  constructor(private readonly deps: CardServiceDeps) {}

  async import(request: CardImportRequest): Promise<CardImportResult> {
    const { characters } = this.deps;
    const fileName = request.fileName.replace(/\s+/g, ' ').trim() || 'The card';
    const declared = Math.floor((request.fileBase64.length * 3) / 4);
    if (declared > MAX_CARD_FILE_BYTES) {
      throw new StudioFailure(
        'too_large',
        `${fileName} is ${megabytes(declared)}; a character card can be at most ${megabytes(MAX_CARD_FILE_BYTES)}.`,
      );
    }
    const target = request.characterId ? characters.get(request.characterId) : null;
    try {
      return await this.importFile(request.fileBase64, fileName, target);
    } catch (error) {
      // Every message names the file, whichever check refused it.
      if (error instanceof StudioFailure && !error.message.includes(fileName))
        throw new StudioFailure(error.code, `${fileName}: ${error.message}`);
      throw error;
    }
  }

  private async importFile(base64: string, fileName: string, target: Character | null): Promise<CardImportResult> {
    const { characters, profiles, clock } = this.deps;
    const bytes = await runSliced(base64Steps(base64, fileName));
    const { card, image } = await readCardFile(bytes, fileName);
    // Built (and checked) before any write: an empty or oversized card fails here.
    const markdown = cardProfile(card.data, fileName, bytes.length).markdown;
    const draft = draftOf(card.data, fileName);
    checkStorableText(draft.fullName, "The card's name", 'Correct the name in the app that made the card.');
    if (draft.fullName.length > MAX_NAME_CHARS || draft.shortName.length > MAX_SHORT_NAME_CHARS) {
      throw new StudioFailure(
        'invalid_argument',
        `The card's name is ${draft.fullName.length} characters long; a character's name can be at most ${MAX_NAME_CHARS}. Shorten it in the app that made the card.`,
      );
    }
    const character = target ?? characters.create(draft);
    try {
      const profile = await profiles.importPrepared(
        character.id,
        { raw: markdown, markdown: true, provenance: cardProvenance(card, clock.now()) },
        fileName,
        card.data.name,
      );
      const usesImage = image !== null && !(target?.hasImage ?? false);
      if (usesImage) characters.setImage(character.id, image);
      return { character: characters.get(character.id), profile, spec: card.spec, image: usesImage };
    } catch (error) {
      if (!target) characters.delete(character.id);
      throw error;
    }
  }

  async export(request: CardExportRequest): Promise<CardExport> {
    const { characters, profiles, runs, dataDir, studioVersion } = this.deps;
    const character = characters.get(request.characterId);
    const data = cardDataOf(character, profiles.list(character.id), studioVersion);
    let trained = false;
    if (request.runId) {
      if (!request.format.startsWith('v3')) {
        throw new StudioFailure(
          'invalid_argument',
          'A trained character card is a V3 card (its model is named in V3 extensions): choose v3-png or v3-json.',
        );
      }
      const run = runs.get(request.runId);
      if (run.characterId !== character.id) {
        throw new StudioFailure(
          'invalid_argument',
          `Run ${run.id} was trained for another character, not ${character.fullName}.`,
        );
      }
      withTraining(data, await trainedExtension(run, dataDir, character));
      trained = true;
    }
    const picture = characters.imageBytes(character.id);
    const png = picture && isPng(picture.bytes) ? picture.bytes : null;
    const { bytes, ownImage } = encodeCard(data, request.format, png);
    const json = request.format.endsWith('json');
    const slug = character.fullName.replace(/[^\p{L}\p{N}]+/gu, '_').replace(/^_|_$/g, '') || 'character';
    return {
      fileName: `${slug}${trained ? '.trained' : ''}.${request.format.slice(0, 2)}.${json ? 'json' : 'png'}`,
      mime: json ? 'application/json' : 'image/png',
      base64: bytes.toString('base64'),
      bytes: bytes.length,
      spec: request.format.startsWith('v3') ? 'v3' : 'v2',
      trained,
      ownImage,
    };
  }
}

/** The trained run in the card: its extension, and for the paper's format the meta prompt as system prompt. */
function withTraining(data: CardData, extension: Record<string, unknown>): void {
  const studio = (data.extensions.character_studio ?? {}) as Record<string, unknown>;
  data.extensions = { ...data.extensions, character_studio: { ...studio, trained: extension } };
  const prompt = extension.prompt as { meta_prompt?: string } | undefined;
  if (prompt?.meta_prompt) data.system_prompt = prompt.meta_prompt;
  data.tags = [...data.tags, 'trained'];
}

/**
 * A new character from a card: the full name is the card's; the short name and era are the ones
 * this studio wrote into `extensions.character_studio` if it made the card, else the short name is
 * the card's nickname (V3) or the name's first word.
 */
function draftOf(card: CardData, fileName: string): CharacterDraft {
  const ours = (card.extensions.character_studio ?? {}) as { short_name?: unknown; era?: unknown };
  const named = typeof ours.short_name === 'string' ? ours.short_name : undefined;
  const short = (named ?? card.nickname ?? card.name.split(' ')[0] ?? card.name)
    .replace(/[():\n]/g, '')
    .trim()
    .slice(0, MAX_SHORT_NAME_CHARS);
  const by = card.creator.trim() ? ` by ${card.creator.trim()}` : '';
  return {
    fullName: card.name,
    shortName: short || card.name.replace(/[():\n]/g, '').trim() || 'Character',
    era: typeof ours.era === 'string' ? ours.era : '',
    notes: `Imported from the character card ${fileName}${by}.`,
  };
}

/** Character cards in and out (the Tavern / SillyTavern formats V1, V2, V3 and CHARX). Types only. */

import type { CharacterId, RunId } from './base';
import type { Character, Profile } from './characters';

/** The card formats an export writes: the spec version and the container. */
export type CardFormat = 'v2-png' | 'v3-png' | 'v2-json' | 'v3-json';

/** Which spec a card read was written to. */
export type CardSpec = 'v1' | 'v2' | 'v3';

export interface CardImportRequest {
  /** The file's bytes, base64: a `.png` (chunks `ccv3` / `chara`), a `.json` card or a `.charx` zip. */
  fileBase64: string;
  fileName: string;
  /** Add the card as a profile of this character; absent: create a new character from the card. */
  characterId?: CharacterId;
}

export interface CardImportResult {
  character: Character;
  profile: Profile;
  spec: CardSpec;
  /** Whether the card brought a picture (a PNG card's own image, a CHARX's icon) now the character's. */
  image: boolean;
}

export interface CardExportRequest {
  characterId: CharacterId;
  format: CardFormat;
  /**
   * A finished training run of the character: the card becomes a trained character card (always V3,
   * so `format` must be `v3-png` or `v3-json`) whose `extensions.character_studio` names the run's
   * files, base model, training format and sampling settings.
   */
  runId?: RunId;
}

/** A card as written: the file's suggested name and its bytes. */
export interface CardExport {
  fileName: string;
  mime: 'image/png' | 'application/json';
  base64: string;
  bytes: number;
  spec: 'v2' | 'v3';
  /** Whether it names a trained run. */
  trained: boolean;
  /** Whether the PNG is the character's own picture (false: a generated placeholder, or JSON). */
  ownImage: boolean;
}

export interface CardCommands {
  /** Reads a card whole before writing anything: a card that cannot be read leaves nothing behind. */
  'cards/import': (arg: CardImportRequest) => CardImportResult;
  'cards/export': (arg: CardExportRequest) => CardExport;
}

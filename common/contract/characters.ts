/** Characters, their profiles and chunks. Types only. */

import type { CharacterId, ChunkId, Empty, ProfileId } from './base';

export interface CharacterDraft {
  /** Full name as the paper uses it in the meta prompt, e.g. "Ludwig van Beethoven". */
  fullName: string;
  /** Speaker label in scenes, e.g. "Beethoven". */
  shortName: string;
  /** Era or dates, free text, e.g. "1770–1827". Drives what the character cannot know. */
  era: string;
  notes: string;
}

export interface Character extends CharacterDraft {
  id: CharacterId;
  createdAt: number;
  updatedAt: number;
  profileCount: number;
  chunkCount: number;
  wordCount: number;
  /**
   * Scenes in its dataset, normal and protective together (migration 027's trigger-kept counts, so
   * listing characters never counts scene rows). A character built by import has scenes and no profile.
   */
  sceneCount: number;
  /** Whether the character has a picture (a card's icon); `characters/image` returns it. */
  hasImage: boolean;
}

/** A character's picture, as `characters/image` returns it. */
export interface CharacterImage {
  /** `image/png`, `image/jpeg`, `image/webp`, `image/gif` or `image/avif`. */
  mime: string;
  base64: string;
}

/**
 * Where a profile's text came from, recorded at import: a Wikipedia article (read through the
 * MediaWiki API) or a character card. Pasted text and plain files have none.
 */
export interface ProfileProvenance {
  kind: 'wikipedia' | 'card';
  /** The article's canonical URL; for a card, its `source` URL if it names one. */
  url: string | null;
  /** Wikipedia: the article's revision id as read; a card: its `character_version`. */
  revision: string | null;
  /** The licence as the source states it, e.g. "Creative Commons Attribution-Share Alike 4.0". */
  licence: string | null;
  licenceUrl: string | null;
  /** A card's creator; null for Wikipedia (its authors are the article's history). */
  author: string | null;
  /** When it was read, ms since the epoch. */
  retrievedAt: number;
}

/** How the imported text was read. `character-llm` is the paper's `# Full Name` + paragraphs. */
export type ProfileFormat = 'character-llm' | 'markdown' | 'text';

export interface Chunk {
  id: ChunkId;
  profileId: ProfileId;
  /** 0-based order within the profile. */
  position: number;
  /** Heading lines glued above the paragraph (display only; they are part of `text`). */
  heading: string | null;
  text: string;
  words: number;
}

export interface Profile {
  id: ProfileId;
  characterId: CharacterId;
  title: string;
  sourceName: string | null;
  format: ProfileFormat;
  createdAt: number;
  updatedAt: number;
  words: number;
  chunks: Chunk[];
  provenance: ProfileProvenance | null;
}

/** A Wikipedia article to read as a profile (`profiles/wikipedia`). */
export interface WikipediaImport {
  characterId: CharacterId;
  /** A title ("Ada Lovelace") or an article URL (`https://de.wikipedia.org/wiki/Ada_Lovelace`). */
  article: string;
  /** Language edition for a title, e.g. `de`; a URL's host decides for itself. Default `en`. */
  lang?: string;
  title?: string;
}

export interface ProfileImport {
  characterId: CharacterId;
  /** Pasted text. Exactly one of `text` and `fileBase64` is given. */
  text?: string;
  /** A file's raw bytes, base64: decoding and binary detection happen in main. */
  fileBase64?: string;
  /** The file's name, used for the title and to pick the format (`.txt`, `.md`). */
  fileName?: string;
  title?: string;
}

export interface CharacterCommands {
  'characters/list': (arg: Empty) => Character[];
  'characters/get': (arg: { id: CharacterId }) => Character;
  'characters/create': (arg: CharacterDraft) => Character;
  'characters/update': (arg: { id: CharacterId } & Partial<CharacterDraft>) => Character;
  'characters/delete': (arg: { id: CharacterId }) => { deleted: true };
  /** The character's picture, null when it has none. */
  'characters/image': (arg: { id: CharacterId }) => CharacterImage | null;

  'profiles/list': (arg: { characterId: CharacterId }) => Profile[];
  'profiles/import': (arg: ProfileImport) => Profile;
  /**
   * A Wikipedia article (any language edition) through the MediaWiki Action API, redirects
   * followed, section headings kept; its revision, URL and licence recorded as the provenance.
   */
  'profiles/wikipedia': (arg: WikipediaImport) => Profile;
  'profiles/rename': (arg: { id: ProfileId; title: string }) => Profile;
  'profiles/delete': (arg: { id: ProfileId }) => { deleted: true };

  'chunks/update': (arg: { id: ChunkId; text: string }) => Profile;
  /** Splits a chunk at a character offset of its text; both halves must keep some text. */
  'chunks/split': (arg: { id: ChunkId; offset: number }) => Profile;
  /** Merges a chunk with the one after it. */
  'chunks/merge': (arg: { id: ChunkId }) => Profile;
  'chunks/delete': (arg: { id: ChunkId }) => Profile;
}

export interface CharacterEvents {
  'characters/changed': { characterId: CharacterId | null };
  'profiles/changed': { characterId: CharacterId };
}

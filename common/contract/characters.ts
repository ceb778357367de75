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

  'profiles/list': (arg: { characterId: CharacterId }) => Profile[];
  'profiles/import': (arg: ProfileImport) => Profile;
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

/**
 * The studio contract: every command a door (IPC, HTTP, CLI) may call and every event it may
 * receive. Types only; this file imports nothing and is compiled with neither DOM nor Node types,
 * so renderer, preload and main can all depend on it.
 *
 * Conventions: commands are `noun/verb` and take exactly one argument object; events are past
 * tense. Times are milliseconds since the Unix epoch. Errors cross every door as `StudioError`.
 */

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type CharacterId = Brand<string, 'CharacterId'>;
export type ProfileId = Brand<string, 'ProfileId'>;
export type ChunkId = Brand<string, 'ChunkId'>;

export type Door = 'desktop' | 'web' | 'cli';

export interface AppInfo {
  version: string;
  door: Door;
  dataDir: string;
  databasePath: string;
  schemaVersion: number;
  /** Limits the renderer checks before sending, so the user hears early. */
  limits: { maxProfileBytes: number; maxChunkChars: number };
}

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

export type Empty = Record<string, never>;

export interface Commands {
  'app/info': (arg: Empty) => AppInfo;

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

export type CommandName = keyof Commands;
export type CommandArg<K extends CommandName> = Parameters<Commands[K]>[0];
export type CommandResult<K extends CommandName> = ReturnType<Commands[K]>;

export interface Events {
  'characters/changed': { characterId: CharacterId | null };
  'profiles/changed': { characterId: CharacterId };
}

export type EventName = keyof Events;

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_file'
  | 'database'
  | 'unknown_command'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

export interface StudioError {
  code: ErrorCode;
  message: string;
}

/** What the renderer sees, whichever door carries it. */
export interface StudioBridge {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}

/** Names of every command, for doors that must enumerate them. Kept in step by the compiler. */
export type CommandNameList = readonly CommandName[];

/** A command's result as it crosses a process boundary: errors are data, never thrown. */
export type Outcome<T = unknown> = { ok: true; result: T } | { ok: false; error: StudioError };

/** What the Electron preload exposes as `window.studioDesktop`; the renderer wraps it. */
export interface DesktopBridge {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<Outcome<CommandResult<K>>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}

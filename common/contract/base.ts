/** Branded ids and what every area shares. Types only. */

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type CharacterId = Brand<string, 'CharacterId'>;
export type ProfileId = Brand<string, 'ProfileId'>;
export type ChunkId = Brand<string, 'ChunkId'>;
export type ProviderId = Brand<string, 'ProviderId'>;
export type JobId = Brand<string, 'JobId'>;
export type SceneId = Brand<string, 'SceneId'>;
export type CallId = Brand<string, 'CallId'>;
export type LimitId = Brand<string, 'LimitId'>;
export type RunId = Brand<string, 'RunId'>;
export type HostId = Brand<string, 'HostId'>;

export type Door = 'desktop' | 'web' | 'cli';

export interface AppInfo {
  version: string;
  door: Door;
  dataDir: string;
  databasePath: string;
  schemaVersion: number;
  /** Limits the renderer checks before sending, so the user hears early. */
  limits: {
    maxProfileBytes: number;
    maxChunkChars: number;
    /** Largest .docx/.epub/.pdf file a profile is read from. */ maxManuscriptBytes: number;
  };
}

export type Empty = Record<string, never>;

/** The full integrity check of the studio database (every page, every index against its table). */
export interface DatabaseCheck {
  ok: boolean;
  /** SQLite's own findings, first 100 at most; empty when `ok`. */
  problems: string[];
  databasePath: string;
  /** The database file's size in bytes (without its -wal). */
  sizeBytes: number;
  /** Wall time of the check in ms. */
  durationMs: number;
}

export interface AppCommands {
  'app/info': (arg: Empty) => AppInfo;
  /**
   * Runs the full integrity check on demand. Opening checks the whole file only after an unclean
   * shutdown; this covers the rest (a disk that went bad, a file copied while written). Read-only,
   * on a worker thread: the studio keeps serving meanwhile. A damaged file is `ok: false`, not an error.
   */
  'app/check-database': (arg: Empty) => DatabaseCheck;
}

import os from 'node:os';
import path from 'node:path';
import { openDatabase, pendingCrashCheck, pendingUpgrade, type Db } from '../store/database';
import { DatasetImportRepo } from '../store/dataset-import-repo';
import { warmFile, warmLimit, type WarmResult } from '../store/file-warmer';
import { ReadWorker } from '../store/read-worker';
import { WalCheckpointer } from '../store/wal-checkpointer';
import { ensureDataDir } from './data-dir';
import type { StudioOptions } from './studio-options';

export const DATABASE_FILE = 'studio.sqlite';

/**
 * The schema upgrade opening the studio in `dataDir` will run first, or null. Some upgrades rebuild
 * an index over every scene (seconds per 100,000), so the desktop door shows a window saying so
 * before it opens the studio (which blocks its process while migrating).
 */
export function pendingDatabaseUpgrade(dataDir: string, nativeBinding?: string): { from: number; to: number } | null {
  return pendingUpgrade(path.join(dataDir, DATABASE_FILE), nativeBinding ? { nativeBinding } : {});
}

/** The page-by-page check opening the studio in `dataDir` will run first, after an unclean shutdown, or null. */
export function pendingDatabaseCheck(dataDir: string): { bytes: number } | null {
  return pendingCrashCheck(path.join(dataDir, DATABASE_FILE));
}

/**
 * The studio's database in its data folder, opened (and brought up to this schema) on construction,
 * with the threads that work on its file beside the studio's connection; `close` ends them all, the
 * connection last.
 */
export class StudioStore {
  readonly databasePath: string;
  readonly db: Db;
  /** Copies the write-ahead log into the database file on a thread of its own (store/wal-checkpointer.ts). */
  readonly checkpointer: WalCheckpointer;
  /** Runs the sums over many rows the doors ask for on a thread of its own (store/read-worker.ts). */
  readonly reader: ReadWorker;
  /** Imports' staging and their copies' writer threads (store/import-writer.ts), ended before the database closes. */
  readonly imports: DatasetImportRepo;
  /**
   * The database file read through once in the background as the studio opens, so the browser's
   * first searches read memory rather than a cold disk (store/file-warmer.ts); null for the CLI,
   * whose commands end before it would pay off. `close` stops it at its next chunk.
   */
  readonly cacheWarmed: Promise<WarmResult> | null;
  private readonly stopWarming = new AbortController();

  constructor(options: StudioOptions) {
    ensureDataDir(options.dataDir);
    this.databasePath = path.join(options.dataDir, DATABASE_FILE);
    this.db = openDatabase(this.databasePath, {
      ...(options.nativeBinding && { nativeBinding: options.nativeBinding }),
      ...(options.onDatabaseUpgrade && { onUpgrade: options.onDatabaseUpgrade }),
      ...(options.onDatabaseCheck && { onFullCheck: options.onDatabaseCheck }),
    });
    this.checkpointer = new WalCheckpointer(this.db, this.databasePath, {
      ...(options.nativeBinding && { nativeBinding: options.nativeBinding }),
    });
    this.reader = new ReadWorker(this.databasePath, options.nativeBinding);
    this.cacheWarmed =
      options.door === 'cli'
        ? null
        : warmFile(this.databasePath, { signal: this.stopWarming.signal, maxBytes: warmLimit(os.totalmem()) });
    this.imports = new DatasetImportRepo(this.db, {
      file: this.databasePath,
      ...(options.nativeBinding && { nativeBinding: options.nativeBinding }),
    });
  }

  close(): void {
    this.stopWarming.abort();
    this.reader.close();
    void this.imports.closeWriters();
    // First: the studio's connection must be the last to close (it then checkpoints the whole log).
    this.checkpointer.close();
    if (this.db.open) this.db.close();
  }
}

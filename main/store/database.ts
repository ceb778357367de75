import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { StudioFailure } from '../core/errors';
import { migrations as knownMigrations, type Migration } from './migrations';
import { cacheStatements } from './statement-cache';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for the running ABI (Electron's differs from Node's). */
  nativeBinding?: string;
  migrations?: readonly Migration[];
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Opens (creating if needed) the studio database: WAL, foreign keys on, migrations applied.
 * Refuses, without touching it, a file that is not a SQLite database, a damaged one, or one
 * written by a newer studio.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? knownMigrations;
  checkHeader(file);
  let db: Db;
  try {
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  } catch (error) {
    throw damaged(file, error);
  }
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(String(check));
    migrate(db, file, migrations);
    cacheStatements(db);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StudioFailure) throw error;
    throw damaged(file, error);
  }
}

function checkHeader(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return; // absent: SQLite creates it
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    if (read === 0) return; // empty file: SQLite initialises it
    if (read < head.length || !head.equals(SQLITE_HEADER)) {
      throw damaged(file, new Error('the file does not start with a SQLite header'));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function damaged(file: string, cause: unknown): StudioFailure {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StudioFailure(
    'database',
    `The studio database ${file} cannot be read (${reason}). It was left untouched. ` +
      `Restore it from a backup, or move it aside (with its -wal and -shm files) to start with an empty one; ` +
      `to use another folder, pass --data-dir or set CHARACTER_STUDIO_HOME.`,
  );
}

/** Applies pending migrations, each in its own transaction. */
export function migrate(db: Db, file: string, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all() as number[];
  const latestKnown = migrations.at(-1)?.id ?? 0;
  const newest = applied.at(-1) ?? 0;
  if (newest > latestKnown) {
    throw new StudioFailure(
      'database',
      `The database ${path.basename(file)} was written by a newer Character Studio (schema ${newest}; this one knows up to ${latestKnown}). ` +
        `It was left untouched: update Character Studio to open it, or choose another data folder with --data-dir.`,
    );
  }
  const done = new Set(applied);
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.id, migration.name, Date.now());
    })();
  }
  return latestKnown;
}

/** The schema as SQL text, stable across runs: used by the snapshot test. */
export function dumpSchema(db: Db): string {
  const rows = db
    .prepare(
      `SELECT type, name, sql FROM sqlite_master
       WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
       ORDER BY type, name`,
    )
    .all() as { type: string; name: string; sql: string }[];
  return rows.map((row) => `${row.sql.trim()};`).join('\n\n') + '\n';
}

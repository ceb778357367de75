import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { StudioFailure } from '../../common/studio-failure';
import { migrations as knownMigrations, type Migration } from './migrations';
import { beginSession, endSession, staleSessions } from './open-sessions';
import { cacheStatements, MAX_CACHED } from './statement-cache';
import { immediateTransactions } from './transactions';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for the running ABI (Electron's differs from Node's). */
  nativeBinding?: string;
  migrations?: readonly Migration[];
  /** Run the full page-by-page check even after a clean shutdown (the default runs it only after a crash). */
  fullCheck?: boolean;
  /**
   * Told once, before the first write, when a database that already holds data is brought up to
   * this studio's schema (from: its newest migration, to: this studio's). Some steps rebuild an
   * index over every scene (seconds per 100,000 scenes), so a door can say why opening waits.
   * Never called for a new database or one already up to date.
   */
  onUpgrade?: (step: { from: number; to: number }) => void;
  /**
   * Told once, before it starts, when the open reads every page of an existing database (after an
   * unclean shutdown, `afterCrash`, or because `fullCheck` asks): seconds on a large file (~10 s
   * for 1.2 GB on a slow 2-core machine), so a door can say why opening waits. `bytes`: the file's size.
   */
  onFullCheck?: (check: { bytes: number; afterCrash: boolean }) => void;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** The first migration's name: a `schema_migrations` table without it belongs to another program. */
const STUDIO_MARKER = { id: 1, name: 'initial' };

/**
 * Every connection to the studio's file, the studio's own and its writer threads' (import-writer.ts):
 * the settings that make their writes alike (the log, foreign keys, syncing) and each one's cost.
 */
export const STUDIO_PRAGMAS: readonly string[] = [
  'busy_timeout = 5000',
  'journal_mode = WAL',
  'foreign_keys = ON',
  'synchronous = NORMAL',
  // Statement and savepoint journals in memory: at SQLite's default (temp files) a job's group
  // commit, whose writes then each ran in a savepoint and touched more than the 16 pages kept in
  // memory, spilled its journal to a temp file and wrote every page it touched to it again (two
  // writes a page): a quarter of the CPU of writing an item. Its writes still run in savepoints
  // when one of them fails (write-batch.ts), and a statement over many rows keeps a journal.
  // Bulk scratch data that could be large (an import's stage) lives in a file of its own instead
  // (dataset-import-repo.ts).
  'temp_store = MEMORY',
  // 64 MiB of pages kept in memory (SQLite's default is 2 MiB), taken only as pages are read: at
  // 100,000 scenes the indexes an import or a job writes no longer fit in 2 MiB, and every write
  // read its pages back from the OS again (an import's CPU: -17%).
  'cache_size = -65536',
];

/**
 * How much of the file a check of every page reads through a memory map rather than by `read`s
 * (SQLite caps it at its own limit, 2 GiB as built): each page is then read in place, not copied
 * into SQLite's cache first: the check of a 1.2 GB file spends no time in the kernel and takes a
 * fifth less (7.8–9.2 → 5.9–7.3 s, measured alternately on a busy 2-core machine). Only the check
 * maps the file; the studio's own connection does not. Nothing in the studio shortens a database
 * file (no VACUUM), which could fault a mapped read.
 */
export const CHECK_MMAP_BYTES = 2 ** 31;

/**
 * Opens (creating if needed) the studio database: WAL, foreign keys on, migrations applied.
 * Refuses, without touching it, a folder at that path, a file that is not a SQLite database, a
 * damaged one, an SQLite database of another program, or one written by a newer studio.
 *
 * "Without touching" means the file keeps its bytes and modification time and no `-wal`/`-shm`
 * file is left behind: the checks run on a connection that only reads (see `inspect`) before
 * anything is written (the WAL switch, the migrations table).
 *
 * Cost does not grow with the file: every open checks the header, the page count against the
 * file's size, the schema, each table's root page and the migrations table. The full check of
 * every page (`PRAGMA quick_check`, seconds for a file of a gigabyte) runs only when a process
 * that had the database open ended without closing it (see `open-sessions.ts`) or when `fullCheck` asks;
 * otherwise it runs on demand (`checkIntegrity`). While open, this process's session marker is
 * kept; `db.close()` removes it.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? knownMigrations;
  const exists = checkPath(file);
  const stale = staleSessions(file);
  const full = options.fullCheck === true || stale.length > 0;
  if (exists && full) options.onFullCheck?.({ bytes: fs.statSync(file).size, afterCrash: stale.length > 0 });
  if (exists) inspect(file, options, migrations, full);
  let db: Db;
  try {
    db = new Database(file, nativeOptions(options));
  } catch (error) {
    throw damaged(file, error);
  }
  try {
    for (const pragma of STUDIO_PRAGMAS) db.pragma(pragma);
    migrate(db, file, migrations, options.onUpgrade);
    cacheStatements(db, MAX_CACHED);
  } catch (error) {
    db.close();
    if (error instanceof StudioFailure) throw error;
    throw damaged(file, error);
  }
  // Checked whole (or created new): the crashed sessions' markers have served their purpose.
  stale.forEach(endSession);
  const marker = beginSession(file);
  immediateTransactions(db);
  const close = db.close.bind(db);
  db.close = () => {
    close();
    endSession(marker);
    return db;
  };
  return db;
}

function nativeOptions(options: OpenOptions, extra: Database.Options = {}): Database.Options {
  return options.nativeBinding ? { ...extra, nativeBinding: options.nativeBinding } : extra;
}

/** Whether a non-empty file is there to check; throws for a folder or a file without SQLite's header. */
function checkPath(file: string): boolean {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return false; // absent: SQLite creates it
  }
  if (stat.isDirectory()) {
    throw new StudioFailure(
      'database',
      `The studio database path ${file} is a folder, not a database file. Nothing was changed. ` +
        `Move or rename that folder, or choose another data folder with --data-dir or CHARACTER_STUDIO_HOME.`,
    );
  }
  if (!stat.isFile()) throw damaged(file, new Error('it is not a regular file'));
  if (stat.size === 0) return false; // empty file: SQLite initialises it
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    if (read < head.length || !head.equals(SQLITE_HEADER)) {
      throw damaged(file, new Error('the file does not start with a SQLite header'));
    }
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Checks an existing database before anything writes to it: intact, the studio's own, and not
 * newer than this studio. With a `-wal` file already there (another process, or a crash), the
 * connection is read-only, so closing it cannot checkpoint that log into the file. Without one,
 * a read-only connection would create `-wal`/`-shm` and leave them behind; a read-write one that
 * only reads creates them too but removes them when it closes, leaving the file as it was.
 */
function inspect(file: string, options: OpenOptions, migrations: readonly Migration[], full: boolean): void {
  const hasLog = fs.existsSync(`${file}-wal`) && fs.existsSync(`${file}-shm`);
  let db: Db;
  try {
    db = new Database(file, nativeOptions(options, { fileMustExist: true, readonly: hasLog }));
  } catch (error) {
    throw damaged(file, error);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (full) {
      db.pragma(`mmap_size = ${CHECK_MMAP_BYTES}`);
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok')
        throw damaged(file, new Error(`${String(check)}; found by the check after an unclean shutdown`));
    } else {
      checkStructure(db, file, hasLog);
    }
    refuseForeign(db, file);
    refuseNewer(file, appliedIds(db).at(-1) ?? 0, migrations);
  } catch (error) {
    if (error instanceof StudioFailure) throw error;
    throw damaged(file, error);
  } finally {
    db.close();
  }
}

/**
 * The checks that cost the same for any size: a file shorter than its page count says (a
 * truncated copy), and each table's root page and first leaf, which also reads the whole schema.
 * Damage deeper in the file is for the full check.
 */
function checkStructure(db: Db, file: string, hasLog: boolean): void {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pageCount = db.pragma('page_count', { simple: true }) as number;
  const size = fs.statSync(file).size;
  // With a -wal file, the newest pages may live there; without one, all of them are in the file.
  if (!hasLog && size < pageSize * pageCount) {
    throw damaged(
      file,
      new Error(`the file holds ${size} bytes where its ${pageCount} pages need ${pageSize * pageCount}`),
    );
  }
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage > 0`)
    .pluck()
    .all() as string[];
  for (const table of tables) db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}" LIMIT 1`).get();
}

/** Refuses an SQLite database that holds tables but is not a studio database. */
function refuseForeign(db: Db, file: string): void {
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .pluck()
    .all() as string[];
  if (tables.length === 0) return; // a new, empty database
  let first: { id: number; name: string } | undefined;
  let foreign = !tables.includes('schema_migrations');
  if (!foreign) {
    try {
      first = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id LIMIT 1').get() as typeof first;
    } catch {
      foreign = true; // a schema_migrations table of another shape (Rails, Django…)
    }
    foreign ||= first ? first.id !== STUDIO_MARKER.id || first.name !== STUDIO_MARKER.name : tables.length > 1;
  }
  if (!foreign) return;
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  throw new StudioFailure(
    'database',
    `${file} is an SQLite database of another program (tables: ${shown}), not a Character Studio database. ` +
      `It was left untouched. Move it elsewhere, or choose another data folder with --data-dir or CHARACTER_STUDIO_HOME.`,
  );
}

function appliedIds(db: Db): number[] {
  const known = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  return known ? (db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all() as number[]) : [];
}

function refuseNewer(file: string, newest: number, migrations: readonly Migration[]): void {
  const latestKnown = migrations.at(-1)?.id ?? 0;
  if (newest <= latestKnown) return;
  throw new StudioFailure(
    'database',
    `The database ${path.basename(file)} was written by a newer Character Studio (schema ${newest}; this one knows up to ${latestKnown}). ` +
      `It was left untouched: update Character Studio to open it, or choose another data folder with --data-dir.`,
  );
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

/**
 * The upgrade `openDatabase` would run on `file` (its newest migration → this studio's), or null:
 * no file, a new or current database, or one that opening would refuse (opening says why). Reads
 * only, as `inspect` does, so a door can show why the open will wait before it starts.
 */
export function pendingUpgrade(
  file: string,
  options: Pick<OpenOptions, 'nativeBinding' | 'migrations'> = {},
): { from: number; to: number } | null {
  if (!fs.existsSync(file)) return null;
  const hasLog = fs.existsSync(`${file}-wal`) && fs.existsSync(`${file}-shm`);
  let db: Db | null = null;
  try {
    db = new Database(file, nativeOptions(options, { fileMustExist: true, readonly: hasLog }));
    const from = appliedIds(db).at(-1) ?? 0;
    const to = (options.migrations ?? knownMigrations).at(-1)?.id ?? 0;
    return from > 0 && from < to ? { from, to } : null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/**
 * Whether opening `file` will read every page first (an unclean shutdown left a session marker; see
 * `open-sessions.ts`), and the file's size: a door that cannot speak while opening blocks (the
 * desktop's main process) says so before it starts. Null when the open will not.
 */
export function pendingCrashCheck(file: string): { bytes: number } | null {
  if (!fs.existsSync(file) || staleSessions(file).length === 0) return null;
  return { bytes: fs.statSync(file).size };
}

/** Applies pending migrations, each in its own transaction; `onUpgrade` as in OpenOptions. */
export function migrate(
  db: Db,
  file: string,
  migrations: readonly Migration[],
  onUpgrade?: OpenOptions['onUpgrade'],
): number {
  // Checked again before any write: another process may have migrated since `inspect`.
  const applied = appliedIds(db);
  const from = applied.at(-1) ?? 0;
  refuseNewer(file, from, migrations);
  const to = migrations.at(-1)?.id ?? 0;
  const upgrading = from > 0 && from < to;
  if (upgrading) onUpgrade?.({ from, to });
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const done = new Set(applied);
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.backfill?.(db);
      record.run(migration.id, migration.name, Date.now());
    })();
  }
  // An upgrade that rebuilt an index over every scene passed it all through the log (~650 MiB at
  // 100,000 scenes for 22 → 25). SQLite copies a log back into the file after each commit but
  // keeps the log file at its largest until the last connection closes: emptied here, the session
  // after an upgrade does not carry (nor back up, nor sync) a log the size of the data.
  if (upgrading) db.pragma('wal_checkpoint(TRUNCATE)');
  return migrations.at(-1)?.id ?? 0;
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

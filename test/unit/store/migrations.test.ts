import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioFailure } from '../../../main/core/errors';
import { checkNotice, upgradeNotice } from '../../../main/shell/upgrade-notice';
import { dumpSchema, openDatabase, pendingUpgrade } from '../../../main/store/database';
import { migrations } from '../../../main/store/migrations';
import { repoRoot, tempDir } from '../../support/paths';

const SNAPSHOT = path.join(repoRoot, 'main', 'store', 'schema.snapshot.sql');

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('store migrations', () => {
  it('applies every migration to an empty database and matches the committed schema snapshot', () => {
    const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
    const schema = dumpSchema(db);
    if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') fs.writeFileSync(SNAPSHOT, schema);
    expect(schema).toBe(fs.readFileSync(SNAPSHOT, 'utf8'));
    const applied = db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
    expect(applied).toEqual(migrations.map((m) => m.id));
    db.close();
  });

  it('numbers migrations consecutively from 1', () => {
    expect(migrations.map((m) => m.id)).toEqual(migrations.map((_, index) => index + 1));
  });

  it('opens in WAL mode with foreign keys enforced', () => {
    const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() =>
      db
        .prepare(
          `INSERT INTO profiles (id, character_id, title, format, created_at, updated_at) VALUES ('p', 'missing', 't', 'text', 0, 0)`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('re-opening applies nothing twice and keeps data', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const db = openDatabase(file);
    db.prepare(
      `INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES ('c1', 'Ada', 'Ada', 1, 1)`,
    ).run();
    db.close();
    const again = openDatabase(file);
    expect(again.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(migrations.length);
    expect(again.prepare('SELECT full_name FROM characters').pluck().get()).toBe('Ada');
    again.close();
  });

  it('tells once when a database with data is brought up to date, never for a new or current one', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const steps: { from: number; to: number }[] = [];
    const onUpgrade = (step: { from: number; to: number }) => steps.push(step);
    openDatabase(file, { migrations: migrations.slice(0, 20), onUpgrade }).close();
    expect(steps).toEqual([]);
    const db = openDatabase(file, { onUpgrade });
    expect(steps).toEqual([{ from: 20, to: migrations.length }]);
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(migrations.length);
    db.close();
    openDatabase(file, { onUpgrade }).close();
    expect(steps).toHaveLength(1);
  });

  it('empties the log after an upgrade that wrote through it, instead of keeping it at its largest while open', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    openDatabase(file).close();
    // An upgrade that rewrites an index over every row: its pages pass through the log.
    const rebuild = {
      id: migrations.length + 1,
      name: 'rebuild',
      sql: `CREATE TABLE rebuilt (body BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
            INSERT INTO rebuilt SELECT randomblob(4000) FROM n;`,
    };
    const db = openDatabase(file, { migrations: [...migrations, rebuild] });
    try {
      expect(db.prepare('SELECT count(*) FROM rebuilt').pluck().get()).toBe(3000);
      // Open (no close yet, which would remove the log anyway) and the log holds nothing.
      expect(fs.statSync(`${file}-wal`).size).toBe(0);
    } finally {
      db.close();
    }
  });

  it('says which upgrade an open will run before opening, reading only', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    expect(pendingUpgrade(file)).toBeNull();
    openDatabase(file, { migrations: migrations.slice(0, 20) }).close();
    const before = fs.readFileSync(file);
    expect(pendingUpgrade(file)).toEqual({ from: 20, to: migrations.length });
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.existsSync(`${file}-wal`) || fs.existsSync(`${file}-shm`)).toBe(false);
    openDatabase(file).close();
    expect(pendingUpgrade(file)).toBeNull();
    const notDatabase = path.join(tmp.dir, 'notes.sqlite');
    fs.writeFileSync(notDatabase, 'not a database');
    expect(pendingUpgrade(notDatabase)).toBeNull();
  });

  it('words the desktop window shown during an upgrade with both schema numbers and no script', () => {
    const page = upgradeNotice({ from: 22, to: 24 });
    expect(page).toContain('Updating the studio database');
    expect(page).toMatch(/schema 22\).*schema 24\)/s);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toMatch(/<script/i);
    const check = checkNotice({ bytes: 1_250_000_000 });
    expect(check).toContain('Checking the studio database');
    expect(check).toContain('not shut down cleanly');
    expect(check).toContain('(1.2 GB)');
    expect(check).not.toMatch(/<script/i);
  });

  it('refuses a database written by a newer studio and leaves it untouched', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const db = openDatabase(file);
    db.prepare(`INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, 'future', 0)`).run();
    db.close();
    const before = fs.readFileSync(file);
    const error = catchError(() => openDatabase(file));
    expect(error).toBeInstanceOf(StudioFailure);
    expect(error.message).toMatch(/newer Character Studio \(schema 999; this one knows up to \d+\)/);
    expect(error.message).toMatch(/update Character Studio/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('leaves a newer database byte for byte untouched, even one not in WAL mode, with no -wal or -shm left', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const db = openDatabase(file);
    db.prepare(`INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, 'future', 0)`).run();
    // A backup tool or a newer studio may leave it in rollback-journal mode: the WAL switch would rewrite the header.
    db.pragma('journal_mode = DELETE');
    db.close();
    const before = fs.readFileSync(file);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const mtime = fs.statSync(file).mtimeMs;
    const error = catchError(() => openDatabase(file));
    expect(error.message).toMatch(/newer Character Studio \(schema 999/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['studio.sqlite']);
  });

  it('refuses a newer database another process holds open (a -wal there) without checkpointing it', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const db = openDatabase(file);
    db.prepare(`INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, 'future', 0)`).run();
    // Still open: the row lives in the -wal file, as with a newer studio running right now.
    const before = fs.readFileSync(file);
    const error = catchError(() => openDatabase(file));
    expect(error.message).toMatch(/newer Character Studio \(schema 999/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    db.close();
  });

  it('refuses an SQLite database of another program instead of migrating it', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const other = new Database(file);
    other.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')`);
    other.close();
    const before = fs.readFileSync(file);
    const error = catchError(() => openDatabase(file));
    expect((error as StudioFailure).code).toBe('database');
    expect(error.message).toMatch(/another program \(tables: notes\), not a Character Studio database.*left untouched/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['studio.sqlite']);

    // A schema_migrations table of another shape (Rails keeps `version`) is no studio marker either.
    const rails = path.join(tmp.dir, 'rails.sqlite');
    const app = new Database(rails);
    app.exec(`CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); CREATE TABLE users (id INTEGER)`);
    app.close();
    expect(catchError(() => openDatabase(rails)).message).toMatch(
      /another program \(tables: schema_migrations, users\)/,
    );
  });

  it('opens an empty SQLite file and a studio database with data as before', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    new Database(file).close();
    openDatabase(file).close();
    const again = openDatabase(file);
    expect(again.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(migrations.length);
    again.close();
  });

  it('says clearly when a folder sits at the database path', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    fs.mkdirSync(file);
    const error = catchError(() => openDatabase(file));
    expect((error as StudioFailure).code).toBe('database');
    expect(error.message).toMatch(
      /is a folder, not a database file\. Nothing was changed\. Move or rename that folder/,
    );
    expect(fs.readdirSync(file)).toEqual([]);
  });

  it('refuses a file that is not a database, says what to do, and does not touch it', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const garbage = Buffer.from('this is definitely not sqlite, just some notes I saved here by mistake\n'.repeat(200));
    fs.writeFileSync(file, garbage);
    const error = catchError(() => openDatabase(file));
    expect(error).toBeInstanceOf(StudioFailure);
    expect((error as StudioFailure).code).toBe('database');
    expect(error.message).toMatch(/cannot be read .* left untouched.*move it aside/s);
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
  });

  it('refuses a database whose pages are damaged', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const db = openDatabase(file);
    const insert = db.prepare(
      `INSERT INTO characters (id, full_name, short_name, notes, created_at, updated_at) VALUES (?, ?, 'x', ?, 1, 1)`,
    );
    for (let i = 0; i < 300; i++) insert.run(`c${i}`, `name ${i}`, 'n'.repeat(500));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = fs.readFileSync(file);
    // Scribble over the middle pages but keep the header, as a bad disk or a half-copied file would.
    bytes.fill(0x5a, 4096 * 2, 4096 * 6);
    fs.writeFileSync(file, bytes);
    const error = catchError(() => openDatabase(file));
    expect((error as StudioFailure).code).toBe('database');
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

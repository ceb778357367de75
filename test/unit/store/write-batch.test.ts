import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteBatch } from '../../../main/store/write-batch';
import { tempDir } from '../../support/paths';

// Group commit on a real SQLite file in WAL mode, watched from a second connection as another
// process would see it: `PRAGMA data_version` moves once for each commit of another connection.

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function open() {
  const { dir, cleanup } = tempDir('cs-write-batch-');
  const file = path.join(dir, 'batch.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE items (id TEXT PRIMARY KEY)');
  const reader = new Database(file, { readonly: true });
  cleanups.push(() => {
    reader.close();
    db.close();
    cleanup();
  });
  const commits = () => reader.pragma('data_version', { simple: true }) as number;
  const onDisk = () => reader.prepare('SELECT id FROM items ORDER BY rowid').pluck().all() as string[];
  return { db, commits, onDisk };
}

/** Savepoints the batch opened since (each guarded write runs in one through `db.transaction`). */
function countSavepoints(db: Database.Database): () => number {
  const transaction = db.transaction.bind(db);
  let opened = 0;
  const outer = db.inTransaction;
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const tx = transaction(fn);
    return Object.assign((...args: unknown[]) => {
      if (db.inTransaction !== outer) opened++;
      return tx(...args);
    }, tx);
  }) as typeof db.transaction;
  return () => opened;
}

describe('WriteBatch', () => {
  it('commits writes asked for together in one transaction, in order, each settled once it is on disk', async () => {
    const { db, commits, onDisk } = open();
    const batch = new WriteBatch(db, { windowMs: 20 });
    const before = commits();
    const seenAtSettle: string[][] = [];
    const writes = ['a', 'b', 'c'].map((id) =>
      batch
        .write(() => db.prepare('INSERT INTO items (id) VALUES (?)').run(id).changes)
        .then((changes) => {
          seenAtSettle.push(onDisk());
          return changes;
        }),
    );
    expect(onDisk()).toEqual([]);
    expect(await Promise.all(writes)).toEqual([1, 1, 1]);
    expect(commits()).toBe(before + 1);
    // Each promise settled with every write of its batch already readable by another connection.
    for (const seen of seenAtSettle) expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('undoes a write that throws alone: its promise rejects, the others stand', async () => {
    const { db, onDisk } = open();
    const batch = new WriteBatch(db, { windowMs: 20 });
    const insert = (id: string) => () => db.prepare('INSERT INTO items (id) VALUES (?)').run(id);
    const first = batch.write(insert('a'));
    const failing = batch.write(() => {
      insert('half')();
      insert('a')(); // a duplicate key: this write fails after a first row, which is undone with it
    });
    const last = batch.write(insert('b'));
    await expect(failing).rejects.toThrow(/UNIQUE/);
    await Promise.all([first, last]);
    expect(onDisk()).toEqual(['a', 'b']);
  });

  it('runs writes bare; when one throws, runs them all again each in a savepoint, after calling every undone, last first', async () => {
    const { db, commits, onDisk } = open();
    const batch = new WriteBatch(db, { windowMs: 20 });
    const savepoints = countSavepoints(db);
    const log: string[] = [];
    const insert = (id: string) => () => {
      log.push(`run ${id}`);
      db.prepare('INSERT INTO items (id) VALUES (?)').run(id);
      return id;
    };
    const undone = (id: string) => () => log.push(`undone ${id}`);
    await Promise.all([batch.write(insert('a'), 20, undone('a')), batch.write(insert('b'), 20, undone('b'))]);
    expect(savepoints()).toBe(0);
    log.length = 0;

    const before = commits();
    const first = batch.write(insert('c'), 20, undone('c'));
    const failing = batch.write(
      () => {
        insert('half')();
        insert('a')(); // a duplicate key
      },
      20,
      undone('failing'),
    );
    const last = batch.write(insert('d'), 20, undone('d'));
    await expect(failing).rejects.toThrow(/UNIQUE/);
    expect(await Promise.all([first, last])).toEqual(['c', 'd']);
    expect(onDisk()).toEqual(['a', 'b', 'c', 'd']);
    expect(commits()).toBe(before + 1);
    expect(savepoints()).toBe(3);
    expect(log).toEqual([
      // bare: the third write is never reached
      'run c',
      'run half',
      'run a',
      'undone failing',
      'undone c',
      // again, each in a savepoint: the failing write is undone alone
      'run c',
      'run half',
      'run a',
      'undone failing',
      'run d',
    ]);
  });

  it("calls every write's undone and rejects them all when the commit fails", async () => {
    const { db, onDisk } = open();
    // Checked at commit: a row pointing at no item passes its statement and fails the COMMIT.
    db.exec('CREATE TABLE notes (item TEXT REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED)');
    db.pragma('foreign_keys = ON');
    const batch = new WriteBatch(db, { windowMs: 20 });
    const undone: string[] = [];
    const ok = batch.write(
      () => db.prepare("INSERT INTO items (id) VALUES ('a')").run(),
      20,
      () => undone.push('ok'),
    );
    const dangling = batch.write(
      () => db.prepare("INSERT INTO notes (item) VALUES ('nowhere')").run(),
      20,
      () => undone.push('dangling'),
    );
    await expect(ok).rejects.toThrow(/FOREIGN KEY/);
    await expect(dangling).rejects.toThrow(/FOREIGN KEY/);
    expect(undone).toEqual(['dangling', 'ok']);
    expect(onDisk()).toEqual([]);
  });

  it('commits on the next turn when a write cannot wait, taking the waiting writes with it', async () => {
    const { db, commits, onDisk } = open();
    const batch = new WriteBatch(db, { windowMs: 60_000 });
    const before = commits();
    const waiting = batch.write(() => db.prepare("INSERT INTO items (id) VALUES ('later')").run());
    await batch.write(() => db.prepare("INSERT INTO items (id) VALUES ('now')").run(), 0);
    await waiting;
    expect(onDisk()).toEqual(['later', 'now']);
    expect(commits()).toBe(before + 1);
  });

  it('flush() commits what waits at once; an empty batch commits nothing', async () => {
    const { db, commits, onDisk } = open();
    const batch = new WriteBatch(db, { windowMs: 60_000 });
    const before = commits();
    batch.flush();
    expect(commits()).toBe(before);
    const waiting = batch.write(() => db.prepare("INSERT INTO items (id) VALUES ('x')").run());
    batch.flush();
    expect(onDisk()).toEqual(['x']);
    await waiting;
  });

  it('commits a due batch whose work outlasts its slice in several, the loop turning between them; flush() in one', async () => {
    const { db, commits, onDisk } = open();
    // A slice of 0 ms: every write outlasts it, so each due slice holds exactly one write.
    const batch = new WriteBatch(db, { windowMs: 20, sliceMs: 0 });
    const before = commits();
    const seenAtSettle: string[][] = [];
    const writes = ['a', 'b', 'c'].map((id) =>
      batch
        .write(() => db.prepare('INSERT INTO items (id) VALUES (?)').run(id))
        .then(() => seenAtSettle.push(onDisk())),
    );
    await Promise.all(writes);
    expect(commits()).toBe(before + 3);
    // Each settled after its own slice's commit and before the next slice ran: the loop had a turn between.
    expect(seenAtSettle).toEqual([['a'], ['a', 'b'], ['a', 'b', 'c']]);

    const rest = ['d', 'e'].map((id) => batch.write(() => db.prepare('INSERT INTO items (id) VALUES (?)').run(id)));
    batch.flush();
    expect(commits()).toBe(before + 4);
    expect(onDisk()).toEqual(['a', 'b', 'c', 'd', 'e']);
    await Promise.all(rest);
  });
});

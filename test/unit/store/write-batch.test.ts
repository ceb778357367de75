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

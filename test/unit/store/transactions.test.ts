import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/store/database';
import { tempDir } from '../../support/paths';

// The studio's `db.transaction` (transactions.ts): better-sqlite3's contract, begun IMMEDIATE.

let tmp: { dir: string; cleanup: () => void };
let db: Db;
beforeEach(() => {
  tmp = tempDir();
  db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
  db.exec('CREATE TEMP TABLE t (v INTEGER)');
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

const values = () => db.prepare('SELECT v FROM t ORDER BY v').pluck().all();

describe('db.transaction', () => {
  it('commits what the function wrote and returns its result, with its arguments and `this`', () => {
    const add = db.transaction(function (this: { n: number }, a: number, b: number) {
      db.prepare('INSERT INTO t VALUES (?)').run(a + b + this.n);
      return 'done';
    });
    expect(add.call({ n: 10 }, 1, 2)).toBe('done');
    expect(values()).toEqual([13]);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls back a throwing function and rethrows; nested, only its own savepoint', () => {
    const insert = (v: number) => db.prepare('INSERT INTO t VALUES (?)').run(v);
    expect(() =>
      db.transaction(() => {
        insert(1);
        throw new Error('no');
      })(),
    ).toThrow('no');
    expect(values()).toEqual([]);
    db.transaction(() => {
      insert(2);
      expect(() =>
        db.transaction(() => {
          insert(3);
          throw new Error('inner');
        })(),
      ).toThrow('inner');
      db.transaction(() => insert(4))();
    })();
    expect(values()).toEqual([2, 4]);
    expect(db.inTransaction).toBe(false);
  });

  it('begins IMMEDIATE (the write lock taken at once), or DEFERRED when asked', () => {
    const other = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
    try {
      other.pragma('busy_timeout = 0');
      db.transaction(() => {
        expect(() =>
          other.prepare('INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, 0)').run('k', '"v"'),
        ).toThrow(/locked|busy/i);
      })();
      // Deferred, a transaction that only reads leaves another connection free to write.
      db.transaction(() => {
        db.prepare('SELECT count(*) FROM preferences').get();
        other.prepare('INSERT INTO preferences (key, value, updated_at) VALUES (?, ?, 0)').run('k', '"v"');
      }).deferred();
    } finally {
      other.close();
    }
  });

  it('refuses a function that returns a promise, leaving nothing written', () => {
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        return Promise.resolve();
      })(),
    ).toThrow(TypeError);
    expect(values()).toEqual([]);
  });
});

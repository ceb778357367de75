import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openDatabase, type Db } from '../../../main/store/database';
import { tempDir } from '../../support/paths';

let tmp: ReturnType<typeof tempDir>;
let db: Db;

beforeEach(() => {
  tmp = tempDir('cs-statements-');
  db = openDatabase(path.join(tmp.dir, 'studio.db'));
  db.exec('CREATE TABLE t (n INTEGER)');
  db.prepare('INSERT INTO t (n) VALUES (?)').run(1);
  db.prepare('INSERT INTO t (n) VALUES (?)').run(2);
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

describe('the studio database compiles each SQL text once', () => {
  it('hands out the same statement for the same text, with its modes as a fresh one has them', () => {
    const sql = 'SELECT n FROM t ORDER BY n';
    const first = db.prepare(sql);
    expect(first.pluck().all()).toEqual([1, 2]);
    const again = db.prepare(sql);
    expect(again).toBe(first);
    expect(again.all()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(db.prepare(sql).raw().all()).toEqual([[1], [2]]);
    expect(db.prepare(sql).get()).toEqual({ n: 1 });
    expect(db.prepare('INSERT INTO t (n) VALUES (?)')).toBe(db.prepare('INSERT INTO t (n) VALUES (?)'));
  });

  it('gives a fresh statement while the cached one is being iterated', () => {
    const sql = 'SELECT n FROM t ORDER BY n';
    const seen: number[][] = [];
    for (const row of db.prepare(sql).iterate() as Iterable<{ n: number }>) {
      seen.push([row.n, ...(db.prepare(sql).pluck().all() as number[])]);
    }
    expect(seen).toEqual([
      [1, 1, 2],
      [2, 1, 2],
    ]);
  });
});

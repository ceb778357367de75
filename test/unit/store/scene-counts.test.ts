import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, JobId } from '../../../common/contract';
import { openDatabase, type Db } from '../../../main/store/database';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { databaseBefore } from '../../support/old-database';
import { tempDir } from '../../support/paths';

// A character's scene count is kept by triggers (migration 027) and must always equal a count of
// its rows: after inserts, deletes, a scene moved between normal and protective or to another
// character, a character deleted, and on a database migrated with scenes already in it.

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const characters = ['a', 'b'] as CharacterId[];
const jobs = ['j1', 'j2'] as JobId[];

function seed(db: Db, from: number, to: number): void {
  const scene = db.prepare(`INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, protective, type,
    location, time, background, people, prompt_version, created_at)
    VALUES (?, ?, ?, ?, 0, ?, 'Lesson', 'Bonn', '', 'A lesson.', '[]', 'v', ?)`);
  for (let i = from; i < to; i++)
    scene.run(`s${i}`, characters[i % 2], jobs[i % 3 === 0 ? 0 : 1], `i${i}`, i % 5 === 0 ? 1 : 0, i);
}

function expectCountsRight(db: Db): void {
  const repo = new DatasetRepo(db);
  const count = db.prepare(
    `SELECT count(*) FROM scenes WHERE character_id = ? AND protective = ? AND (? IS NULL OR job_id IS NOT ?)`,
  );
  for (const c of characters)
    for (const protective of [false, true]) {
      const p = protective ? 1 : 0;
      expect(repo.countCharacterScenes(c, protective)).toBe(count.pluck().get(c, p, null, null));
      for (const j of jobs) expect(repo.countCharacterScenes(c, protective, j)).toBe(count.pluck().get(c, p, j, j));
    }
}

function withCharacters(db: Db): void {
  for (const c of characters)
    db.prepare(`INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES (?, ?, ?, 1, 1)`).run(
      c,
      `Character ${c}`,
      c,
    );
  for (const j of jobs)
    db.prepare(
      `INSERT INTO jobs (id, character_id, kind, status, settings, created_at, updated_at) VALUES (?, 'a', 'generation', 'succeeded', '{}', 1, 1)`,
    ).run(j);
}

it('keeps each character’s count of normal and protective scenes through inserts, deletes, moves and a deleted character', () => {
  const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
  withCharacters(db);
  seed(db, 0, 40);
  expectCountsRight(db);

  db.prepare(`DELETE FROM scenes WHERE rowid % 7 = 0`).run();
  expectCountsRight(db);
  db.prepare(`UPDATE scenes SET protective = 1 - protective WHERE rowid % 3 = 1`).run();
  expectCountsRight(db);
  db.prepare(`UPDATE scenes SET character_id = 'b' WHERE rowid % 4 = 1 AND character_id = 'a'`).run();
  expectCountsRight(db);
  // An update that moves nothing changes no count.
  db.prepare(`UPDATE scenes SET location = 'Vienna', protective = protective`).run();
  expectCountsRight(db);

  db.prepare(`DELETE FROM characters WHERE id = 'b'`).run();
  expect(db.prepare(`SELECT count(*) FROM scenes WHERE character_id = 'b'`).pluck().get()).toBe(0);
  expect(db.prepare(`SELECT count(*) FROM character_scene_counts WHERE character_id = 'b'`).pluck().get()).toBe(0);
  expectCountsRight(db);
  db.close();
});

it('counts the scenes already there when an older database is upgraded', () => {
  const file = path.join(tmp.dir, 'studio.sqlite');
  const old = databaseBefore(file, 'character_scene_counts');
  withCharacters(old);
  seed(old, 0, 25);
  old.close();

  const db = openDatabase(file);
  expect(new DatasetRepo(db).countCharacterScenes('a' as CharacterId, false)).toBeGreaterThan(0);
  expectCountsRight(db);
  seed(db, 25, 31);
  expectCountsRight(db);
  db.close();
});

import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, JobId, SceneId, Turn } from '../../../common/contract';
import { CallRecordsRepo } from '../../../main/store/call-records-repo';
import { CharactersRepo } from '../../../main/store/characters-repo';
import { openDatabase, type Db } from '../../../main/store/database';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { databaseBefore } from '../../support/old-database';
import { tempDir } from '../../support/paths';
import { insertLesson } from '../../support/scenes';

// Migration 030: a generated scene's model is written with its row, and its experience's call
// rewrites the row only when the model differs. The models stored are those of before (the model
// of the call that last wrote the scene), on a migrated database as on a new one.

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const characterId = 'c-beethoven' as CharacterId;
const turns: Turn[] = [
  { speaker: 'Neefe', kind: 'speaking', text: 'Again, slower.' },
  { speaker: 'Beethoven', kind: 'speaking', text: 'As you wish, master.' },
];

function prepare(db: Db): void {
  new CharactersRepo(db).insert(
    characterId,
    { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '', notes: '' },
    1,
  );
  new JobsRepo(db).insertJob({ id: 'job' as JobId, characterId, settings: {} }, 1);
  const calls = new CallRecordsRepo(db);
  for (const [id, model] of [
    ['call-a', 'model-a'],
    ['call-b', 'model-b'],
  ] as const)
    calls.start({
      id,
      attempt: 1,
      job_id: null,
      item_id: null,
      provider: 'fake',
      model,
      params: '{}',
      messages: '[]',
      started_at: 1,
    });
}

/** A lesson of job `job` written by the call `callId` (test/support/scenes.ts). */
function scene(db: Db, id: string, callId: string | null): void {
  insertLesson(new DatasetRepo(db), characterId, id as SceneId, { callId });
}

const modelOf = (db: Db, id: string) => db.prepare('SELECT model FROM scenes WHERE id = ?').pluck().get(id);
const revisionOf = (db: Db, id: string) => db.prepare('SELECT revision FROM scenes WHERE id = ?').pluck().get(id);

function writeExperience(db: Db, id: string, callId: string | null): void {
  new DatasetRepo(db).insertExperience(
    id as SceneId,
    { background: 'Cold.', turns, callId, promptVersion: 'builtin@1', problems: [] },
    2,
  );
}

it('migrates a database holding scenes, experiences and calls, keeping them, and the models follow the calls as before', () => {
  const file = path.join(tmp.dir, 'studio.sqlite');
  const old = databaseBefore(file, 'per_item_costs');
  prepare(old);
  // Written as the studio before 030 wrote them: its trigger set the model after the INSERT.
  old
    .prepare(
      `INSERT INTO scenes (id, character_id, item_id, ordinal, type, location, time, background, people, call_id,
         prompt_version, created_at) VALUES ('old', ?, 'item-old', 0, 'Lesson', 'Bonn', '1783', 'Old.', '[]', 'call-a', 'builtin@1', 1)`,
    )
    .run(characterId);
  writeExperience(old, 'old', 'call-b');
  expect(modelOf(old, 'old')).toBe('model-b');
  old.close();

  const db = openDatabase(file);
  expect(db.prepare('SELECT max(id) FROM schema_migrations').pluck().get()).toBe(30);
  expect(modelOf(db, 'old')).toBe('model-b');
  expect(db.prepare('SELECT turns FROM experiences WHERE scene_id = ?').pluck().get('old')).toBe(JSON.stringify(turns));
  expect(db.prepare('SELECT turn_count, word_count FROM scenes WHERE id = ?').get('old')).toEqual({
    turn_count: 2,
    word_count: 6,
  });

  // A generated scene names its call's model from its INSERT on.
  scene(db, 'new', 'call-a');
  expect(modelOf(db, 'new')).toBe('model-a');
  // A writer that gives no model still gets the call's (the trigger), and none without a call.
  db.prepare(
    `INSERT INTO scenes (id, character_id, item_id, ordinal, type, location, time, background, people, call_id,
       prompt_version, created_at) VALUES ('raw', ?, 'item-raw', 0, 'Lesson', 'Bonn', '', '', '[]', 'call-b', '', 3)`,
  ).run(characterId);
  expect(modelOf(db, 'raw')).toBe('model-b');
  scene(db, 'hand', null);
  expect(modelOf(db, 'hand')).toBeNull();

  // The experience's call names the model when it differs; one written by a person, or by a call
  // with no record, leaves it. Each write moves the revision on by one.
  writeExperience(db, 'new', 'call-b');
  expect([modelOf(db, 'new'), revisionOf(db, 'new')]).toEqual(['model-b', 2]);
  writeExperience(db, 'new', null);
  expect([modelOf(db, 'new'), revisionOf(db, 'new')]).toEqual(['model-b', 3]);
  writeExperience(db, 'new', 'call-unknown');
  expect([modelOf(db, 'new'), revisionOf(db, 'new')]).toEqual(['model-b', 4]);
  writeExperience(db, 'hand', 'call-a');
  expect(modelOf(db, 'hand')).toBe('model-a');
  db.close();
});

it('writes a generated scene row once more for its experience, not four times', () => {
  const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
  prepare(db);
  db.exec(`CREATE TEMP TABLE rewrites (n INTEGER NOT NULL);
    CREATE TEMP TRIGGER count_rewrites AFTER UPDATE ON main.scenes BEGIN INSERT INTO rewrites VALUES (1); END;`);
  const rewrites = () => db.prepare('SELECT count(*) FROM temp.rewrites').pluck().get();
  scene(db, 's1', 'call-a');
  expect(rewrites()).toBe(0);
  writeExperience(db, 's1', 'call-a');
  // Its figures and revision, in one UPDATE; the model it has already.
  expect(rewrites()).toBe(1);
  expect([modelOf(db, 's1'), revisionOf(db, 's1')]).toEqual(['model-a', 2]);
  db.close();
});

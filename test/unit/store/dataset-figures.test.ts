import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  CharacterId,
  DatasetStats,
  FormatProblem,
  FormatProblemCode,
  JobId,
  SceneId,
  Turn,
} from '../../../common/contract';
import { CharactersRepo } from '../../../main/store/characters-repo';
import { openDatabase, type Db } from '../../../main/store/database';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { SceneBrowserRepo } from '../../../main/store/scene-browser-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { scopeOf } from '../../../main/store/job-figures';
import { recountScope } from '../../support/job-recount';
import { databaseBefore } from '../../support/old-database';
import { tempDir } from '../../support/paths';

// The stored figures must always equal a full recount from the experiences as written: after
// inserts, a rename of the character, deleted experiences and scenes, and a migrated old database.

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const BEETHOVEN = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '', notes: '' };

function turnsOf(i: number): Turn[] {
  const turns: Turn[] = [
    { speaker: 'Beethoven', kind: 'speaking', text: `Play it again,   slower ${i}.` },
    { speaker: 'Neefe', kind: 'speaking', text: 'As you wish.' },
  ];
  if (i % 3 === 0) turns.push({ speaker: 'Neefe', kind: 'thinking', text: 'He is impatient.' });
  if (i % 4 === 0) turns.push({ speaker: 'Ludwig', kind: 'thinking', text: 'The left hand drags.' });
  return turns;
}

function problemsOf(i: number): FormatProblem[] {
  const problems: FormatProblem[] = [];
  if (i % 3 === 0) problems.push({ code: 'other_thinking', message: 'Neefe thinks', turn: 2, raw: '' });
  if (i % 5 === 0) problems.push({ code: 'unlabeled_turn', message: 'no label', turn: 0, raw: '' });
  return problems;
}

/** What the figures must be, recounted the slow way: every experience parsed in JavaScript. */
function recount(db: Db, characterId: CharacterId) {
  const character = db.prepare('SELECT full_name, short_name FROM characters WHERE id = ?').get(characterId) as {
    full_name: string;
    short_name: string;
  };
  const aliases = new Set([character.full_name.toLowerCase(), character.short_name.toLowerCase()]);
  const scenes = db
    .prepare(
      `SELECT s.protective, s.background AS scene_background, e.turns, e.problems
       FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE s.character_id = ?`,
    )
    .all(characterId) as { protective: number; scene_background: string; turns: string | null; problems: string }[];
  const stats: DatasetStats = {
    scenes: scenes.length,
    protectiveScenes: scenes.filter((s) => s.protective === 1).length,
    experiences: 0,
    turns: 0,
    words: 0,
    experiencesWithProblems: 0,
    problems: {},
  };
  const training = { examples: 0, trainChars: 0, otherThinking: 0, scenesWithOtherThinking: 0 };
  for (const scene of scenes) {
    if (scene.turns === null) continue;
    const turns = JSON.parse(scene.turns) as Turn[];
    const problems = JSON.parse(scene.problems) as FormatProblem[];
    stats.experiences++;
    stats.turns += turns.length;
    for (const t of turns) stats.words += t.text.split(/\s+/).filter(Boolean).length;
    if (problems.length > 0) stats.experiencesWithProblems++;
    for (const p of problems) stats.problems[p.code] = (stats.problems[p.code] ?? 0) + 1;
    training.examples++;
    training.trainChars +=
      turns.reduce((n, t) => n + t.text.length + t.speaker.length + 16, 0) + scene.scene_background.length + 600;
    const others = turns.filter((t) => t.kind === 'thinking' && !aliases.has(t.speaker.toLowerCase())).length;
    training.otherThinking += others;
    if (others > 0) training.scenesWithOtherThinking++;
  }
  return { stats, training };
}

function seed(db: Db, characterId: CharacterId, jobId: JobId, count: number, at: number, withExperience = true): void {
  const dataset = new DatasetRepo(db);
  for (let i = 0; i < count; i++) {
    const id = `${jobId}-scene-${i}` as SceneId;
    dataset.insertScene(
      {
        id,
        characterId,
        jobId,
        itemId: `${jobId}-item-${i}`,
        ordinal: 0,
        chunkId: null,
        protective: i % 4 === 3,
        limit: null,
        type: 'Lesson',
        location: `Bonn ${i}`,
        time: '1783',
        background: `Neefe teaches the boy, lesson ${i}.`,
        people: ['Neefe'],
        callId: null,
        promptVersion: 'builtin@1',
      },
      at + i,
    );
    if (withExperience && i % 7 !== 6)
      dataset.insertExperience(
        id,
        { background: 'Cold.', turns: turnsOf(i), callId: null, promptVersion: 'builtin@1', problems: problemsOf(i) },
        at + i,
      );
  }
}

function expectFiguresRight(db: Db, characterId: CharacterId): void {
  const dataset = new DatasetRepo(db);
  const expected = recount(db, characterId);
  expect(dataset.stats(characterId)).toEqual(expected.stats);
  expect(dataset.trainingFigures(characterId)).toEqual(expected.training);
  expect(speakerRows(db, characterId)).toEqual(recountSpeakers(db, characterId));
}

/** The speaker filter's rows (`scene_speakers`) of the character: scene, speaker and turns. */
function speakerRows(db: Db, characterId: CharacterId): string[] {
  return db
    .prepare(`SELECT scene_id, speaker, turns FROM scene_speakers WHERE character_id = ?`)
    .all(characterId)
    .map((r) => JSON.stringify(r))
    .sort();
}

/** The same rows recounted from the experiences as written: each scene's turns by trimmed speaker. */
function recountSpeakers(db: Db, characterId: CharacterId): string[] {
  const rows = db
    .prepare(
      `SELECT e.scene_id, e.turns FROM experiences e JOIN scenes s ON s.id = e.scene_id WHERE s.character_id = ?`,
    )
    .all(characterId) as { scene_id: string; turns: string }[];
  const out: string[] = [];
  for (const row of rows) {
    const counts = new Map<string, number>();
    for (const t of JSON.parse(row.turns) as Turn[]) {
      const speaker = t.speaker.trim();
      if (speaker !== '') counts.set(speaker, (counts.get(speaker) ?? 0) + 1);
    }
    for (const [speaker, turns] of counts) out.push(JSON.stringify({ scene_id: row.scene_id, speaker, turns }));
  }
  return out.sort();
}

describe('dataset figures stored with each scene', () => {
  it('equal a full recount after writes, a rename, deleted experiences, scenes and another character', () => {
    const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
    const characters = new CharactersRepo(db);
    const jobs = new JobsRepo(db);
    const beethoven = 'c-beethoven' as CharacterId;
    const other = 'c-other' as CharacterId;
    characters.insert(beethoven, BEETHOVEN, 1);
    characters.insert(other, { ...BEETHOVEN, fullName: 'Clara Schumann', shortName: 'Clara' }, 1);
    jobs.insertJob({ id: 'job-1' as JobId, characterId: beethoven, settings: {} }, 1000);
    jobs.insertJob({ id: 'job-2' as JobId, characterId: beethoven, settings: {} }, 5000);
    jobs.insertJob({ id: 'job-3' as JobId, characterId: other, settings: {} }, 1000);
    seed(db, beethoven, 'job-1' as JobId, 30, 1000);
    seed(db, beethoven, 'job-2' as JobId, 12, 5000, false);
    seed(db, other, 'job-3' as JobId, 9, 1000);
    expectFiguresRight(db, beethoven);
    expectFiguresRight(db, other);
    expect(new DatasetRepo(db).stats(beethoven).problems.other_thinking).toBeGreaterThan(0);

    // "Ludwig" thinks in some scenes: another speaker until the full name says who he is.
    const before = new DatasetRepo(db).trainingFigures(beethoven).otherThinking;
    characters.update(beethoven, { ...BEETHOVEN, fullName: 'Ludwig' }, 2);
    expect(new DatasetRepo(db).trainingFigures(beethoven).otherThinking).toBeLessThan(before);
    expectFiguresRight(db, beethoven);

    db.prepare(`DELETE FROM experiences WHERE scene_id IN ('job-1-scene-0', 'job-1-scene-3')`).run();
    db.prepare(`DELETE FROM scenes WHERE id IN ('job-1-scene-5', 'job-1-scene-6')`).run();
    expectFiguresRight(db, beethoven);
    // An experience replaced by one with other speakers: the old speakers' rows go.
    new DatasetRepo(db).insertExperience(
      'job-1-scene-1' as SceneId,
      {
        background: '',
        turns: [{ speaker: ' Salieri ', kind: 'speaking', text: 'Again.' }],
        callId: null,
        promptVersion: 'builtin@1',
        problems: [],
      },
      3,
    );
    expectFiguresRight(db, beethoven);
    // The experience is written again after its deletion: counted once.
    new DatasetRepo(db).insertExperience(
      'job-1-scene-0' as SceneId,
      { background: '', turns: turnsOf(0), callId: null, promptVersion: 'builtin@1', problems: problemsOf(0) },
      3,
    );
    expectFiguresRight(db, beethoven);

    const dataset = new DatasetRepo(db);
    for (const [job, at] of [
      ['job-1', 1000],
      ['job-2', 5000],
    ] as const)
      expect(scopeOf(new JobsRepo(db).job(job as JobId)!)).toEqual(
        recountScope(db, { id: job as JobId, character_id: beethoven, created_at: at }),
      );
    expect(dataset.countScenesWithoutExperience(beethoven, false)).toBe(
      db
        .prepare(
          `SELECT count(*) FROM scenes s WHERE s.character_id = ? AND s.protective = 0
           AND NOT EXISTS (SELECT 1 FROM experiences e WHERE e.scene_id = s.id)`,
        )
        .pluck()
        .get(beethoven),
    );

    characters.delete(other);
    expect(db.prepare(`SELECT count(*) FROM scene_problem_counts WHERE character_id = ?`).pluck().get(other)).toBe(0);
    expectFiguresRight(db, beethoven);
    db.close();
  });

  it('lists scenes with list fields and figures only, never the experience text', () => {
    const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
    const characterId = 'c' as CharacterId;
    new CharactersRepo(db).insert(characterId, BEETHOVEN, 1);
    new JobsRepo(db).insertJob({ id: 'job' as JobId, characterId, settings: {} }, 1);
    seed(db, characterId, 'job' as JobId, 8, 1);
    const dataset = new DatasetRepo(db);
    const browser = new SceneBrowserRepo(db);
    const page = browser.page(characterId, { limit: 50 });
    expect(page.scenes).toHaveLength(8);
    const text = JSON.stringify(page);
    expect(text).not.toContain('As you wish');
    expect(text).not.toContain('Neefe teaches the boy');
    for (const summary of page.scenes) {
      const scene = dataset.scene(summary.id)!;
      const problems: Partial<Record<FormatProblemCode, number>> = {};
      for (const p of scene.experience?.problems ?? []) problems[p.code] = (problems[p.code] ?? 0) + 1;
      expect(summary).toEqual({
        id: scene.id,
        characterId,
        chunkId: null,
        protective: scene.protective,
        limit: null,
        type: scene.type,
        location: scene.location,
        time: scene.time,
        people: scene.people,
        createdAt: scene.createdAt,
        review: scene.review,
        hasExperience: scene.experience !== null,
        turns: scene.experience?.turns.length ?? 0,
        words: (scene.experience?.turns ?? []).reduce((n, t) => n + t.text.split(/\s+/).filter(Boolean).length, 0),
        problems,
      });
    }
    expect(browser.page(characterId, { limit: 50, filter: { problems: true } }).scenes.map((s) => s.id)).toEqual(
      page.scenes.filter((s) => Object.keys(s.problems).length > 0).map((s) => s.id),
    );
    db.close();
  });

  it('migration 009 backfills a database made at migration 008', () => {
    const file = path.join(tmp.dir, 'studio.sqlite');
    const old = databaseBefore(file, 'dataset_figures');
    old
      .prepare(
        `INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES ('c', 'Ludwig van Beethoven', 'Beethoven', 1, 1)`,
      )
      .run();
    old
      .prepare(
        `INSERT INTO jobs (id, character_id, kind, status, settings, created_at, updated_at)
      VALUES ('j', 'c', 'generation', 'succeeded', '{}', 1, 1)`,
      )
      .run();
    const scene =
      old.prepare(`INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, protective, type, location,
      time, background, people, prompt_version, created_at) VALUES (?, 'c', 'j', ?, 0, ?, 'Lesson', 'Bonn', '', ?, '[]', 'b', ?)`);
    const experience = old.prepare(
      `INSERT INTO experiences (scene_id, background, turns, prompt_version, problems, created_at) VALUES (?, '', ?, 'b', ?, 1)`,
    );
    for (let i = 0; i < 20; i++) {
      scene.run(`s${i}`, `i${i}`, i % 5 === 4 ? 1 : 0, `Lesson ${i}`, i);
      if (i % 6 !== 5) experience.run(`s${i}`, JSON.stringify(turnsOf(i)), JSON.stringify(problemsOf(i)));
    }
    old.close();

    const db = openDatabase(file);
    expectFiguresRight(db, 'c' as CharacterId);
    const stats = new DatasetRepo(db).stats('c' as CharacterId);
    expect(stats.experiences).toBe(17);
    expect(stats.problems.unlabeled_turn).toBeGreaterThan(0);
    expect(scopeOf(new JobsRepo(db).job('j' as JobId)!)).toEqual(
      recountScope(db, { id: 'j' as JobId, character_id: 'c' as CharacterId, created_at: 1 }),
    );
    db.close();
  });
});

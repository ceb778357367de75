import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  CharacterId,
  ChunkId,
  DatasetCharts,
  Histogram,
  JobId,
  SceneId,
  Turn,
  TurnKind,
} from '../../../common/contract';
import { histogram } from '../../../main/core/dataset/histogram';
import { openDatabase, type Db } from '../../../main/store/database';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { beethovenWithProfile, call, createBeethoven, makeStudio } from '../../support/studio';
import { databaseBefore } from '../../support/old-database';
import { tempDir } from '../../support/paths';

// The Statistics view's figures (`dataset/charts`, `dataset/compare`) on a real studio and SQLite
// file must equal a direct computation over every experience parsed in JavaScript: after writes,
// an edit in the scene editor, a deletion, and on a database migrated from before migration 015.

const LIFE = [
  'Ludwig van Beethoven was born in Bonn in 1770.',
  'He studied with Neefe, who taught him Bach.',
  'In Vienna he studied with Haydn.',
  'His hearing declined from 1798 on.',
].join('\n\n');

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
});

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Scene i's turns: varied speakers (one in two spellings), kinds, lengths; scene 0 is a 240-turn outlier. */
function turnsOf(i: number): Turn[] {
  const turns: Turn[] = [
    { speaker: 'Beethoven', kind: 'speaking', text: 'Play it again, '.repeat(1 + (i % 9)).trim() },
    { speaker: i % 2 ? 'Neefe' : 'NEEFE', kind: 'speaking', text: 'As you wish.' },
    { speaker: 'Beethoven', kind: 'thinking', text: 'word '.repeat(5 + i * 7).trim() },
  ];
  if (i % 3 === 0) turns.push({ speaker: 'Haydn', kind: 'action', text: 'He nods.' });
  if (i % 4 === 0) turns.push({ speaker: 'Ries', kind: 'speaking', text: '' });
  if (i === 0)
    for (let t = 0; t < 240; t++) turns.push({ speaker: `Guest ${t % 14}`, kind: 'speaking', text: 'Bravo.' });
  return turns;
}

/** Seeds `count` scenes spread over the first chunks (the last chunk gets none), a few without experience. */
function seed(db: Db, characterId: CharacterId, chunks: readonly ChunkId[], count: number): void {
  const jobId = `job-${characterId}` as JobId;
  new JobsRepo(db).insertJob({ id: jobId, characterId, settings: {} }, 1);
  const dataset = new DatasetRepo(db);
  for (let i = 0; i < count; i++) {
    const id = `${characterId}-scene-${i}` as SceneId;
    dataset.insertScene(
      {
        id,
        characterId,
        jobId,
        itemId: `${id}-item`,
        ordinal: 0,
        chunkId: i % 5 === 4 ? null : (chunks[i % 3] ?? null),
        protective: i % 6 === 5,
        limit: null,
        type: 'Lesson',
        location: 'Bonn',
        time: '1783',
        background: `Lesson ${i}.`,
        people: ['Neefe'],
        callId: null,
        promptVersion: 'builtin@1',
      },
      10 + i,
    );
    if (i % 7 !== 6)
      dataset.insertExperience(
        id,
        { background: 'Cold.', turns: turnsOf(i), callId: null, promptVersion: 'builtin@1', problems: [] },
        10 + i,
      );
  }
}

interface RawScene {
  id: string;
  chunk_id: string | null;
  protective: number;
  review_status: string;
  background: string;
  turns: string | null;
}

/** Every bin holds exactly the values in its range, and the bins hold every value once. */
function expectBinned(h: Histogram, values: readonly number[]): void {
  expect(h.count).toBe(values.length);
  expect(h.bins.reduce((n, b) => n + b.count, 0)).toBe(values.length);
  for (const bin of h.bins)
    expect(bin.count, `${bin.from}–${bin.to}`).toBe(
      values.filter((v) => v >= bin.from && (bin.to === null || v < bin.to)).length,
    );
  if (values.length > 0) expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
}

/** The charts recomputed the slow way and checked against what the studio answers. */
async function expectChartsRight(characterId: CharacterId): Promise<DatasetCharts> {
  const charts = await call(env.studio, 'dataset/charts', { characterId });
  const db = env.studio.db;
  const scenes = db
    .prepare(
      `SELECT s.id, s.chunk_id, s.protective, s.review_status, s.background, e.turns
       FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE s.character_id = ?`,
    )
    .all(characterId) as RawScene[];
  for (const protective of [0, 1]) {
    const mine = scenes.filter((s) => s.protective === protective);
    expect(protective ? charts.protective : charts.normal).toEqual({
      scenes: mine.length,
      experiences: mine.filter((s) => s.turns !== null).length,
      waiting: mine.filter((s) => s.turns === null && s.review_status !== 'rejected').length,
      rejected: mine.filter((s) => s.review_status === 'rejected').length,
    });
  }
  expect(charts.protectiveShare).toBeCloseTo(scenes.filter((s) => s.protective).length / scenes.length, 9);

  const chunkIds = db
    .prepare(
      `SELECT ch.id FROM chunks ch JOIN profiles p ON p.id = ch.profile_id WHERE p.character_id = ?
       ORDER BY p.created_at, ch.position`,
    )
    .pluck()
    .all(characterId) as string[];
  expect(charts.chunks.map((c) => [c.chunkId, c.number, c.scenes, c.experiences, c.protective])).toEqual(
    chunkIds.map((id, i) => {
      const of = scenes.filter((s) => s.chunk_id === id);
      return [
        id,
        i + 1,
        of.filter((s) => !s.protective).length,
        of.filter((s) => !s.protective && s.turns !== null).length,
        of.filter((s) => s.protective).length,
      ];
    }),
  );
  // Protective scenes of the studio's plan come from the limits alone: counted apart, not as missing.
  expect(charts.withoutChunk).toBe(scenes.filter((s) => s.chunk_id === null && !s.protective).length);
  expect(charts.protectiveWithoutChunk).toBe(scenes.filter((s) => s.chunk_id === null && s.protective).length);

  const written = scenes.filter((s) => s.turns !== null).map((s) => ({ ...s, parsed: JSON.parse(s.turns!) as Turn[] }));
  const turnsPerScene = written.map((s) => s.parsed.length);
  expectBinned(charts.turnsPerScene, turnsPerScene);
  expect(charts.turnsPerScene.max).toBe(Math.max(...turnsPerScene));
  expectBinned(
    charts.tokensPerExample,
    written.map(
      (s) => (s.parsed.reduce((n, t) => n + t.text.length + t.speaker.length + 16, 0) + s.background.length + 600) / 4,
    ),
  );
  const allTurns = written.flatMap((s) => s.parsed);
  expectBinned(
    charts.wordsPerTurn,
    allTurns.map((t) => words(t.text)),
  );

  const kinds: Record<TurnKind, { turns: number; words: number }> = {
    speaking: { turns: 0, words: 0 },
    thinking: { turns: 0, words: 0 },
    action: { turns: 0, words: 0 },
  };
  const speakers = new Map<string, { turns: number; words: number }>();
  for (const t of allTurns) {
    kinds[t.kind].turns++;
    kinds[t.kind].words += words(t.text);
    const s = speakers.get(t.speaker.toLowerCase()) ?? { turns: 0, words: 0 };
    s.turns++;
    s.words += words(t.text);
    speakers.set(t.speaker.toLowerCase(), s);
  }
  expect(charts.kinds).toEqual(kinds);
  for (const share of charts.speakers)
    expect(speakers.get(share.speaker.toLowerCase())).toEqual({ turns: share.turns, words: share.words });
  const named = new Set(charts.speakers.map((s) => s.speaker.toLowerCase()));
  const rest = [...speakers].filter(([name]) => !named.has(name));
  expect(charts.others).toEqual({
    speakers: rest.length,
    turns: rest.reduce((n, [, s]) => n + s.turns, 0),
    words: rest.reduce((n, [, s]) => n + s.words, 0),
  });
  // The named speakers are those with most turns, in that order.
  const top = [...speakers.values()].map((s) => s.turns).sort((a, b) => b - a);
  const ranked = charts.speakers.slice(0, 10).map((s) => s.turns);
  expect(ranked).toEqual(top.slice(0, ranked.length));
  return charts;
}

describe('dataset charts', () => {
  it('equal a direct computation over the experiences, after an edit and a deletion', async () => {
    const characterId = await beethovenWithProfile(env.studio, LIFE);
    const [profile] = await call(env.studio, 'profiles/list', { characterId });
    const chunks = profile!.chunks.map((c) => c.id);
    expect(chunks).toHaveLength(4);
    seed(env.studio.db, characterId, chunks, 30);

    let charts = await expectChartsRight(characterId);
    // What the fixture must exercise: a tail bar, empty turns, a gap in the coverage, both spellings as one.
    expect(charts.withoutChunk).toBeGreaterThan(0);
    expect(charts.protectiveWithoutChunk).toBeGreaterThan(0);
    expect(charts.turnsPerScene.bins.at(-1)?.to).toBeNull();
    expect(charts.wordsPerTurn.bins[0]).toEqual({ from: 0, to: 1, count: expect.any(Number) as number });
    expect(charts.chunks[3]).toMatchObject({ number: 4, scenes: 0, experiences: 0, protective: 0 });
    expect(charts.speakers.filter((s) => s.speaker.toLowerCase() === 'neefe')).toHaveLength(1);
    expect(charts.speakers[0]).toMatchObject({ speaker: 'Beethoven', character: true });

    // A person edits a scene in the editor: its old figures go, the new ones count.
    const id = `${characterId}-scene-1` as SceneId;
    const open = await call(env.studio, 'scenes/open', { id });
    await call(env.studio, 'scenes/save', {
      id,
      baseRevision: open.revision,
      doc: {
        ...open.doc,
        turns: [
          { speaker: 'Clara', kind: 'thinking', text: 'one two three four five six seven eight nine ten eleven' },
          { speaker: 'Beethoven', kind: 'action', text: 'He stands.' },
        ],
      },
    });
    await expectChartsRight(characterId);

    // Deleting scenes (the outlier among them) through review.
    await call(env.studio, 'scenes/delete', {
      characterId,
      ids: [`${characterId}-scene-0`, `${characterId}-scene-6`, id] as SceneId[],
    });
    charts = await expectChartsRight(characterId);
    expect(charts.turnsPerScene.max).toBeLessThan(240);

    // Deleting a chunk leaves its scenes without one.
    await call(env.studio, 'chunks/delete', { id: chunks[0]! });
    charts = await expectChartsRight(characterId);
    expect(charts.chunks).toHaveLength(3);
  });

  it('compares every character side by side with the paper', async () => {
    const beethoven = await beethovenWithProfile(env.studio, LIFE);
    const chunks = (await call(env.studio, 'profiles/list', { characterId: beethoven }))[0]!.chunks.map((c) => c.id);
    seed(env.studio.db, beethoven, chunks, 12);
    const clara = (
      await call(env.studio, 'characters/create', {
        fullName: 'Clara Schumann',
        shortName: 'Clara',
        era: '',
        notes: '',
      })
    ).id;
    const { characters, paper } = await call(env.studio, 'dataset/compare', {});
    expect(characters.map((c) => c.fullName)).toEqual(['Clara Schumann', 'Ludwig van Beethoven']);
    expect(characters[0]).toMatchObject({ characterId: clara, scenes: 0, chunks: 0, avgTurnsPerScene: 0 });
    const rows = env.studio.db
      .prepare(
        `SELECT s.protective, e.turns FROM scenes s LEFT JOIN experiences e ON e.scene_id = s.id WHERE s.character_id = ?`,
      )
      .all(beethoven) as { protective: number; turns: string | null }[];
    const written = rows.filter((r) => r.turns !== null).map((r) => JSON.parse(r.turns!) as Turn[]);
    const turns = written.reduce((n, t) => n + t.length, 0);
    const wordTotal = written.flat().reduce((n, t) => n + words(t.text), 0);
    expect(characters[1]).toEqual({
      characterId: beethoven,
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      chunks: 4,
      profileWords: words(LIFE),
      scenes: rows.length,
      protectiveScenes: rows.filter((r) => r.protective).length,
      experiences: written.length,
      turns,
      words: wordTotal,
      avgTurnsPerScene: turns / written.length,
      avgWordsPerScene: wordTotal / written.length,
    });
    expect(paper.avgTurnsPerScene.low).toBe(13.2);
    expect(paper.scenes).toEqual({ low: 1400, high: 2200 });
  });

  it('refuses an unknown character with a clear message', async () => {
    await createBeethoven(env.studio);
    const outcome = await env.studio.invoke('dataset/charts', { characterId: 'nobody' });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.code).toBe('not_found');
  });
});

describe('migration 015', () => {
  it('backfills the turn figures of a database made at migration 011', () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'studio.sqlite');
      const old = databaseBefore(file, 'scene_search');
      old
        .prepare(
          `INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES ('c', 'Ludwig van Beethoven', 'Beethoven', 1, 1)`,
        )
        .run();
      // Written as the studio of migration 011 wrote them (no turn figures then).
      for (let i = 0; i < 9; i++) {
        old
          .prepare(
            `INSERT INTO scenes (id, character_id, item_id, ordinal, type, location, time, background, people,
               prompt_version, created_at) VALUES (?, 'c', ?, 0, 'Lesson', 'Bonn', '', '', '[]', 'b', ?)`,
          )
          .run(`s${i}`, `item${i}`, i);
        old
          .prepare(
            `INSERT INTO experiences (scene_id, background, turns, prompt_version, created_at) VALUES (?, '', ?, 'b', 1)`,
          )
          .run(`s${i}`, JSON.stringify(turnsOf(i)));
      }
      old.close();
      const db = openDatabase(file);
      const stored = db
        .prepare('SELECT lower(speaker) AS speaker, kind, sum(turns) AS turns FROM experience_speakers GROUP BY 1, 2')
        .all() as { speaker: string; kind: TurnKind; turns: number }[];
      const direct = new Map<string, number>();
      const experiences = db.prepare('SELECT turns FROM experiences').pluck().all() as string[];
      for (const t of experiences.flatMap((e) => JSON.parse(e) as Turn[])) {
        const key = `${t.speaker.toLowerCase()}|${t.kind}`;
        direct.set(key, (direct.get(key) ?? 0) + 1);
      }
      expect(new Map(stored.map((r) => [`${r.speaker}|${r.kind}`, r.turns]))).toEqual(direct);
      // And summed per character by the triggers as the backfill wrote them.
      const summed = db.prepare('SELECT lower(speaker) AS speaker, kind, turns FROM character_speakers').all() as {
        speaker: string;
        kind: TurnKind;
        turns: number;
      }[];
      expect(new Map(summed.map((r) => [`${r.speaker}|${r.kind}`, r.turns]))).toEqual(direct);
      expect(db.prepare('SELECT sum(turns) FROM character_turn_lengths').pluck().get()).toBe(
        experiences.reduce((n, e) => n + (JSON.parse(e) as Turn[]).length, 0),
      );
      db.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('histogram', () => {
  it('bins on round widths up to the 99th percentile and gathers the tail in one open bar', () => {
    // 100 values 1…100 and one of 10,000: bars of 5 up to the one holding the 99th percentile (100), then the tail.
    const groups = [...Array.from({ length: 100 }, (_, i) => i + 1), 10_000].map((v) => ({
      from: v,
      count: 1,
      sum: v,
      max: v,
    }));
    const h = histogram(groups, 1, 'turns');
    expect(h.bins[0]).toEqual({ from: 0, to: 5, count: 4 });
    expect(h.bins[1]).toEqual({ from: 5, to: 10, count: 5 });
    expect(h.bins.at(-2)).toEqual({ from: 100, to: 105, count: 1 });
    expect(h.bins.at(-1)).toEqual({ from: 105, to: null, count: 1 });
    expect(h.bins).toHaveLength(22);
    expect(h.median).toBe(51);
    expect(h.max).toBe(10_000);
    expect(histogram([], 1, 'turns')).toEqual({ unit: 'turns', bins: [], count: 0, mean: 0, median: null, max: null });
    // One value: one bar.
    expect(histogram([{ from: 7, count: 3, sum: 21, max: 7 }], 1, 'turns').bins).toEqual([
      { from: 7, to: 8, count: 3 },
    ]);
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, ReviewStatus, SceneFilter, SceneId, SceneKind } from '../../../common/contract';
import { CharacterService } from '../../../main/core/character-service';
import { systemClock } from '../../../main/core/clock';
import { FilterCountsService } from '../../../main/core/dataset/filter-counts-service';
import { CharactersRepo } from '../../../main/store/characters-repo';
import { filterCountsRead } from '../../../main/store/filter-counts';
import { ReadWorker, readNow, SupersededRead } from '../../../main/store/read-worker';
import { KIND_OF_SQL, sceneWhere, without } from '../../../main/store/scene-filter';
import { searchExpression } from '../../../main/store/scene-search-plan';
import { beethovenWithJob, insertLesson } from '../../support/scenes';
import { call, makeStudio } from '../../support/studio';

// The browser's filter counts in one read (store/filter-counts.ts): one grouped pass for every
// single-valued facet gives what counting each facet on its own under the rest of the filter
// gives, for any filter; the doors read them on the reader thread, where a newer read of the same
// list's counts replaces one still waiting.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let dataset: Awaited<ReturnType<typeof beethovenWithJob>>['dataset'];

beforeEach(async () => {
  env = makeStudio();
  const db = env.studio.db;
  const made = await beethovenWithJob(env.studio);
  characterId = made.characterId;
  dataset = made.dataset;
  const statuses: ReviewStatus[] = ['unreviewed', 'accepted', 'rejected'];
  db.transaction(() => {
    for (let i = 0; i < 60; i++) {
      const id = `s-${i}` as SceneId;
      insertLesson(
        dataset,
        characterId,
        id,
        {
          protective: i % 4 === 3,
          location: `Bonn, room ${i}`,
          background: i % 5 === 0 ? 'A sonata.' : 'A rondo.',
          promptVersion: i % 3 === 0 ? 'builtin@1' : 'custom@2',
        },
        1_000 + i,
      );
      if (i % 7 !== 6)
        dataset.insertExperience(
          id,
          {
            background: '',
            turns: Array.from({ length: 1 + (i % 3) }, (_, t) => ({
              speaker: t === 1 && i % 2 === 0 ? 'Mozart' : 'Beethoven',
              kind: 'speaking' as const,
              text: `the rent turn ${t}`,
            })),
            callId: null,
            promptVersion: 'builtin@1',
            problems: i % 6 === 0 ? [{ code: 'other_thinking', message: 'x', turn: 0, raw: '' }] : [],
          },
          1_000 + i,
        );
      db.prepare('UPDATE scenes SET review_status = ?, rating = ?, origin = ? WHERE id = ?').run(
        statuses[i % 3],
        i % 4 === 0 ? null : 1 + (i % 5),
        i % 11 === 10 ? 'hand' : 'generated',
        id,
      );
      if (i % 2 === 1)
        db.prepare("INSERT INTO scene_tags (scene_id, character_id, tag) VALUES (?, ?, 'keeper')").run(id, characterId);
      if (i % 5 === 2)
        db.prepare("INSERT INTO scene_tags (scene_id, character_id, tag) VALUES (?, ?, 'odd')").run(id, characterId);
    }
  })();
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
});

/** Each count as the contract defines it: one query per facet value under the rest of the filter. */
function reference(filter: SceneFilter) {
  const db = env.studio.db;
  const count = (f: SceneFilter, extra = '') => {
    const w = sceneWhere(characterId, f);
    return db.prepare(`SELECT count(*) FROM scenes WHERE ${w.sql} ${extra}`).pluck().get(w.params) as number;
  };
  const grouped = (column: string, f: SceneFilter) => {
    const w = sceneWhere(characterId, f);
    return db.prepare(`SELECT ${column} AS v, count(*) AS n FROM scenes WHERE ${w.sql} GROUP BY 1`).all(w.params) as {
      v: string | number | null;
      n: number;
    }[];
  };
  const status = { unreviewed: 0, accepted: 0, rejected: 0 } as Record<string, number>;
  for (const { v, n } of grouped('review_status', without(filter, 'status'))) status[v as string] = n;
  const ratings = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0, none: 0 } as Record<string, number>;
  for (const { v, n } of grouped('rating', without(filter, 'rating'))) ratings[v === null ? 'none' : String(v)] = n;
  const kinds: Partial<Record<SceneKind, number>> = {};
  for (const { v, n } of grouped(KIND_OF_SQL, without(filter, 'kind'))) kinds[v as SceneKind] = n;
  const tagWhere = sceneWhere(characterId, without(filter, 'tag'));
  const tags = db
    .prepare(
      `SELECT tag, count(*) AS count FROM scene_tags WHERE scene_id IN (SELECT id FROM scenes WHERE ${tagWhere.sql})
       GROUP BY tag ORDER BY count DESC, tag`,
    )
    .all(tagWhere.params);
  const speakerWhere = sceneWhere(characterId, without(filter, 'speaker'));
  const speakers = db
    .prepare(
      `SELECT speaker AS value, count(*) AS count FROM scene_speakers WHERE scene_id IN (SELECT id FROM scenes WHERE ${speakerWhere.sql})
       GROUP BY speaker ORDER BY count DESC, speaker`,
    )
    .all(speakerWhere.params);
  const ranked = (column: string, f: SceneFilter) =>
    grouped(column, f)
      .filter((g) => g.v !== null)
      .map((g) => ({ value: String(g.v), count: g.n }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return {
    counts: {
      total: count(filter),
      status,
      ratings,
      tags,
      waiting: count(
        { ...filter, waiting: true },
        filter.status === undefined ? "AND review_status != 'rejected'" : '',
      ),
    },
    facets: {
      kinds,
      problems: count({ ...filter, problems: true }),
      speakers,
      promptVersions: ranked('prompt_version', without(filter, 'promptVersion')),
      models: ranked('model', without(filter, 'model')),
      chunks: [],
    },
  };
}

const FILTERS: SceneFilter[] = [
  {},
  { status: 'accepted' },
  { rating: null },
  { rating: 3, tag: 'keeper' },
  { kind: 'protective', speaker: 'Mozart' },
  { kind: 'hand' },
  { promptVersion: 'custom@2', status: 'rejected', tag: 'odd' },
  { search: 'sonata' },
  { search: 'rent', status: 'unreviewed', speaker: 'Beethoven' },
  { search: 'sona', problems: true },
  { waiting: true },
  { waiting: false, minTurns: 2 },
  { protective: true, rating: 2 },
  { search: 'nothinghere' },
  { search: 'zz' },
  { search: 'bonn' },
  { search: 'rent turn' },
];

describe('filter counts', () => {
  it('are, from one grouped pass, what counting each facet under the rest of the filter gives', () => {
    const db = env.studio.db;
    for (const filter of FILTERS) {
      const expression = filter.search === undefined ? undefined : searchExpression(db, filter.search);
      const read = filterCountsRead(characterId, filter, expression);
      expect(read.of(readNow(db, read.queries)), JSON.stringify(filter)).toEqual(reference(filter));
    }
  });

  it('are taken the other way round under a search matching most scenes: the whole counts less the scenes left out', () => {
    const db = env.studio.db;
    /** The counts under `filter`, and whether the reader took them the other way round. */
    const read = (filter: SceneFilter) => {
      const made = filterCountsRead(characterId, filter, searchExpression(db, filter.search!));
      const answers = readNow(db, made.queries);
      const leftOut = made.queries.findIndex((q) => q.sql.includes('NOT IN'));
      return { counts: made.of(answers), otherWay: leftOut >= 0 && answers[leftOut] !== null };
    };
    // Every scene, most of them (those with an experience), a few, none; alone and under the
    // facets' own conditions: the same counts either way.
    for (const [filter, otherWay] of [
      [{ search: 'bonn' }, true],
      [{ search: 'rent' }, true],
      [{ search: 'turn 2' }, false],
      [{ search: 'sonata' }, false],
      [{ search: 'nothinghere' }, false],
      [{ search: 'bonn', status: 'accepted' }, true],
      [{ search: 'rent', speaker: 'Mozart', rating: null }, true],
      [{ search: 'bonn', tag: 'keeper', kind: 'protective' }, true],
      [{ search: 'rent', promptVersion: 'custom@2', model: 'none' }, true],
    ] as [SceneFilter, boolean][]) {
      const { counts, otherWay: taken } = read(filter);
      expect(counts, JSON.stringify(filter)).toEqual(reference(filter));
      expect(taken, JSON.stringify(filter)).toBe(otherWay);
    }
    // Under another condition on the scenes (protective, problems, waiting, turns) each scene
    // matched is looked up, as with few matches.
    for (const filter of [
      { search: 'bonn', protective: true },
      { search: 'rent', minTurns: 2 },
    ] as SceneFilter[]) {
      const made = filterCountsRead(characterId, filter, searchExpression(db, filter.search!));
      expect(made.queries.some((q) => q.sql.includes('NOT IN'))).toBe(false);
      expect(made.of(readNow(db, made.queries)), JSON.stringify(filter)).toEqual(reference(filter));
    }
  });

  it('answer both doors, from the reader thread for a large dataset, the same as on the studio thread', async () => {
    // Counted as if these 60 scenes were many: on the reader thread.
    const reader = new ReadWorker(env.studio.databasePath);
    const characters = new CharacterService(
      new CharactersRepo(env.studio.db),
      env.studio.events,
      systemClock,
      randomUUID,
    );
    const threaded = new FilterCountsService(env.studio.db, reader, characters, 0);
    try {
      for (const filter of FILTERS) {
        expect(await threaded.counts(characterId, filter)).toEqual(reference(filter).counts);
        expect(await threaded.facets(characterId, filter)).toEqual(reference(filter).facets);
      }
    } finally {
      reader.close();
    }
    for (const filter of FILTERS) {
      expect(await call(env.studio, 'review/counts', { characterId, filter })).toEqual(reference(filter).counts);
      expect(await call(env.studio, 'scenes/facets', { characterId, filter })).toEqual(reference(filter).facets);
    }
    // Asked again after a write, they are read again, not the ones just read.
    const filter = { search: 'sonata' };
    const before = await call(env.studio, 'review/counts', { characterId, filter });
    await call(env.studio, 'review/set', { characterId, ids: ['s-0' as SceneId], status: 'rejected' });
    const after = await call(env.studio, 'review/counts', { characterId, filter });
    expect(after).toEqual(reference(filter).counts);
    expect(after.status.rejected).toBe(before.status.rejected + 1); // s-0 has "sonata" and was unreviewed
  });

  it('drop a read still waiting when a newer one of the same slot arrives, and answer the newest', async () => {
    const reader = new ReadWorker(env.studio.databasePath);
    try {
      const slow = {
        sql: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) SELECT count(*) FROM n',
        params: [],
        all: false,
      };
      const quick = (value: number) => ({ sql: 'SELECT ? AS value', params: [value], all: false });
      // The first read holds the thread; the next two queue behind it, and the second replaces the first of them.
      const busy = reader.read([slow]);
      const older = reader.read([quick(1)], { slot: 'counts' });
      const other = reader.read([quick(2)], { slot: 'other' });
      const newer = reader.read([quick(3)], { slot: 'counts' });
      await expect(older).rejects.toBeInstanceOf(SupersededRead);
      expect(await newer).toEqual([{ value: 3 }]);
      expect(await other).toEqual([{ value: 2 }]);
      expect(await busy).toEqual([{ 'count(*)': 300000 }]);
    } finally {
      reader.close();
    }
  });
});

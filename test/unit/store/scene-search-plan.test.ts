import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, SceneFilter, SceneId, SceneSort } from '../../../common/contract';
import { matchExpression } from '../../../common/search-query';
import { SceneBrowserRepo } from '../../../main/store/scene-browser-repo';
import { INDEXED_PREFIX, PREFIX_TERMS, searchExpression } from '../../../main/store/scene-search-plan';
import { sceneWhere } from '../../../main/store/scene-filter';
import { beethovenWithJob, insertLesson } from '../../support/scenes';
import { makeStudio } from '../../support/studio';

// How a search page is found (store/scene-search-plan.ts), on a real studio: whatever the plan
// (the index read in rowid order and stopped at the page, or every match read once), each order's
// pages hold exactly what FTS5 itself matches, in the list's order, once each; prefixes expanded
// through the vocabulary match what FTS5's own prefix query does.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let browser: SceneBrowserRepo;

beforeEach(async () => {
  env = makeStudio();
  browser = new SceneBrowserRepo(env.studio.db);
  const made = await beethovenWithJob(env.studio);
  characterId = made.characterId;
  const dataset = made.dataset;
  env.studio.db.transaction(() => {
    for (let i = 0; i < 120; i++) {
      const id = `s-${i}` as SceneId;
      insertLesson(
        dataset,
        characterId,
        id,
        {
          protective: i % 4 === 3,
          location: `Bonn, room ${i}`,
          background: i % 10 === 0 ? 'The sonatina is new.' : 'Neefe hears the boy play.',
        },
        // Stamped out of order on purpose: oldest and newest follow the order scenes were added in.
        1_000 + (i % 9),
      );
      const turns = Array.from({ length: 1 + (i % 5) }, (_, t) => ({
        speaker: 'Beethoven',
        kind: 'speaking' as const,
        text: `${i % 3 === 0 ? 'the sonata' : 'a rondo'} for the rent, turn ${t}`,
      }));
      dataset.insertExperience(
        id,
        { background: 'Cold.', turns, callId: null, promptVersion: 'builtin@1', problems: [] },
        1_000,
      );
    }
  })();
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
});

/** Every page of `sort` under `filter`, `limit` rows at a time, as ids. */
function allPages(sort: SceneSort, filter: SceneFilter, limit = 7): string[] {
  const ids: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < 200; page++) {
    const result = browser.page(characterId, { limit, sort, filter, ...(after !== undefined && { after }) });
    ids.push(...result.scenes.map((s) => s.id));
    if (result.next === null) return ids;
    after = result.next;
  }
  throw new Error('paging did not end');
}

/** What FTS5 itself matches for the search (its own prefix queries), in `sort` order, as ids. */
function reference(sort: SceneSort, filter: SceneFilter): string[] {
  const where = sceneWhere(characterId, filter);
  const order: Record<SceneSort, string> = {
    oldest: 'rowid ASC',
    newest: 'rowid DESC',
    turns: 'turn_count DESC, rowid DESC',
    words: 'word_count DESC, rowid DESC',
    rating: 'coalesce(rating, 0) DESC, rowid DESC',
    chunk: 'rowid ASC',
  };
  return env.studio.db
    .prepare(`SELECT id FROM scenes WHERE ${where.sql} ORDER BY ${order[sort]}`)
    .pluck()
    .all(where.params) as string[];
}

const hitsHeld = () =>
  env.studio.db.prepare("SELECT count(*) FROM temp.sqlite_master WHERE name = 'scene_search_page_hits'").pluck().get()
    ? (env.studio.db.prepare('SELECT count(*) FROM temp.scene_search_page_hits').pluck().get() as number)
    : 0;

describe('search pages', () => {
  it('hold exactly what FTS5 matches, in every order, under other filters, once each', () => {
    const searches = ['sonata', 'sonat', 'the rent', '"for the"', 'room 1', 'rondo turn 3', 'sonatin', 'room 99'];
    const filters: SceneFilter[] = [{}, { protective: false }, { minTurns: 3 }];
    for (const sort of ['oldest', 'newest', 'turns', 'words', 'rating'] as SceneSort[]) {
      for (const search of searches) {
        for (const rest of filters) {
          const filter = { ...rest, search };
          const expected = reference(sort, filter);
          const found = allPages(sort, filter);
          expect(found, `${sort} "${search}" ${JSON.stringify(rest)}`).toEqual(expected);
        }
      }
    }
    expect(allPages('oldest', { search: 'sonata' })).toHaveLength(40);
  });

  it('expands a longer prefix into the terms it begins, leaves a short one or one of many terms to FTS5, and finds nothing for a prefix of none', () => {
    const db = env.studio.db;
    expect(searchExpression(db as never, 'sonat')).toBe('("sonata" OR "sonatina")');
    expect(searchExpression(db as never, 'the rent')).toBe('"the" AND "rent"');
    expect(searchExpression(db as never, '"for the" sonata ')).toBe('"for the" AND "sonata"');
    // Prefixes of 1 to 3 characters have an index of their own (migration 023): never expanded.
    expect(INDEXED_PREFIX).toBe(3);
    expect(searchExpression(db as never, 'the ren')).toBe('"the" AND "ren"*');
    // Counted in characters, as FTS5 counts them: "maß" is three (four bytes), "maße" four.
    expect(searchExpression(db as never, 'Maß')).toBe('"maß"*');
    expect(searchExpression(db as never, 'Maße')).toBeNull();
    // "rond" begins rondo and rondo1–rondo30: more than PREFIX_TERMS.
    expect(PREFIX_TERMS).toBeLessThan(31);
    const variants = Array.from({ length: 30 }, (_, i) => `rondo${i + 1}`).join(' ');
    db.prepare(
      `UPDATE scene_search SET experience = '${variants}' WHERE rowid = (SELECT rowid FROM scenes WHERE id = 's-0')`,
    ).run();
    expect(searchExpression(db as never, 'room rond')).toBe('"room" AND "rond"*');
    expect(searchExpression(db as never, 'rondo2')).toBe(
      '("rondo2" OR "rondo20" OR "rondo21" OR "rondo22" OR "rondo23" OR "rondo24" OR "rondo25" OR "rondo26" OR "rondo27" OR "rondo28" OR "rondo29")',
    );
    expect(searchExpression(db as never, 'zzzz')).toBeNull();
    expect(browser.page(characterId, { limit: 5, filter: { search: 'zzzz' } })).toEqual({ scenes: [], next: null });
    expect(browser.page(characterId, { limit: 5, filter: { search: 'zzz' } })).toEqual({ scenes: [], next: null });
    expect(matchExpression('zzzz')).toBe('"zzzz"*');
  });

  it('expands the word being typed as FTS5 reads the prefix, letter by letter, and again after a write', () => {
    const db = env.studio.db;
    /** What FTS5's own prefix query of `stem` matches, and what the expanded search matches. */
    const both = (stem: string) => {
      const own = db
        .prepare('SELECT rowid FROM scene_search WHERE scene_search MATCH ? ORDER BY rowid')
        .pluck()
        .all(`"${stem}"*`);
      const expression = searchExpression(db, stem);
      const expanded =
        expression === null
          ? []
          : db
              .prepare('SELECT rowid FROM scene_search WHERE scene_search MATCH ? ORDER BY rowid')
              .pluck()
              .all(expression);
      return { own, expanded };
    };
    for (const stem of ['s', 'so', 'son', 'sona', 'sonat', 'sonati', 'sonatin', 'sonatina', 'sonatinas']) {
      const { own, expanded } = both(stem);
      expect(expanded, stem).toEqual(own);
    }
    // A word written between two letters typed is found by the next one.
    expect(searchExpression(db, 'sonatis')).toBeNull();
    db.prepare(
      "UPDATE scene_search SET experience = 'a sonatissimo' WHERE rowid = (SELECT rowid FROM scenes WHERE id = 's-7')",
    ).run();
    expect(searchExpression(db, 'sonatiss')).toBe('"sonatissimo"');
    expect(searchExpression(db, 'sonat')).toBe('("sonata" OR "sonatina" OR "sonatissimo")');
    for (const stem of ['sonatis', 'sonatissimo', 'sonatissimos'])
      expect(both(stem).expanded, stem).toEqual(both(stem).own);
    // A word no scene holds any more (its index entries deleted, not yet merged away) is not offered.
    db.prepare(
      "UPDATE scene_search SET experience = 'a rondo' WHERE rowid = (SELECT rowid FROM scenes WHERE id = 's-7')",
    ).run();
    expect(searchExpression(db, 'sonatiss')).toBeNull();
    expect(searchExpression(db, 'sonat')).toBe('("sonata" OR "sonatina")');
  });

  it('reads only the page from the index in the rowid orders, and every match once for the others', () => {
    browser.page(characterId, { limit: 5, sort: 'oldest', filter: { search: 'rent' } });
    browser.page(characterId, { limit: 5, sort: 'newest', filter: { search: 'rent' } });
    expect(hitsHeld()).toBe(0);

    const first = browser.page(characterId, { limit: 5, sort: 'turns', filter: { search: 'sonata' } });
    expect(hitsHeld()).toBe(40);
    // A scene written between two pages is read into the matches again, not missed.
    env.studio.db
      .prepare(
        "UPDATE scene_search SET experience = 'a sonata' WHERE rowid = (SELECT rowid FROM scenes WHERE id = 's-1')",
      )
      .run();
    browser.page(characterId, { limit: 5, sort: 'turns', after: first.next!, filter: { search: 'sonata' } });
    expect(hitsHeld()).toBe(41);
  });
});

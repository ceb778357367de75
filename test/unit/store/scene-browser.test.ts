import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, JobId, SceneId, SceneSort, SceneSummary, Turn } from '../../../common/contract';
import { matchExpression } from '../../../common/search-query';
import { openDatabase } from '../../../main/store/database';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { SceneBrowserRepo } from '../../../main/store/scene-browser-repo';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';
import { databaseBefore } from '../../support/old-database';

// The dataset browser's store on a real studio (real SQLite, migration 012): keyset pages that
// neither repeat nor skip rows while scenes are written between them, in every order; the search
// index kept right by every write path; a search box no input can break; the filter counts.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let dataset: DatasetRepo;
let browser: SceneBrowserRepo;
let made = 0;

beforeEach(async () => {
  env = makeStudio();
  characterId = await createBeethoven(env.studio);
  dataset = new DatasetRepo(env.studio.db);
  browser = new SceneBrowserRepo(env.studio.db);
  new JobsRepo(env.studio.db).insertJob({ id: 'job' as JobId, characterId, settings: {} }, 1);
  made = 0;
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
});

/** Scene `i`: its length, rating and time vary with i so every order has ties and gaps. */
function addScene(i: number, words = 'the sonata in C', at = 1_000 + (i % 7)): SceneId {
  const id = `s-${made++}-${i}` as SceneId;
  dataset.insertScene(
    {
      id,
      characterId,
      jobId: 'job' as JobId,
      itemId: id,
      ordinal: 0,
      chunkId: null,
      protective: i % 5 === 4,
      limit: null,
      type: 'Lesson',
      location: `Bonn, room ${i}`,
      time: '1783',
      background: 'Neefe hears the boy play.',
      people: ['Neefe'],
      callId: null,
      promptVersion: i % 2 === 0 ? 'builtin@1' : 'custom@2',
    },
    at,
  );
  const turns: Turn[] = Array.from({ length: 1 + (i % 4) }, (_, t) => ({
    speaker: t % 2 === 0 ? 'Beethoven' : i % 3 === 0 ? 'Mozart' : 'Neefe',
    kind: 'speaking',
    text: `${words} turn ${t} ${'again '.repeat(i % 3)}`,
  }));
  dataset.insertExperience(
    id,
    { background: 'A cold loft.', turns, callId: null, promptVersion: 'builtin@1', problems: [] },
    at,
  );
  if (i % 3 === 1) env.studio.db.prepare('UPDATE scenes SET rating = ? WHERE id = ?').run(1 + (i % 5), id);
  return id;
}

function walk(sort: SceneSort, between?: (page: number) => void, limit = 7): SceneSummary[] {
  const seen: SceneSummary[] = [];
  let after: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = browser.page(characterId, { limit, sort, ...(after !== undefined && { after }) });
    seen.push(...result.scenes);
    if (result.next === null) return seen;
    after = result.next;
    between?.(page);
  }
  throw new Error('paging did not end');
}

const SORTS: SceneSort[] = ['newest', 'oldest', 'turns', 'words', 'rating', 'chunk'];

/**
 * Seed SQL for the migration tests: a character, its generation job and its first scene (s1, in
 * Bonn, with Neefe), as the studios before migrations 012 and 023 wrote them. It ends inside the
 * scenes' VALUES list: a test goes on with its own rows.
 */
const GENERATED_LESSON = `INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES ('c', 'L', 'B', 1, 1);
      INSERT INTO jobs (id, character_id, kind, status, settings, created_at, updated_at)
        VALUES ('j', 'c', 'generation', 'succeeded', '{}', 1, 1);
      INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, type, location, time, background, people,
        prompt_version, created_at) VALUES ('s1', 'c', 'j', 'i', 0, 'Lesson', 'Bonn', '', 'x', '["Neefe"]', 'b', 1),`;

describe('scene browser', () => {
  it('pages every order by a keyset: each scene once, in order, while scenes are added and removed between pages', () => {
    const ids = Array.from({ length: 40 }, (_, i) => addScene(i));
    // Oldest and newest are the order scenes were added in (`made`, in the id), which is their
    // creation order whatever `createdAt` this test stamps them with.
    const addedAt = (s: SceneSummary) => Number(s.id.split('-')[1]);
    const key: Record<SceneSort, (s: SceneSummary) => number> = {
      newest: (s) => -addedAt(s),
      oldest: addedAt,
      turns: (s) => -s.turns,
      words: (s) => -s.words,
      rating: (s) => -(s.review.rating ?? 0),
      chunk: () => 0,
    };
    for (const sort of SORTS) {
      const all = walk(sort);
      expect(all.map((s) => s.id).sort()).toEqual([...ids].sort());
      const keys = all.map(key[sort]);
      expect(keys).toEqual([...keys].sort((a, b) => a - b));

      // Rows written between pages land before or after the reader; either way, nothing that was
      // there from the start repeats or goes missing. A deleted row is simply not shown again.
      const removed = ids[5]!;
      const added: SceneId[] = [];
      const seen = walk(sort, (page) => {
        added.push(addScene(page * 3 + 1, 'late', 999 + page * 3));
        if (page === 1) env.studio.db.prepare('DELETE FROM scenes WHERE id = ?').run(removed);
      });
      const seenIds = seen.map((s) => s.id);
      expect(new Set(seenIds).size).toBe(seenIds.length);
      const before = ids.filter((id) => id !== removed);
      expect(before.every((id) => seenIds.includes(id))).toBe(true);
      // Put the store back for the next order.
      for (const id of added) env.studio.db.prepare('DELETE FROM scenes WHERE id = ?').run(id);
      ids.splice(ids.indexOf(removed), 1, addScene(5));
    }
  });

  it('refuses a cursor that is not one, or one of another order, saying what to do', async () => {
    addScene(1);
    addScene(2);
    const first = await call(env.studio, 'scenes/list', { characterId, limit: 1, sort: 'turns' });
    expect(first.next).not.toBeNull();
    const other = await callError(env.studio, 'scenes/list', {
      characterId,
      limit: 1,
      sort: 'newest',
      after: first.next,
    });
    expect(other.code).toBe('invalid_argument');
    expect(other.message).toMatch(/belongs to the "turns" order.*first page/);
    const junk = await callError(env.studio, 'scenes/list', { characterId, limit: 1, after: 'page 2' });
    expect(junk.message).toMatch(/not a page cursor/);
  });

  it('finds words in scene fields and turns, with a marked snippet, and keeps the index right on save, restore and delete', async () => {
    const a = addScene(0, 'Der Kapellmeister schläft');
    const b = addScene(1, 'Mozart visits Vienna');
    const found = (search: string) =>
      browser.page(characterId, { limit: 50, filter: { search } }).scenes.map((s) => s.id);
    expect(found('kapellmeister')).toEqual([a]);
    expect(found('schlaft')).toEqual([a]); // accents and case do not matter
    expect(found('vien')).toEqual([b]); // the word being typed matches as a prefix
    expect(found('room 1')).toContain(b); // scene fields
    const [hit] = browser.page(characterId, { limit: 5, filter: { search: 'vienna' } }).scenes;
    const marked = hit!.snippet!.filter((p) => p.match).map((p) => p.text.toLowerCase());
    expect(marked.length).toBeGreaterThan(0);
    expect(new Set(marked)).toEqual(new Set(['vienna']));
    expect(hit!.snippet!.map((p) => p.text).join('')).toContain('Mozart visits Vienna');
    // Each row's snippet is its own scene's text, whichever row matched first.
    const both = browser.page(characterId, { limit: 5, filter: { search: 'turn' } }).scenes;
    expect(both.map((s) => [s.id, s.snippet!.map((p) => p.text).join('')])).toEqual([
      [a, expect.stringContaining('Kapellmeister')],
      [b, expect.stringContaining('Mozart')],
    ]);

    // A person's save replaces the text the index holds; a restore brings the old words back.
    const opened = await call(env.studio, 'scenes/open', { id: b });
    const saved = await call(env.studio, 'scenes/save', {
      id: b,
      baseRevision: opened.revision,
      doc: {
        ...opened.doc,
        location: 'Salzburg',
        turns: [{ speaker: 'Beethoven', kind: 'speaking', text: 'Haydn teaches counterpoint' }],
      },
    });
    expect(found('vienna')).toEqual([]);
    expect(found('salzburg')).toEqual([b]);
    expect(found('counterpoint')).toEqual([b]);
    await call(env.studio, 'scenes/restore', { id: b, revision: opened.revision, baseRevision: saved.revision });
    expect(found('vienna')).toEqual([b]);
    expect(found('counterpoint')).toEqual([]);
    expect(found('salzburg')).toEqual([]);

    // Deleted scenes leave the index; a hand-written one enters it.
    await call(env.studio, 'scenes/delete', { characterId, ids: [a] });
    expect(found('kapellmeister')).toEqual([]);
    const hand = await call(env.studio, 'scenes/create', {
      characterId,
      doc: {
        type: 'Walk',
        location: 'Heiligenstadt',
        time: '1802',
        background: 'Alone.',
        people: ['Ries'],
        experienceBackground: '',
        turns: [{ speaker: 'Ries', kind: 'speaking', text: 'The shepherd plays his flute.' }],
      },
    });
    expect(found('shepherd')).toEqual([hand.id]);
    expect(found('ries')).toEqual([hand.id]);
    const indexed = env.studio.db.prepare('SELECT count(*) FROM scene_search').pluck().get();
    expect(indexed).toBe(env.studio.db.prepare('SELECT count(*) FROM scenes').pluck().get());
  });

  it('never fails on what a person types: operators, quotes, stars, colons, parentheses and random text', async () => {
    addScene(0, 'AND OR NOT NEAR the "quoted" word');
    const attempts = [
      '"unbalanced',
      'a AND',
      'OR',
      'NEAR(',
      '*',
      'type:Lesson',
      '-minus',
      '(( ))',
      '""',
      '^start',
      'NOT',
      "it's",
      '\u0000',
      'col : "x" * ) (',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'aAzZ09 "\'*:-()^+{}[],.;!?\\/_~`|&#@$%éß漢\u0301\t\n';
    for (let i = 0; i < 400; i++) {
      const length = Math.floor(random() * 24);
      attempts.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    }
    for (const search of attempts) {
      const outcome = await env.studio.invoke('scenes/list', { characterId, limit: 5, search });
      expect(outcome.ok, `search ${JSON.stringify(search)}`).toBe(true);
      expect((await env.studio.invoke('scenes/facets', { characterId, filter: { search } })).ok).toBe(true);
    }
    // The operators are searched as the words they are.
    expect(browser.page(characterId, { limit: 5, filter: { search: 'NEAR' } }).scenes).toHaveLength(1);
    expect(browser.page(characterId, { limit: 5, filter: { search: 'OR nothing-here' } }).scenes).toHaveLength(0);
    expect(matchExpression('" ( * : ')).toBeNull();
  });

  it('filters by kind, speaker, prompt version and turns, and counts each facet under the rest of the filter', async () => {
    for (let i = 0; i < 10; i++) addScene(i);
    await call(env.studio, 'scenes/create', {
      characterId,
      doc: {
        type: 'Walk',
        location: 'Heiligenstadt',
        time: '',
        background: 'Alone.',
        people: [],
        experienceBackground: '',
        turns: [{ speaker: 'Ries', kind: 'speaking', text: 'Listen.' }],
      },
    });
    const facets = await call(env.studio, 'scenes/facets', { characterId });
    expect(facets.kinds).toEqual({ normal: 8, protective: 2, hand: 1 });
    expect(facets.promptVersions.find((p) => p.value === 'custom@2')?.count).toBe(5);
    const speakers = Object.fromEntries(facets.speakers.map((s) => [s.value, s.count]));
    // Mozart answers where i % 3 = 0 and the scene has a second turn (i % 4 ≥ 1): scenes 3, 6 and 9.
    expect(speakers).toMatchObject({ Beethoven: 10, Ries: 1, Mozart: 3 });

    const list = async (filter: object) =>
      (await call(env.studio, 'scenes/list', { characterId, limit: 100, ...filter })).scenes;
    expect(await list({ kind: 'hand' })).toHaveLength(1);
    expect(await list({ kind: 'protective' })).toHaveLength(2);
    // The Dataset tab's "Chat corrections" filter asks for this kind (none here).
    expect(await list({ kind: 'chat_correction' })).toHaveLength(0);
    expect((await list({ speaker: 'Mozart' })).map((s) => s.location).sort()).toEqual([
      'Bonn, room 3',
      'Bonn, room 6',
      'Bonn, room 9',
    ]);
    expect((await list({ minTurns: 3, maxTurns: 4 })).every((s) => s.turns >= 3 && s.turns <= 4)).toBe(true);
    expect(await list({ promptVersion: 'custom@2', kind: 'normal' })).toHaveLength(4);
    // Under kind=protective, the speaker counts are those of the protective scenes only.
    const underProtective = await call(env.studio, 'scenes/facets', { characterId, filter: { kind: 'protective' } });
    expect(underProtective.speakers.find((s) => s.value === 'Beethoven')?.count).toBe(2);
    expect(underProtective.kinds.hand).toBe(1); // its own facet ignores it
    // Counts under a search (its matches read once for all of them): "again" is in scenes whose
    // i % 3 is not 0, scene 4 the only protective one of them.
    expect((await call(env.studio, 'review/counts', { characterId, filter: { search: 'again' } })).total).toBe(6);
    const searched = await call(env.studio, 'scenes/facets', { characterId, filter: { search: 'again' } });
    expect(searched.kinds).toEqual({ normal: 5, protective: 1 });
    expect(searched.speakers.find((s) => s.value === 'Beethoven')?.count).toBe(6);

    // The model comes from the call that wrote the experience (else the scene), kept on write.
    const calls = env.studio.db.prepare(
      `INSERT INTO llm_calls (id, attempt, provider, model, params, messages, latency_ms, started_at)
       VALUES (?, 1, 'p', ?, '{}', '[]', 1, 1)`,
    );
    calls.run('call-a', 'qwen-7b');
    calls.run('call-b', 'llama-70b');
    dataset.insertScene(
      {
        id: 'modelled' as SceneId,
        characterId,
        jobId: 'job' as JobId,
        itemId: 'modelled',
        ordinal: 0,
        chunkId: null,
        protective: false,
        limit: null,
        type: 'Walk',
        location: 'Mödling',
        time: '',
        background: '',
        people: [],
        callId: 'call-a',
        promptVersion: 'builtin@1',
      },
      5_000,
    );
    expect((await list({ model: 'qwen-7b' })).map((s) => s.id)).toEqual(['modelled']);
    dataset.insertExperience(
      'modelled' as SceneId,
      {
        background: '',
        turns: [{ speaker: 'B', kind: 'speaking', text: 'x' }],
        callId: 'call-b',
        promptVersion: 'p',
        problems: [],
      },
      5_001,
    );
    expect((await list({ model: 'qwen-7b' })).map((s) => s.id)).toEqual([]);
    expect((await call(env.studio, 'scenes/facets', { characterId })).models).toEqual([
      { value: 'llama-70b', count: 1 },
    ]);
    const empty = await callError(env.studio, 'scenes/list', { characterId, limit: 5, minTurns: 4, maxTurns: 2 });
    expect(empty.message).toMatch(/least must not exceed the most/);
  });

  it('migration 012 indexes the scenes and speakers of a database made at migration 011', () => {
    const file = path.join(env.dir, 'old.sqlite');
    databaseBefore(
      file,
      'scene_search',
      `${GENERATED_LESSON}
        ('s2', 'c', 'j', 'i', 1, 'Walk', 'Vienna', '', 'y', '[]', 'b', 2);
      INSERT INTO experiences (scene_id, background, turns, prompt_version, created_at)
        VALUES ('s1', '', '[{"speaker":"Neefe","kind":"speaking","text":"Play the fugue"},{"speaker":" Neefe ","kind":"action","text":"nods"}]', 'b', 1);`,
    ).close();
    const db = openDatabase(file);
    const repo = new SceneBrowserRepo(db);
    const ids = (filter: object) => repo.page('c' as CharacterId, { limit: 9, filter }).scenes.map((s) => s.id);
    expect(ids({ search: 'fugue' })).toEqual(['s1']);
    expect(ids({ search: 'neefe' })).toEqual(['s1']);
    expect(ids({ search: 'vienna' })).toEqual(['s2']);
    expect(ids({ speaker: 'Neefe' })).toEqual(['s1']);
    expect(repo.facets('c' as CharacterId, {}).speakers).toEqual([{ value: 'Neefe', count: 1 }]);
    db.close();
  });

  it('migration 025 counts the speakers of experiences imported without them (imports before it stored none)', () => {
    const file = path.join(env.dir, 'before-025.sqlite');
    const old = databaseBefore(file, 'imported_turn_figures');
    old.exec(`INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES ('c', 'L', 'B', 1, 1);
      INSERT INTO scenes (id, character_id, ordinal, type, location, time, background, people, prompt_version,
        created_at, origin, item_id) VALUES ('s1', 'c', 0, 'Lesson', 'Bonn', '', 'x', '["Neefe"]', 'import', 1, 'import', 'import:i');
      INSERT INTO experiences (scene_id, background, turns, prompt_version, created_at)
        VALUES ('s1', '', '[{"speaker":"Neefe","kind":"speaking","text":"Play the fugue"}]', 'import', 1);
      DELETE FROM experience_speakers; DELETE FROM scene_turn_lengths;`);
    old.close();
    const db = openDatabase(file);
    const repo = new SceneBrowserRepo(db);
    expect(repo.facets('c' as CharacterId, {}).speakers).toEqual([{ value: 'Neefe', count: 1 }]);
    expect(db.prepare('SELECT bucket, turns FROM scene_turn_lengths').all()).toEqual([{ bucket: 1, turns: 1 }]);
    db.close();
  });

  it('migration 023 makes the search index again with prefix indexes: the same text and matches, written to as before', () => {
    const file = path.join(env.dir, 'before-023.sqlite');
    const old = databaseBefore(
      file,
      'search_prefixes',
      `${GENERATED_LESSON}
        ('s2', 'c', 'j', 'i', 1, 'Walk', 'Vienna', '', 'room 117', '[]', 'b', 2),
        ('s3', 'c', 'j', 'i', 2, 'Walk', 'Mödling', '', 'Grüße', '[]', 'b', 3);
      INSERT INTO experiences (scene_id, background, turns, prompt_version, created_at)
        VALUES ('s1', '', '[{"speaker":"Neefe","kind":"speaking","text":"Play the fugue, turn 11"}]', 'b', 1);
      DELETE FROM scenes WHERE id = 's3';`,
    );
    const before = old.prepare('SELECT rowid, * FROM scene_search ORDER BY rowid').all();
    old.close();

    const db = openDatabase(file);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'scene_search'").pluck().get()).toMatch(
      /prefix = '1 2 3'/,
    );
    expect(db.prepare('SELECT rowid, * FROM scene_search ORDER BY rowid').all()).toEqual(before);
    // FTS5's own check of the index against the stored text.
    db.prepare("INSERT INTO scene_search (scene_search, rank) VALUES ('integrity-check', 0)").run();
    const repo = new SceneBrowserRepo(db);
    const ids = (search: string) =>
      repo.page('c' as CharacterId, { limit: 9, filter: { search } }).scenes.map((s) => s.id);
    expect(ids('fugue')).toEqual(['s1']);
    expect(ids('turn 1')).toEqual(['s1']);
    expect(ids('room 11')).toEqual(['s2']);
    expect(ids('v')).toEqual(['s2']);
    expect(ids('gru')).toEqual([]);
    // The triggers of migration 012 write to the new table by its name.
    db.exec(`INSERT INTO scenes (id, character_id, job_id, item_id, ordinal, type, location, time, background, people,
        prompt_version, created_at) VALUES ('s4', 'c', 'j', 'i', 3, 'Concert', 'Vienna', '', 'the organ', '[]', 'b', 4);
      UPDATE scenes SET location = 'Heiligenstadt' WHERE id = 's2';`);
    expect(ids('vi')).toEqual(['s4']);
    expect(ids('org')).toEqual(['s4']);
    expect(ids('heil')).toEqual(['s2']);
    db.close();
  });
});

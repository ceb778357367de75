import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CharacterId, JobId, SceneId } from '../../../common/contract';
import { openDatabase } from '../../../main/store/database';
import type { DatasetRepo } from '../../../main/store/dataset-repo';
import { JobItemsRepo } from '../../../main/store/job-items-repo';
import { sceneWhere } from '../../../main/store/scene-filter';
import { decodeStructure } from '../../../main/store/fts5-structure';
import { PENDING_ROWS } from '../../../main/store/search-deferral';
import { NORMAL_AUTOMERGE, SearchMerges } from '../../../main/store/search-merges';
import { WriteBatch } from '../../../main/store/write-batch';
import { beethovenWithJob, insertLesson } from '../../support/scenes';
import { call, makeStudio } from '../../support/studio';

// A generation job's group commits leave their scenes' search rows noted and write them in bulk
// (store/search-deferral.ts); what a search finds must not change: every search sees every scene
// committed before it, with its current fields and experience, as when each write indexed at once.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
let dataset: DatasetRepo;
/** The job engine's own batch: the one that defers. */
let writes: WriteBatch;

beforeEach(async () => {
  env = makeStudio();
  ({ characterId, dataset } = await beethovenWithJob(env.studio));
  writes = env.studio.jobs.writes;
});
afterEach(async () => {
  vi.useRealTimers();
  await env.studio.shutdown();
  env.cleanup();
});

const db = () => env.studio.db;
const noted = () => db().prepare('SELECT count(*) FROM search_pending').pluck().get() as number;
const indexed = () => db().prepare('SELECT count(*) FROM scene_search').pluck().get() as number;
/** What the index holds for a scene, as the search reads it. */
const row = (id: string) =>
  db()
    .prepare(`SELECT f.location, f.experience FROM scene_search f JOIN scenes s ON s.rowid = f.rowid WHERE s.id = ?`)
    .get(id) as { location: string; experience: string } | undefined;

async function search(words: string): Promise<string[]> {
  const page = await call(env.studio, 'scenes/list', { characterId, limit: 500, search: words });
  return page.scenes.map((s) => s.id).sort();
}

function experience(id: string, text: string): void {
  dataset.insertExperience(
    id as SceneId,
    {
      background: 'A cold room.',
      turns: [{ speaker: 'Beethoven', kind: 'speaking', text }],
      callId: null,
      promptVersion: 'builtin@1',
      problems: [],
    },
    2_000,
  );
}

describe('search rows of a group commit', () => {
  it('are noted, not indexed, and every search finds them with what is stored now', async () => {
    await writes.write(() => {
      insertLesson(dataset, characterId, 'a' as SceneId, { location: 'Vienna' });
      insertLesson(dataset, characterId, 'b' as SceneId, { location: 'Bonn' });
    });
    expect(noted()).toBe(2);
    expect(indexed()).toBe(0);
    // A later write of the same batch: still one note for the scene.
    await writes.write(() => experience('a', 'the Rhine at dusk'));
    expect(noted()).toBe(2);

    expect(await search('Rhine')).toEqual(['a']);
    expect(await search('Bonn')).toEqual(['b']);
    expect(noted()).toBe(0);
    expect(row('a')).toEqual({ location: 'Vienna', experience: 'A cold room.\nthe Rhine at dusk' });
    expect(row('b')).toEqual({ location: 'Bonn', experience: '' });
  });

  it('match what immediate indexing writes, row for row', async () => {
    // The same scenes written outside a batch (indexed at once, as the editor and imports write).
    insertLesson(dataset, characterId, 'now-1' as SceneId, { location: 'Vienna', people: ['Haydn', 'Salieri'] });
    experience('now-1', 'counterpoint lessons');
    await writes.write(() => {
      insertLesson(dataset, characterId, 'later-1' as SceneId, { location: 'Vienna', people: ['Haydn', 'Salieri'] });
      experience('later-1', 'counterpoint lessons');
    });
    await search('Haydn');
    const columns = (id: string) =>
      db()
        .prepare(
          `SELECT f.type, f.location, f.time, f.background, f.people, f.experience
           FROM scene_search f JOIN scenes s ON s.rowid = f.rowid WHERE s.id = ?`,
        )
        .get(id);
    expect(columns('later-1')).toEqual(columns('now-1'));
    expect(columns('now-1')).toMatchObject({
      people: 'Haydn, Salieri',
      experience: 'A cold room.\ncounterpoint lessons',
    });
  });

  it('writes a scene once it has its experience, in the commit that brings such scenes to PENDING_ROWS', async () => {
    const ids = Array.from({ length: PENDING_ROWS + 3 }, (_, i) => `s-${i}`);
    await writes.write(() => ids.forEach((id) => insertLesson(dataset, characterId, id as SceneId)));
    // Scenes waiting for their experience stay noted: their row would be written twice otherwise.
    expect(indexed()).toBe(0);
    await writes.write(() => ids.slice(0, PENDING_ROWS - 1).forEach((id) => experience(id, 'a sonata')));
    expect(indexed()).toBe(0);
    await writes.write(() => experience(ids[PENDING_ROWS - 1]!, 'a sonata'));
    expect(indexed()).toBe(PENDING_ROWS);
    expect(noted()).toBe(3);
    expect(row('s-0')?.experience).toBe('A cold room.\na sonata');
  });

  it('leave the index unmerged in their commit and merge it in steps after it, automerge kept', async () => {
    const ROUNDS = 6;
    const segments = () =>
      decodeStructure(
        db().prepare('SELECT block FROM scene_search_data WHERE id = 10').pluck().get() as Uint8Array,
      ).map((level) => level.segments.length);
    for (let round = 1; round <= ROUNDS; round++) {
      const written = writes.write(() => {
        for (let i = 0; i < PENDING_ROWS; i++) {
          const id = `r${round}-${i}`;
          insertLesson(dataset, characterId, id as SceneId, { location: `Room ${i}` });
          // Words of its own: segments of ~16 leaf pages, past the 64 after which FTS5's automerge works.
          experience(id, `sonata ${round} ` + Array.from({ length: 60 }, (_, k) => `w${round}x${i}x${k}`).join(' '));
        }
      });
      // Committed now, before the loop turns (and before the merge steps it arms, which the next
      // flush puts off again): the commit's own work only.
      writes.flush();
      await written;
      // One segment more at the first level each commit: FTS5's own automerge (4) would have
      // merged them into the next level inside the commit that took its writes past 64 pages.
      expect(segments()).toEqual([round]);
    }
    expect(new SearchMerges(db()).automerge()).toBe(NORMAL_AUTOMERGE);
    // Merged on the loop's next turns, in steps.
    await vi.waitFor(() => expect(segments()[0] ?? 0).toBe(0));
    expect(segments().reduce((a, b) => a + b, 0)).toBe(1);
    expect(await search('sonata')).toHaveLength(ROUNDS * PENDING_ROWS);
    expect(await search('Room 7')).toHaveLength(ROUNDS);
  });

  it('are written once the batch has been idle for a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const written = writes.write(() => insertLesson(dataset, characterId, 'idle' as SceneId), 0);
    await vi.advanceTimersByTimeAsync(0);
    await written;
    expect(noted()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(noted()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(noted()).toBe(0);
    expect(row('idle')?.location).toBe('Bonn');
  });

  it('follow edits and deletions made outside the batch before they are written', async () => {
    await writes.write(() => {
      insertLesson(dataset, characterId, 'edited' as SceneId);
      insertLesson(dataset, characterId, 'deleted' as SceneId);
    });
    db().prepare(`UPDATE scenes SET location = 'Heiligenstadt' WHERE id = 'edited'`).run();
    db().prepare(`DELETE FROM scenes WHERE id = 'deleted'`).run();
    expect(noted()).toBe(1);
    expect(await search('Heiligenstadt')).toEqual(['edited']);
    expect(await search('Bonn')).toEqual([]);
    expect(indexed()).toBe(1);
  });

  it('are written before a bulk review or a regeneration selects scenes by a search', async () => {
    await writes.write(() =>
      insertLesson(dataset, characterId, 'quartet' as SceneId, { location: 'Razumovsky palace' }),
    );
    const action = await call(env.studio, 'review/set', {
      characterId,
      filter: { search: 'Razumovsky' },
      status: 'accepted',
    });
    expect(action.scenes).toBe(1);
    await writes.write(() =>
      insertLesson(dataset, characterId, 'quintet' as SceneId, { location: 'Razumovsky palace' }),
    );
    const counts = await call(env.studio, 'review/counts', { characterId, filter: { search: 'Razumovsky' } });
    expect(counts).toMatchObject({ total: 2 });
    // A regeneration plans its items from the same filter (main/core/dataset/regenerate-service.ts).
    await writes.write(() => insertLesson(dataset, characterId, 'trio' as SceneId, { location: 'Razumovsky palace' }));
    const planned = new JobItemsRepo(db()).planSceneItems(
      'job' as JobId,
      'experiences',
      'regenerate:',
      sceneWhere(characterId, { search: 'Razumovsky' }),
      3_000,
    );
    expect(planned).toBe(3);
  });

  it('left noted by a process that stopped are written when the studio opens again', async () => {
    await writes.write(() => insertLesson(dataset, characterId, 'crash' as SceneId, { location: 'Baden' }));
    expect(noted()).toBe(1);
    const file = env.studio.databasePath;
    // Another process opens the same database (the CLI, or the studio started again after a crash).
    const other = openDatabase(file);
    try {
      new WriteBatch(other, { windowMs: 20, deferSearchRows: true });
      expect(other.prepare('SELECT count(*) FROM search_pending').pluck().get()).toBe(0);
      expect(other.prepare(`SELECT location FROM scene_search`).pluck().all()).toEqual(['Baden']);
    } finally {
      other.close();
    }
  });

  it('are never noted by a commit outside a batch', () => {
    insertLesson(dataset, characterId, 'plain' as SceneId);
    experience('plain', 'a rondo');
    expect(noted()).toBe(0);
    expect(row('plain')?.experience).toBe('A cold room.\na rondo');
    expect(db().prepare('SELECT count(*) FROM search_deferral').pluck().get()).toBe(0);
  });
});

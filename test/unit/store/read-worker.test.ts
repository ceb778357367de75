import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, JobId, SceneId } from '../../../common/contract';
import { CharactersRepo } from '../../../main/store/characters-repo';
import { openDatabase, type Db } from '../../../main/store/database';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { DatasetSums } from '../../../main/store/dataset-sums';
import { JobsRepo } from '../../../main/store/jobs-repo';
import { ReadWorker } from '../../../main/store/read-worker';
import { tempDir } from '../../support/paths';
import { turnsDuring } from '../../support/turns';

/** Sums over many rows run on a reader thread (issue 9, point 3): same answers, the event loop free meanwhile. */

let tmp: { dir: string; cleanup: () => void };
let file: string;
let db: Db;
let reader: ReadWorker;
beforeEach(() => {
  tmp = tempDir();
  file = path.join(tmp.dir, 'studio.sqlite');
  db = openDatabase(file);
  reader = new ReadWorker(file);
});
afterEach(() => {
  reader.close();
  if (db.open) db.close();
  tmp.cleanup();
});

const beethoven = 'c-beethoven' as CharacterId;

function seed(count: number, jobId: JobId): void {
  const dataset = new DatasetRepo(db);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `${jobId}-${i}` as SceneId;
      dataset.insertScene(
        {
          id,
          characterId: beethoven,
          jobId,
          itemId: `${jobId}-item-${i}`,
          ordinal: 0,
          chunkId: null,
          protective: i % 5 === 4,
          limit: null,
          type: 'Conversation',
          location: 'Bonn',
          time: '1783',
          background: `Lesson ${i}.`,
          people: ['Neefe'],
          callId: null,
          promptVersion: 'builtin@1',
        },
        1000 + i,
      );
      if (i % 3 !== 2)
        dataset.insertExperience(
          id,
          {
            background: '',
            turns: [
              { speaker: 'Beethoven', kind: 'speaking', text: `Again, slower ${i}.` },
              { speaker: 'Neefe', kind: 'thinking', text: 'He is impatient.' },
            ],
            callId: null,
            promptVersion: 'builtin@1',
            problems: [{ code: 'other_thinking', message: 'Neefe thinks', turn: 1, raw: '' }],
          },
          1000 + i,
        );
    }
  })();
}

describe('the reader thread', () => {
  it('gives the sums the studio’s own connection gives, and sees what it last committed', async () => {
    new CharactersRepo(db).insert(
      beethoven,
      { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '', notes: '' },
      1,
    );
    new JobsRepo(db).insertJob({ id: 'job-1' as JobId, characterId: beethoven, settings: {} }, 1000);
    seed(40, 'job-1' as JobId);
    const now = new DatasetSums(db, null);
    const off = new DatasetSums(db, reader);
    expect(await off.stats(beethoven)).toEqual(await now.stats(beethoven));
    expect(await off.training(beethoven)).toEqual(await now.training(beethoven));
    expect((await off.stats(beethoven)).scenes).toBe(40);
    new JobsRepo(db).insertJob({ id: 'job-2' as JobId, characterId: beethoven, settings: {} }, 2000);
    seed(7, 'job-2' as JobId);
    expect((await off.stats(beethoven)).scenes).toBe(47);
  });

  it('leaves the event loop free while a long query runs', async () => {
    // Some hundreds of milliseconds of SQLite's own work, which on this thread would allow no turn at all.
    const { result: row, turns } = await turnsDuring(() =>
      reader.get<{ n: number }>(
        'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n FROM c',
        1_000_000,
      ),
    );
    expect(row?.n).toBe(1_000_000);
    expect(turns).toBeGreaterThan(10);
  });

  it('refuses a bad query and answers the next; after close, a query starts a new thread', async () => {
    await expect(reader.get('SELECT * FROM no_such_table')).rejects.toThrow(/no such table/);
    expect(await reader.get<{ one: number }>('SELECT 1 AS one')).toEqual({ one: 1 });
    const out = reader.get(
      'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000000) SELECT count(*) FROM c',
    );
    reader.close();
    await expect(out).rejects.toThrow(/closed its database/);
    expect(await reader.all<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('keeps its connection between reads, and closes it on close(), so the studio’s close leaves no -wal file behind', async () => {
    // A temporary table lives as long as its connection: the second read finds the first one's row.
    await reader.read([
      { sql: 'CREATE TEMP TABLE IF NOT EXISTS kept (x INTEGER)', params: [], all: false, run: true },
      { sql: 'INSERT INTO temp.kept VALUES (1)', params: [], all: false, run: true },
    ]);
    expect(await reader.get<{ n: number }>('SELECT count(*) AS n FROM temp.kept')).toEqual({ n: 1 });
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    reader.close();
    db.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('opens a new connection after close(), one that sees what the studio committed meanwhile', async () => {
    expect(await reader.get<{ n: number }>('SELECT count(*) AS n FROM characters')).toEqual({ n: 0 });
    reader.close();
    new CharactersRepo(db).insert(
      beethoven,
      { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven', era: '', notes: '' },
      1,
    );
    expect(await reader.get<{ n: number }>('SELECT count(*) AS n FROM characters')).toEqual({ n: 1 });
    await expect(reader.get('SELECT count(*) FROM temp.kept')).rejects.toThrow(/no such table/);
  });
});

import Database from 'better-sqlite3';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IoRequests } from '../../../main/core/interop/dataset-import';
import { Studio } from '../../../main/core/studio';
import { DatasetImportRepo } from '../../../main/store/dataset-import-repo';
import { COPY_STEP_SCENES } from '../../../main/store/import-stage';
import { ImportWriter, runningImportWriters } from '../../../main/store/import-writer';
import {
  closeImportEnv,
  eveningLines,
  importEnv,
  importer,
  stagedScenes,
  type ImportEnv,
} from '../../support/import-stage';
import { call } from '../../support/studio';
import { turnCounter } from '../../support/turns';

// An import's final copy into the store runs in slices of short transactions with a turn of the
// event loop between them (at 100,000 scenes one transaction held the serving thread for tens of
// seconds), and stays all or nothing: a cancel mid-copy removes what was copied, and a stop of the
// studio mid-copy is undone when it opens again.

const SCENES = COPY_STEP_SCENES * 5 + 3;
let env: ImportEnv;
beforeEach(async () => {
  env = await importEnv('cs-import-copy-', eveningLines(SCENES));
});
afterEach(() => closeImportEnv(env));

const staged = (n: number) => stagedScenes(env.character, n);

/** Runs `act` once, at the first progress of a copy into the store that has copied `done` scenes or more; the unsubscribe. */
function afterCopied(done: number, act: () => void): () => void {
  let acted = false;
  return env.studio.events.subscribe((name, payload) => {
    const progress = payload as { done: number; total: number | null };
    if (acted || name !== 'dataset/io-progress' || progress.total === null || progress.done < done) return;
    acted = true;
    act();
  });
}

const countOf = (sql: string) => env.studio.db.prepare(sql).pluck().get() as number;
const storedScenes = () => countOf('SELECT count(*) FROM scenes');

describe('the copy into the store', () => {
  it('runs in slices of at most COPY_STEP_SCENES scenes (at 0 ms), each committed, with turns of the event loop between them', async () => {
    const copied: { done: number; inStore: number; turn: number }[] = [];
    const counter = turnCounter();
    const off = env.studio.events.subscribe((name, payload) => {
      const progress = payload as { requestId: string; done: number; total: number | null };
      if (name !== 'dataset/io-progress' || progress.requestId !== 'copy' || progress.total === null) return;
      // Between two slices: what was copied so far is committed, no transaction is open.
      expect(env.studio.db.inTransaction).toBe(false);
      copied.push({ done: progress.done, inStore: storedScenes(), turn: counter.turns() });
    });
    try {
      const report = await importer(env).import({ characterId: env.characterId, path: env.file, requestId: 'copy' });
      expect(report.scenes).toBe(SCENES);
    } finally {
      off();
      counter.stop();
    }
    const steps = [...Array.from({ length: 5 }, (_, i) => (i + 1) * COPY_STEP_SCENES), SCENES];
    expect(copied.map((c) => c.done)).toEqual(steps);
    expect(copied.map((c) => c.inStore)).toEqual(steps);
    expect(new Set(copied.map((c) => c.turn)).size).toBe(steps.length);
    expect(countOf('SELECT count(*) FROM dataset_imports WHERE copying = 1')).toBe(0);
    expect(countOf('SELECT count(*) FROM experiences')).toBe(SCENES);
  });

  it('removes what it had copied when cancelled mid-copy, leaving the store as it was', async () => {
    const requests = new IoRequests();
    const off = afterCopied(COPY_STEP_SCENES * 2, () => requests.cancel('stop'));
    let error: unknown;
    try {
      await importer(env, requests).import({ characterId: env.characterId, path: env.file, requestId: 'stop' });
    } catch (caught) {
      error = caught;
    } finally {
      off();
    }
    expect((error as Error).message).toBe('The import was cancelled; nothing was imported.');
    expect(storedScenes()).toBe(0);
    expect(countOf('SELECT count(*) FROM dataset_imports')).toBe(0);
    expect(countOf('SELECT count(*) FROM scene_revisions')).toBe(0);
    expect((await call(env.studio, 'dataset/stats', { characterId: env.characterId })).scenes).toBe(0);
    // A whole import afterwards goes in as usual.
    expect((await call(env.studio, 'dataset/import', { characterId: env.characterId, path: env.file })).scenes).toBe(
      SCENES,
    );
  });

  it('is undone when the studio opens again after stopping mid-copy', async () => {
    await call(env.studio, 'dataset/import', { characterId: env.characterId, path: env.file });
    // A second import stopped after its first slice: the process ended with its row still copying
    // (closing the connection drops the staging tables, as a crash would).
    const stage = new DatasetImportRepo(env.studio.db).stage(env.characterId, Date.now());
    stage.add(staged(COPY_STEP_SCENES * 2));
    expect(stage.begin('cut-short', 'cut.jsonl', 'openai')).toBe(COPY_STEP_SCENES * 2);
    expect(stage.copySlice('cut-short', 0, () => false)).toBe(COPY_STEP_SCENES);
    expect(storedScenes()).toBe(SCENES + COPY_STEP_SCENES);
    await env.studio.shutdown();
    env.studio.close();

    env.studio = new Studio({ dataDir: env.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    expect(storedScenes()).toBe(SCENES);
    expect(countOf("SELECT count(*) FROM dataset_imports WHERE id = 'cut-short'")).toBe(0);
    expect((await call(env.studio, 'dataset/stats', { characterId: env.characterId })).scenes).toBe(SCENES);
  });
  it('compiles its statements once per stage, not on every slice, and keeps the stage’s journal in memory', () => {
    const stage = new DatasetImportRepo(env.studio.db).stage(env.characterId, Date.now());
    try {
      // better-sqlite3's defensive mode refuses `journal_mode = OFF`: asked for, the stage kept a
      // journal file that every batch and slice created and deleted.
      const attached = env.studio.db.pragma('database_list') as { name: string; file: string }[];
      const schema = attached.find((d) => d.file === stage.location)!.name;
      expect(env.studio.db.pragma(`${schema}.journal_mode`, { simple: true })).toBe('memory');

      stage.add(staged(COPY_STEP_SCENES * 4));
      stage.add(staged(0));
      stage.begin('once', 'once.jsonl', 'openai');
      expect(stage.copySlice('once', 0, () => false)).toBe(COPY_STEP_SCENES);
      // Every compile after the first slice, cached (`db.prepare`) or not (the prototype's).
      const cached = vi.spyOn(env.studio.db, 'prepare');
      const compiled = vi.spyOn(Database.prototype, 'prepare');
      try {
        for (let n = 2; n <= 4; n++)
          expect(stage.copySlice('once', (n - 1) * COPY_STEP_SCENES, () => false)).toBe(n * COPY_STEP_SCENES);
        expect(cached).not.toHaveBeenCalled();
        expect(compiled).not.toHaveBeenCalled();
      } finally {
        cached.mockRestore();
        compiled.mockRestore();
      }
      stage.finish('once');
      expect(storedScenes()).toBe(COPY_STEP_SCENES * 4);
      expect(countOf('SELECT count(*) FROM experiences')).toBe(COPY_STEP_SCENES * 4);
    } finally {
      void stage.discard();
    }
  });
});

// The copy (its slices, their undo, the search index's merges) is written by
// a thread with a connection of its own (store/import-writer.ts): the serving thread's connection
// runs none of those writes, a write of its own during an import waits for the lock rather than
// failing, and the thread ends with the import whatever way it ends.

/** Every statement compiled or fetched on this thread while `work` runs: the connection's cached `prepare` and the prototype's. */
async function preparedDuring(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const cached = vi.spyOn(env.studio.db, 'prepare');
  const compiled = vi.spyOn(Database.prototype, 'prepare');
  try {
    await work();
  } finally {
    for (const spy of [cached, compiled]) for (const [sql] of spy.mock.calls) seen.push(sql);
    cached.mockRestore();
    compiled.mockRestore();
  }
  return seen;
}

/** Runs `write` on the serving thread at every turn of the event loop until `until` settles; the errors it met. */
async function writeBeside(until: Promise<unknown>, write: () => void): Promise<{ writes: number; errors: string[] }> {
  let done = false;
  void until.finally(() => (done = true)).catch(() => undefined);
  const errors: string[] = [];
  let writes = 0;
  while (!done) {
    await nextTurn();
    try {
      write();
      writes++;
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return { writes, errors };
}

describe('the copy on its writer thread', () => {
  it('leaves the serving connection none of the copy’s writes, its merges nor its undo', async () => {
    // The copy's inserts, the search index's rows and its 'merge' commands (setting automerge is the import's row keeping).
    const copyWrite =
      /INSERT INTO (scenes|experiences|scene_revisions|experience_speakers) |INSERT INTO scene_search \(rowid|VALUES \('merge'/;
    const imported = await preparedDuring(() =>
      importer(env).import({ characterId: env.characterId, path: env.file, requestId: 'whole' }),
    );
    expect(storedScenes()).toBe(SCENES);
    expect(imported.filter((sql) => copyWrite.test(sql))).toEqual([]);

    // Cancelled after two slices: the undo's deletes are the thread's too.
    const requests = new IoRequests();
    const off = afterCopied(COPY_STEP_SCENES * 2, () => requests.cancel('stop'));
    let error: unknown;
    const cancelled = await preparedDuring(() =>
      importer(env, requests)
        .import({ characterId: env.characterId, path: env.file, requestId: 'stop' })
        .catch((caught: unknown) => (error = caught)),
    ).finally(off);
    expect((error as Error).message).toBe('The import was cancelled; nothing was imported.');
    expect(storedScenes()).toBe(SCENES);
    expect(cancelled.filter((sql) => copyWrite.test(sql) || /^DELETE FROM scenes\b/.test(sql))).toEqual([]);
    expect(runningImportWriters()).toBe(0);
  });

  it('opens its connection with the studio’s settings', async () => {
    const repo = new DatasetImportRepo(env.studio.db, { file: env.studio.databasePath });
    const stage = repo.stage(env.characterId, Date.now());
    stage.add(stagedScenes(env.character, 3));
    stage.begin('settings', 'settings.jsonl', 'openai');
    const writer = repo.writer(stage, 'settings');
    try {
      expect(writer).toBeInstanceOf(ImportWriter);
      const names = [
        'busy_timeout',
        'journal_mode',
        'foreign_keys',
        'synchronous',
        'temp_store',
        'cache_size',
        'wal_autocheckpoint',
      ];
      const studio = Object.fromEntries(names.map((name) => [name, env.studio.db.pragma(name, { simple: true })]));
      expect(await (writer as ImportWriter).pragmas(names)).toEqual(studio);
      expect(studio).toMatchObject({ busy_timeout: 5000, journal_mode: 'wal', foreign_keys: 1, wal_autocheckpoint: 0 });
    } finally {
      await writer.undoSlice(0, 0);
      await writer.close();
      await stage.discard();
    }
    expect(runningImportWriters()).toBe(0);
    expect(countOf('SELECT count(*) FROM dataset_imports')).toBe(0);
  });

  it('lets a write of the serving thread that reads first go in during the copy (it waits for the lock)', async () => {
    const db = env.studio.db;
    let n = 0;
    const write = db.transaction(() => {
      const scenes = db.prepare('SELECT count(*) FROM scenes').pluck().get() as number;
      db.prepare('INSERT OR REPLACE INTO preferences (key, value, updated_at) VALUES (?, ?, ?)').run(
        `beside-${n++}`,
        String(scenes),
        Date.now(),
      );
    });
    const importing = importer(env).import({ characterId: env.characterId, path: env.file });
    const beside = await writeBeside(importing, write);
    expect((await importing).scenes).toBe(SCENES);
    expect(beside.errors).toEqual([]);
    expect(beside.writes).toBeGreaterThan(0);
    expect(countOf("SELECT count(*) FROM preferences WHERE key LIKE 'beside-%'")).toBe(beside.writes);
  });

  it('fails the import with a clear message when its thread fails mid-copy, and the copy is undone', async () => {
    // After two slices the store refuses the copy's next insert: the thread's statement throws.
    const off = afterCopied(COPY_STEP_SCENES * 2, () =>
      env.studio.db.exec(
        `CREATE TRIGGER refuse_copy BEFORE INSERT ON scenes BEGIN SELECT RAISE(ABORT, 'the disk is full'); END`,
      ),
    );
    let error: unknown;
    try {
      await importer(env).import({ characterId: env.characterId, path: env.file, requestId: 'refused' });
    } catch (caught) {
      error = caught;
    } finally {
      off();
    }
    expect((error as Error).message).toBe(
      "The import's copy failed on its writing thread: the disk is full. Nothing was imported: what was copied was removed again.",
    );
    expect(storedScenes()).toBe(0);
    expect(countOf('SELECT count(*) FROM dataset_imports')).toBe(0);
    expect(runningImportWriters()).toBe(0);
  });

  it('fails the import when its thread ends mid-copy, and the studio’s own connection undoes the copy', async () => {
    const repo = new DatasetImportRepo(env.studio.db, { file: env.studio.databasePath });
    const off = afterCopied(COPY_STEP_SCENES * 2, () => void repo.closeWriters());
    let error: unknown;
    try {
      await importer(env, new IoRequests(), null, repo).import({
        characterId: env.characterId,
        path: env.file,
        requestId: 'ended',
      });
    } catch (caught) {
      error = caught;
    } finally {
      off();
    }
    expect((error as Error).message).toMatch(
      /^The import's writing thread stopped \(.+\)\. Nothing was imported: what was copied was removed again\.$/,
    );
    expect(storedScenes()).toBe(0);
    expect(countOf('SELECT count(*) FROM dataset_imports')).toBe(0);
    expect(countOf("SELECT v FROM scene_search_config WHERE k = 'automerge'")).toBe(4);
    expect(runningImportWriters()).toBe(0);
  });

  it('ends with the studio when it closes mid-copy, and the copy is gone when the studio opens again', async () => {
    const closing: Promise<void>[] = [];
    // After its first slice (one step: the studio's slices are timed, the first measures).
    const off = afterCopied(1, () => closing.push(env.studio.shutdown()));
    // The studio's own importer, whose writer threads its close ends.
    const importing = call(env.studio, 'dataset/import', {
      characterId: env.characterId,
      path: env.file,
      requestId: 'closed',
    });
    const failed = expect(importing).rejects.toThrow();
    await vi.waitFor(() => expect(closing).toHaveLength(1));
    // Closed: its thread ended with it, whatever the import does next.
    await closing[0];
    expect(runningImportWriters()).toBe(0);
    await failed;
    off();

    env.studio = new Studio({ dataDir: env.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    expect(storedScenes()).toBe(0);
    expect(countOf('SELECT count(*) FROM dataset_imports')).toBe(0);
  });
});

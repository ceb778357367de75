import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IoRequests } from '../../../main/core/interop/dataset-import';
import { Studio } from '../../../main/core/studio';
import { COPY_STEP_SCENES, DatasetImportRepo } from '../../../main/store/dataset-import-repo';
import { closeImportEnv, importEnv, importer, stagedScenes, type ImportEnv } from '../../support/import-stage';
import { call } from '../../support/studio';
import { turnCounter } from '../../support/turns';

// An import's final copy into the store runs in slices of short transactions with a turn of the
// event loop between them (at 100,000 scenes one transaction held the serving thread for tens of
// seconds), and stays all or nothing: a cancel mid-copy removes what was copied, and a stop of the
// studio mid-copy is undone when it opens again.

const SCENES = COPY_STEP_SCENES * 5 + 3;
const line = (n: number) =>
  JSON.stringify({
    messages: [
      { role: 'system', content: `A quiet room, evening ${n}.` },
      { role: 'user', content: 'Neefe: Again.' },
      { role: 'assistant', content: 'As you wish.' },
    ],
  });

let env: ImportEnv;
beforeEach(async () => {
  env = await importEnv(
    'cs-import-copy-',
    Array.from({ length: SCENES }, (_, n) => line(n)),
  );
});
afterEach(() => closeImportEnv(env));

const staged = (n: number) => stagedScenes(env.character, n);

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
    const off = env.studio.events.subscribe((name, payload) => {
      const progress = payload as { requestId: string; done: number; total: number | null };
      if (name === 'dataset/io-progress' && progress.total !== null && progress.done >= COPY_STEP_SCENES * 2)
        requests.cancel('stop');
    });
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

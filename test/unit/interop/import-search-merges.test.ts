import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IoRequests } from '../../../main/core/interop/dataset-import';
import { Studio } from '../../../main/core/studio';
import { DatasetImportRepo } from '../../../main/store/dataset-import-repo';
import { COPY_STEP_SCENES } from '../../../main/store/import-stage';
import { decodeStructure } from '../../../main/store/fts5-structure';
import { NORMAL_AUTOMERGE, SearchMerges } from '../../../main/store/search-merges';
import { closeImportEnv, importEnv, importer, stagedScenes, type ImportEnv } from '../../support/import-stage';
import { call } from '../../support/studio';

// The search index's segment merges during an import (store/search-merges.ts): FTS5 merged
// segments inside the commit of the copy's slices (30–40 ms of one COMMIT at 100,000 scenes); the
// import holds that off while it copies, merges in slices of its own, gives merging back when it
// ends, and a stop mid-copy leaves nothing held once the studio opens again. The index answers
// searches as a freshly built one does.

const WORDS = ['sonata', 'quartet', 'fugue', 'rondo', 'minuet', 'scherzo', 'adagio', 'presto'];
/** Scene `n`'s text: its own number spelled out, and words that repeat across scenes in turn. */
const wordsOf = (n: number) => `opus${n} ${WORDS[n % WORDS.length]} ${WORDS[(n * 3) % WORDS.length]} in ${n % 7} flats`;
const line = (n: number) =>
  JSON.stringify({
    messages: [
      { role: 'system', content: `A room in Bonn, evening ${n}: ${wordsOf(n)}.` },
      { role: 'user', content: `Neefe: Play the ${WORDS[(n + 1) % WORDS.length]} again.` },
      { role: 'assistant', content: `As you wish; the ${wordsOf(n + 1)} first.` },
    ],
  });

const SCENES = COPY_STEP_SCENES * 40;

let env: ImportEnv;
beforeEach(async () => {
  env = await importEnv(
    'cs-import-merges-',
    Array.from({ length: SCENES }, (_, n) => line(n)),
  );
});
afterEach(() => closeImportEnv(env));

/** The index's segments by id: FTS5 lists each segment's leaves in its `_idx` table. */
const segments = (db = env.studio.db) =>
  new Set(db.prepare('SELECT DISTINCT segid FROM scene_search_idx').pluck().all() as number[]);
const automerge = () => new SearchMerges(env.studio.db).automerge();

const staged = (n: number) => stagedScenes(env.character, n, wordsOf);

describe('the search index during an import', () => {
  it('is not merged inside the copy’s commits: each slice adds one segment and removes none, merges run apart', () => {
    const stage = new DatasetImportRepo(env.studio.db).stage(env.characterId, Date.now());
    try {
      stage.add(staged(SCENES));
      stage.begin('held', 'held.jsonl', 'openai');
      expect(automerge()).toBe(0);
      let merged = false;
      for (let done = 0; done < SCENES;) {
        const before = segments();
        done = stage.copySlice('held', done, () => false);
        const after = segments();
        // The commit wrote the slice's segment and merged none (FTS5's automerge did, every few slices).
        expect([...before].filter((id) => !after.has(id))).toEqual([]);
        expect(after.size).toBe(before.size + 1);
        // The merges the import runs between slices keep the index from piling up segments.
        // (A slice ends when its time is up or no merge is left: with all the time, the latter.)
        expect(stage.mergeSlice(Infinity)).toBe(false);
        if (segments().size < after.size) merged = true;
        expect(segments().size).toBeLessThanOrEqual(8);
      }
      expect(merged).toBe(true);
      stage.finish('held');
      expect(automerge()).toBe(NORMAL_AUTOMERGE);
    } finally {
      void stage.discard();
    }
  });

  it('reads each segment’s size from FTS5’s structure record, and runs a merge step over large segments in a slice of its own', () => {
    const db = env.studio.db;
    const stage = new DatasetImportRepo(db).stage(env.characterId, Date.now());
    // "Large" made small enough that this index has such merges, and others below it; scenes of
    // many words of their own, so that segments span pages.
    const large = 60;
    const many = (n: number) =>
      Array.from({ length: 40 }, (_, k) => `opus${n}x${k} ${WORDS[k % WORDS.length]}`).join(' ');
    const merges = new SearchMerges(db, large);
    merges.slices = [];
    const leafPages = db.prepare(
      'SELECT count(*) FROM scene_search_data WHERE id >= (@id << 37) AND id < (@id << 37) + (1 << 31)',
    );
    try {
      stage.add(stagedScenes(env.character, SCENES, many));
      stage.begin('sized', 'sized.jsonl', 'openai');
      for (let done = 0; done < SCENES;) {
        done = stage.copySlice('sized', done, () => false);
        // Slices with all the time: they end at a large step or when nothing is left.
        while (merges.mergeSlice(Infinity));
        const record = db.prepare('SELECT block FROM scene_search_data WHERE id = 10').pluck().get() as Buffer;
        const levels = decodeStructure(record);
        // The record names every segment the index has, with its leaf pages as stored.
        expect(new Set(levels.flatMap((l) => l.segments.map((s) => s.id)))).toEqual(segments());
        for (const { id, pages } of levels.flatMap((l) => l.segments))
          expect(leafPages.pluck().get({ id })).toBe(pages);
      }
      stage.finish('sized');
    } finally {
      void stage.discard();
    }
    const slices = merges.slices;
    // Merges over large inputs happened, each the only command of its slice; smaller ones shared slices.
    expect(slices.some((inputs) => inputs.some((pages) => pages >= large))).toBe(true);
    expect(slices.filter((inputs) => inputs.some((pages) => pages >= large)).every((i) => i.length === 1)).toBe(true);
    expect(slices.some((inputs) => inputs.length > 1)).toBe(true);
  });

  it('holds FTS5’s automatic merging while it copies and gives it back when it ends, the segments bounded throughout', async () => {
    const seen: { automerge: number; segments: number }[] = [];
    const off = env.studio.events.subscribe((name, payload) => {
      const progress = payload as { total: number | null };
      if (name === 'dataset/io-progress' && progress.total !== null)
        seen.push({ automerge: automerge(), segments: segments().size });
    });
    try {
      // A slice budget of 0 ms: every slice is one step, the most commits an import can make.
      const report = await importer(env).import({ characterId: env.characterId, path: env.file, requestId: 'merges' });
      expect(report.scenes).toBe(SCENES);
    } finally {
      off();
    }
    expect(seen).toHaveLength(SCENES / COPY_STEP_SCENES);
    expect(seen.every((s) => s.automerge === 0)).toBe(true);
    expect(Math.max(...seen.map((s) => s.segments))).toBeLessThanOrEqual(8);
    expect(automerge()).toBe(NORMAL_AUTOMERGE);
  });

  it('gives merging back when a cancelled import has removed what it copied', async () => {
    const requests = new IoRequests();
    const off = env.studio.events.subscribe((name, payload) => {
      const progress = payload as { done: number; total: number | null };
      if (name === 'dataset/io-progress' && progress.total !== null && progress.done >= COPY_STEP_SCENES * 3)
        requests.cancel('stop');
    });
    try {
      const cancelled = importer(env, requests).import({
        characterId: env.characterId,
        path: env.file,
        requestId: 'stop',
      });
      await expect(cancelled).rejects.toThrow(/cancelled/);
    } finally {
      off();
    }
    expect(env.studio.db.prepare('SELECT count(*) FROM scenes').pluck().get()).toBe(0);
    expect(automerge()).toBe(NORMAL_AUTOMERGE);
  });

  it('leaves nothing held once the studio opens again after a stop mid-copy', async () => {
    const stage = new DatasetImportRepo(env.studio.db).stage(env.characterId, Date.now());
    stage.add(staged(COPY_STEP_SCENES * 2));
    stage.begin('cut-short', 'cut.jsonl', 'openai');
    stage.copySlice('cut-short', 0, () => false);
    await env.studio.shutdown();
    env.studio.close();
    // What the stop left in the file: the setting is stored in the index, seen by every connection.
    const raw = new Database(path.join(env.dir, 'studio.sqlite'), { readonly: true, fileMustExist: true });
    try {
      expect(raw.prepare("SELECT v FROM scene_search_config WHERE k = 'automerge'").pluck().get()).toBe(0);
    } finally {
      raw.close();
    }

    env.studio = new Studio({ dataDir: env.dir, door: 'cli', version: 'test', embeddedThreads: 1 });
    expect(automerge()).toBe(NORMAL_AUTOMERGE);
    expect(env.studio.db.prepare('SELECT count(*) FROM scenes').pluck().get()).toBe(0);
  });

  it('answers searches as a freshly built index does', async () => {
    await call(env.studio, 'dataset/import', { characterId: env.characterId, path: env.file });
    const queries = ['sonata', 'opus17 flats', 'opus1', 'fug', 'minuet presto', 'flats 3', 'neefe', 'evening 2'];
    const hits = async () => {
      const out: Record<string, string[]> = {};
      for (const search of queries) {
        const page = await call(env.studio, 'scenes/list', { characterId: env.characterId, limit: SCENES, search });
        out[search] = page.scenes.map((s) => s.id).sort();
      }
      return out;
    };
    const rows = () => env.studio.db.prepare('SELECT rowid, * FROM scene_search ORDER BY rowid').all();
    const imported = { hits: await hits(), rows: rows() };
    // Every query finds something, and a scene's own number finds that scene (and the one before, in its turns).
    expect(Object.values(imported.hits).every((ids) => ids.length > 0)).toBe(true);
    expect(imported.hits['opus17 flats']).toHaveLength(2);
    env.studio.db.prepare("INSERT INTO scene_search (scene_search, rank) VALUES ('integrity-check', 1)").run();
    // Indexed again by the triggers every other write goes through (migration 012), then built afresh.
    env.studio.db.exec('UPDATE scenes SET type = type; UPDATE experiences SET turns = turns;');
    expect(rows()).toEqual(imported.rows);
    env.studio.db.prepare("INSERT INTO scene_search (scene_search) VALUES ('rebuild')").run();
    expect({ hits: await hits(), rows: rows() }).toEqual(imported);
  });
});

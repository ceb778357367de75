import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CharacterId, DatasetExportReport } from '../../../common/contract';
import { DatasetRepo, TRAINABLE_PAGE_SCENES } from '../../../main/store/dataset-repo';
import { NEEFE_SCENE, seedScenes } from '../../support/interop';
import { createBeethoven, makeStudio } from '../../support/studio';
import { turnCounter } from '../../support/turns';

// The export reads the dataset a page at a time (`trainableScenePages`): each page must start
// where the last one ended, by an index seek, so 100,000 scenes are not walked again per page; and
// the serving thread does nothing that reads every row (at 100,000 scenes a sum over them holds it
// ~45 ms), with a turn of the event loop between pages.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;

beforeAll(async () => {
  env = makeStudio();
  characterId = await createBeethoven(env.studio);
  seedScenes(
    env.studio,
    characterId,
    Array.from({ length: TRAINABLE_PAGE_SCENES * 2 + 5 }, () => NEEFE_SCENE),
  );
});
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
});

describe('trainable scene pages', () => {
  it('seeks each page by creation time instead of walking the earlier scenes again', () => {
    const db = env.studio.db;
    const repo = new DatasetRepo(db);
    // The SQL the repository really runs, captured on its way to SQLite, then asked for its plan.
    const prepared: string[] = [];
    const prepare = db.prepare.bind(db);
    const spy = vi.spyOn(db, 'prepare').mockImplementation((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    });
    const pages = [...repo.trainableScenePages(characterId, 7)];
    spy.mockRestore();
    expect(pages.slice(0, 4).map((p) => p.length)).toEqual([7, 7, 7, 7]);
    expect(new Set(pages.flat().map((s) => s.id)).size).toBe(TRAINABLE_PAGE_SCENES * 2 + 5);
    const pageSql = prepared.find((sql) => /ORDER BY s\.created_at, s\.rowid LIMIT/.test(sql))!;
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${pageSql}`).all(characterId, 1e9, 0, 0, 0, 7) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/USING INDEX \w+ \(character_id=\? AND created_at>\?\)/);
  });
});

describe('the export on the serving thread', () => {
  it('sums nothing over the scenes there and reads one bounded page per turn of the event loop', async () => {
    const db = env.studio.db;
    // Every statement the studio's own connection runs during the export, and for each page read
    // the turn of the event loop it ran in (a setImmediate chain counts the turns).
    const prepared: string[] = [];
    const pageReads: { rows: number; turn: number }[] = [];
    const counter = turnCounter();
    const prepare = db.prepare.bind(db);
    const spy = vi.spyOn(db, 'prepare').mockImplementation((sql: string) => {
      prepared.push(sql);
      const statement = prepare(sql);
      if (!/ORDER BY s\.created_at, s\.rowid LIMIT/.test(sql)) return statement;
      const all = statement.all.bind(statement);
      return Object.assign(statement, {
        all: (...params: unknown[]) => {
          const rows = all(...params);
          pageReads.push({ rows: rows.length, turn: counter.turns() });
          return rows;
        },
      });
    });
    try {
      const outcome = await env.studio.invoke('dataset/export', {
        characterIds: [characterId],
        format: 'openai',
        out: path.join(env.dir, 'export-openai'),
        includeProblems: true,
      });
      expect(outcome.ok && (outcome.result as DatasetExportReport).train).toBe(TRAINABLE_PAGE_SCENES * 2 + 5);
    } finally {
      spy.mockRestore();
      counter.stop();
    }
    expect(prepared.filter((sql) => /\b(sum|count)\(/i.test(sql) && /\bFROM scenes\b/.test(sql))).toEqual([]);
    expect(pageReads.map((p) => p.rows)).toEqual([TRAINABLE_PAGE_SCENES, TRAINABLE_PAGE_SCENES, 5, 0]);
    const turns = pageReads.map((p) => p.turn);
    expect(new Set(turns).size).toBe(turns.length);
  });
});

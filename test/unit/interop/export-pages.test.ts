import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { NEEFE_SCENE, seedScenes } from '../../support/interop';
import { createBeethoven, makeStudio } from '../../support/studio';

// The export reads the dataset a page at a time (`trainableScenePages`): each page must start
// where the last one ended, by an index seek, so 100,000 scenes are not walked again per page.

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;

beforeAll(async () => {
  env = makeStudio();
  characterId = await createBeethoven(env.studio);
  seedScenes(
    env.studio,
    characterId,
    Array.from({ length: 30 }, () => NEEFE_SCENE),
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
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    expect(new Set(pages.flat().map((s) => s.id)).size).toBe(30);
    const pageSql = prepared.find((sql) => /ORDER BY s\.created_at, s\.rowid LIMIT/.test(sql))!;
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${pageSql}`).all(characterId, 1e9, 0, 0, 0, 7) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/USING INDEX \w+ \(character_id=\? AND created_at>\?\)/);
  });
});

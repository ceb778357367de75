import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { openDatabase } from '../../../main/store/database';
import { CharactersRepo } from '../../../main/store/characters-repo';
import { runCliIn } from '../../support/cli';
import { writeDialogues } from '../../support/paper-dialogues';
import { tempDir } from '../../support/paths';
import { call, makeStudio } from '../../support/studio';

// A character built by import has scenes and no profile: the character list (sidebar, header,
// CLI) gives its scene count, read from migration 027's trigger-kept counts, not "0 profiles".

let env: ReturnType<typeof makeStudio>;
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  env = makeStudio();
  tmp = tempDir('cs-scene-count-');
});
afterEach(async () => {
  await env.studio.shutdown();
  env.cleanup();
  tmp.cleanup();
});

it('lists an imported character with its scenes and no profile, through deletes, in the studio and the CLI', async () => {
  const { id } = await call(env.studio, 'characters/create', {
    fullName: 'Ludwig van Beethoven',
    shortName: 'Beethoven',
    era: '1770–1827',
    notes: '',
  });
  expect((await call(env.studio, 'characters/get', { id })).sceneCount).toBe(0);
  await call(env.studio, 'dataset/import', { characterId: id, path: writeDialogues(tmp.dir, 3) });

  const [listed] = await call(env.studio, 'characters/list', {});
  expect(listed).toMatchObject({ id, sceneCount: 3, profileCount: 0, chunkCount: 0 });
  const page = await call(env.studio, 'scenes/list', { characterId: id, limit: 10 });
  await call(env.studio, 'scenes/delete', { characterId: id, ids: [page.scenes[0]!.id] });
  expect((await call(env.studio, 'characters/get', { id })).sceneCount).toBe(2);

  await env.studio.shutdown();
  const cli = await runCliIn(env.dir, ['characters', 'list']);
  expect(cli.out).toBe(`Ludwig van Beethoven (Beethoven, 1770–1827) — 2 scenes, no profile  [${id}]`);
});

it('reads the kept per-character counts (normal and protective together), not a count of scene rows', () => {
  const db = openDatabase(path.join(tmp.dir, 'studio.sqlite'));
  const id = 'c1' as CharacterId;
  db.prepare(
    `INSERT INTO characters (id, full_name, short_name, created_at, updated_at) VALUES (?, 'Ada Lovelace', 'Ada', 1, 1)`,
  ).run(id);
  // Counts as 027's triggers keep them for 1,600 normal and 40 protective scenes, without the rows:
  // a listing that counted scene rows would say 0.
  const kept = db.prepare('INSERT INTO character_scene_counts (character_id, protective, n) VALUES (?, ?, ?)');
  kept.run(id, 0, 1_600);
  kept.run(id, 1, 40);
  const repo = new CharactersRepo(db);
  expect(repo.list().map((c) => c.sceneCount)).toEqual([1_640]);
  expect(repo.get(id)?.sceneCount).toBe(1_640);
  db.close();
});

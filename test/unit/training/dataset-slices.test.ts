import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CharacterId, SceneId } from '../../../common/contract';
import {
  exportTrainerDataset,
  serializeTrainerDataset,
  writeTrainerDataset,
} from '../../../main/core/trainer/dataset-export';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { build } from '../../bench/dataset-scale';
import { createBeethoven, launchRefusedConfig, makeStudio } from '../../support/studio';
import { turnCounter } from '../../support/turns';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** A studio on a fresh folder, closed and removed after the test. */
function freshStudio() {
  const env = makeStudio();
  cleanups.push(env.cleanup);
  return env;
}

describe('a training run writes its dataset a page at a time', () => {
  it('gives every scene once, in creation order, across pages of scenes made in the same millisecond', async () => {
    const { studio } = freshStudio();
    const characterId: CharacterId = await createBeethoven(studio);
    build(studio, characterId, 23);
    // Ties on created_at at every page boundary: the order falls back to the row id.
    studio.db.prepare('UPDATE scenes SET created_at = 1000').run();
    const repo = new DatasetRepo(studio.db);
    const pages = [...repo.trainableScenePages(characterId, 5)];
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat().map((s) => s.id)).toEqual(Array.from({ length: 23 }, (_, i) => `scene-${i}`));
  });

  it('gives the event loop a turn between pages of 64 scenes, and writes the same file as the whole dataset at once', async () => {
    const { studio, dir } = freshStudio();
    const characterId: CharacterId = await createBeethoven(studio);
    const count = 2_000;
    build(studio, characterId, count);
    const character = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
    const config = launchRefusedConfig();
    const outcome = await studio.invoke('training/start', { characterId, config });
    expect(outcome.ok).toBe(false);
    // Each page is a few ms of work (64 scenes at most), and the writer gives the loop a turn
    // between any two pages, a page whose scenes are all skipped too.
    const pages = [...new DatasetRepo(studio.db).trainableScenePages(characterId)];
    expect(Math.max(...pages.map((p) => p.length))).toBeLessThanOrEqual(64);
    const unusable = pages.map((page) =>
      page.map((scene) => ({ ...scene, id: `copy-${scene.id}` as SceneId, experience: null })),
    );
    const counter = turnCounter();
    const turnAtPage: number[] = [];
    function* counted() {
      for (const page of [...unusable, pages[0]!]) {
        turnAtPage.push(counter.turns());
        yield page;
      }
    }
    await writeTrainerDataset(path.join(dir, 'again.jsonl'), { pages: counted() }, character);
    counter.stop();
    for (let i = 1; i < turnAtPage.length; i++) expect(turnAtPage[i]).toBeGreaterThan(turnAtPage[i - 1]!);
    const [runDir] = fs.readdirSync(path.join(dir, 'runs'));
    const written = fs.readFileSync(path.join(dir, 'runs', runDir!, 'dataset.jsonl'));
    const scenes = [...new DatasetRepo(studio.db).trainableScenePages(characterId, count)].flat();
    expect(written.equals(serializeTrainerDataset(exportTrainerDataset(scenes, character).lines))).toBe(true);
  });
});

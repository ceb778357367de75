import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CharacterId } from '../../../common/contract';
import { exportTrainerDataset, serializeTrainerDataset } from '../../../main/core/trainer/dataset-export';
import { DatasetRepo } from '../../../main/store/dataset-repo';
import { build } from '../../bench/dataset-scale';
import { createBeethoven, launchRefusedConfig, makeStudio } from '../../support/studio';

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

  it('answers other requests between pages, and writes the same file as the whole dataset at once', async () => {
    const { studio, dir } = freshStudio();
    const characterId: CharacterId = await createBeethoven(studio);
    const count = 2_000;
    build(studio, characterId, count);
    const config = launchRefusedConfig();
    let done = false;
    const started = studio.invoke('training/start', { characterId, config }).finally(() => (done = true));
    // A client asking for the statistics again and again while the run starts, one request per turn.
    let answered = 0;
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      const stats = await studio.invoke('dataset/stats', { characterId });
      if (stats.ok) answered++;
    }
    const outcome = await started;
    expect(outcome.ok).toBe(false);
    // One turn at least for every page of 256 scenes: the export never holds the loop for the whole dataset.
    expect(answered).toBeGreaterThanOrEqual(Math.ceil(count / 256));
    const [runDir] = fs.readdirSync(path.join(dir, 'runs'));
    const written = fs.readFileSync(path.join(dir, 'runs', runDir!, 'dataset.jsonl'));
    const scenes = [...new DatasetRepo(studio.db).trainableScenePages(characterId, count)].flat();
    const character = { fullName: 'Ludwig van Beethoven', shortName: 'Beethoven' };
    expect(written.equals(serializeTrainerDataset(exportTrainerDataset(scenes, character).lines))).toBe(true);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Appearance } from '../../../common/contract';
import { Studio } from '../../../main/core/studio';
import { runCliIn } from '../../support/cli';
import { tempDir } from '../../support/paths';
import { call, callError, makeStudio } from '../../support/studio';

/** First run (issue 13, point 5): the sample character and the persisted theme. */

let env: ReturnType<typeof makeStudio>;
beforeEach(() => {
  env = makeStudio();
});
afterEach(() => env.cleanup());

describe('the sample character', () => {
  it('loads Mary Anning in one call: profile in sections, eight scenes and two protective ones, marked as a sample', async () => {
    const [sample] = await call(env.studio, 'samples/list', {});
    expect(sample).toMatchObject({ id: 'mary-anning', fullName: 'Mary Anning', licence: 'CC0-1.0', loadedAs: null });
    const loaded = await call(env.studio, 'samples/load', { id: 'mary-anning' });
    expect(loaded).toMatchObject({ scenes: 10, protective: 2 });
    const character = await call(env.studio, 'characters/get', { id: loaded.characterId });
    expect(character.notes).toMatch(/^Sample character shipped with Character Studio/);
    const [profile] = await call(env.studio, 'profiles/list', { characterId: loaded.characterId });
    expect(profile!.title).toBe('Mary Anning (sample profile)');
    expect(profile!.sourceName).toBe('profile (sample).md');
    expect(profile!.chunks.length).toBe(loaded.chunks);
    expect(profile!.chunks.map((c) => c.heading)).toEqual(
      expect.arrayContaining(['Childhood in Lyme Regis', 'The first great finds']),
    );
    const stats = await call(env.studio, 'dataset/stats', { characterId: loaded.characterId });
    expect(stats).toMatchObject({ scenes: 10 });
    const page = await call(env.studio, 'scenes/list', { characterId: loaded.characterId, limit: 50 });
    // Each scene says what kind of moment it is, as generated scenes do (the list's first line).
    expect(new Set(page.scenes.map((scene) => scene.type))).toEqual(
      new Set(['Discovery', 'Trade', 'Hardship', 'Recognition', 'Friendship', 'Loss', 'Farewell', 'protective']),
    );
    const [revision] = await call(env.studio, 'scenes/revisions', { id: page.scenes[0]!.id });
    expect(revision!.importedFrom?.file).toMatch(
      /samples\/mary-anning\/generated_agent_(dialogue|hallucination)_Mary_Anning\.json$/,
    );
    expect((await call(env.studio, 'samples/list', {}))[0]!.loadedAs).toBe(loaded.characterId);
  });

  it('refuses to load it twice or an unknown sample, leaving what is there', async () => {
    await call(env.studio, 'samples/load', { id: 'mary-anning' });
    expect(await callError(env.studio, 'samples/load', { id: 'mary-anning' })).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^Mary Anning is already in the studio/),
    });
    expect(await callError(env.studio, 'samples/load', { id: 'nobody' })).toMatchObject({
      code: 'not_found',
      message: 'There is no sample character "nobody". Samples: mary-anning.',
    });
    expect(await call(env.studio, 'characters/list', {})).toHaveLength(1);
  });

  it('leaves nothing behind when a sample file is damaged', async () => {
    const dir = tempDir('cs-samples-');
    try {
      fs.cpSync(path.resolve('resources/samples'), dir.dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir.dir, 'mary-anning/generated_agent_hallucination_Mary_Anning.json'),
        '[{"oops": 1}',
      );
      const data = tempDir('cs-studio-');
      const studio = new Studio({ dataDir: data.dir, door: 'cli', version: 'test', samplesDir: dir.dir });
      try {
        const error = await callError(studio, 'samples/load', { id: 'mary-anning' });
        expect(error.message).toMatch(/generated_agent_hallucination_Mary_Anning\.json/);
        expect(await call(studio, 'characters/list', {})).toEqual([]);
      } finally {
        studio.close();
        data.cleanup();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('has both faces: `samples list` and `samples load` on the CLI', async () => {
    const listed = await runCliIn(env.dir, ['samples', 'list']);
    expect(listed.out).toMatch(/^mary-anning {2}Mary Anning \(1799–1847\)/);
    const loaded = await runCliIn(env.dir, ['samples', 'load', 'mary-anning']);
    expect(loaded.out).toMatch(
      /^Loaded the sample mary-anning: a profile of \d+ chunks and 10 scenes \(2 protective\)/,
    );
  });
});

describe('appearance', () => {
  it('follows the system by default, keeps a choice across restarts and tells every window', async () => {
    expect(await call(env.studio, 'appearance/get', {})).toEqual({ theme: 'system' });
    const seen: Appearance[] = [];
    env.studio.events.subscribe((name, payload) => {
      if (name === 'appearance/changed') seen.push(payload as Appearance);
    });
    await call(env.studio, 'appearance/set', { theme: 'dark' });
    expect(seen).toEqual([{ theme: 'dark' }]);
    env.studio.close();
    const reopened = makeStudio(env.dir);
    expect(await call(reopened.studio, 'appearance/get', {})).toEqual({ theme: 'dark' });
    expect(await callError(reopened.studio, 'appearance/set', { theme: 'blue' as 'dark' })).toMatchObject({
      code: 'invalid_argument',
    });
    env = reopened;
  });
});

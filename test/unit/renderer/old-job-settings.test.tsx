// @vitest-environment jsdom
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { CharacterId, GenerationJob } from '../../../common/contract';
import { GeneratePanel } from '../../../renderer/src/components/generation/GeneratePanel';
import { settleIn } from '../../support/dom';
import { connectRenderer, renderWithQueries } from '../../support/render';
import { databaseBefore } from '../../support/old-database';
import { tempDir } from '../../support/paths';
import { call, makeStudio } from '../../support/studio';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// A generation job an older studio (or a bench script) wrote with only some of today's settings:
// its figures were NaN (sent as null), and the Generate tab threw drawing "null.toLocaleString".
// It loads with the missing settings at their defaults; the row itself is left as it was.

const OLD_SETTINGS = '{"providerId":"none","targetScenes":1600}';

let tmp: ReturnType<typeof tempDir>;
let env: ReturnType<typeof makeStudio> | undefined;
beforeEach(() => {
  tmp = tempDir('cs-old-job-');
});
afterEach(() => {
  env?.cleanup();
  tmp.cleanup();
});

it('shows an old job whose settings lack today’s fields', async () => {
  const old = databaseBefore(
    path.join(tmp.dir, 'studio.sqlite'),
    'character_scene_counts',
    `INSERT INTO characters (id, full_name, short_name, era, notes, created_at, updated_at)
       VALUES ('c1', 'Ludwig van Beethoven', 'Beethoven', '1770–1827', '', 1, 1);
     INSERT INTO jobs (id, character_id, kind, status, settings, message, created_at, updated_at)
       VALUES ('bench-job', 'c1', 'generation', 'interrupted', '${OLD_SETTINGS}',
         'Stopped when the studio closed; resume to continue where it left off.', 2, 3);`,
  );
  old.close();
  env = makeStudio(tmp.dir);
  const characterId = 'c1' as CharacterId;

  const [job] = (await call(env.studio, 'jobs/list', { characterId })) as GenerationJob[];
  expect(job!.settings).toMatchObject({ providerId: 'none', targetScenes: 1600, scenesPerCall: 10, maxTokens: 3000 });
  expect(Number.isFinite(job!.total) && job!.total >= 1600).toBe(true);
  expect(job!.stages.every((s) => Number.isFinite(s.total) && Number.isFinite(s.done))).toBe(true);
  // The new run's form opens with whole settings.
  const defaults = await call(env.studio, 'generation/defaults', { characterId });
  expect(Object.values(defaults).every((v) => v === null || Number.isFinite(v) || typeof v === 'string')).toBe(true);
  // Nothing rewritten: the stored row is as the old studio left it.
  expect(env.studio.db.prepare(`SELECT settings FROM jobs WHERE id = 'bench-job'`).pluck().get()).toBe(OLD_SETTINGS);

  const { disconnect } = connectRenderer(env.studio);
  const character = await call(env.studio, 'characters/get', { id: characterId });
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => errors.push(e.error);
  window.addEventListener('error', onError);
  const { container, unmount } = renderWithQueries(<GeneratePanel character={character} />);
  const figures = () => container.querySelector('.job-figures')?.textContent ?? '';
  await settleIn(container, () => figures() !== '', 'the old job’s figures');
  expect(figures()).toMatch(/0 of [\d,]+ items/);
  expect(errors).toEqual([]);
  window.removeEventListener('error', onError);
  unmount();
  disconnect();
});
